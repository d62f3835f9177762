"""Your own config dir: models, baselines and experiments from ``hydra.searchpath=[file://…]`` or
``--config-dir``, found by Hydra itself (one compose), named in the messages; an experiment's own
``override /models`` is respected by the command-line check."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.errors import ConfigError

from conftest import run_suite, settings

DRIFT = '''
import numpy as np

from bench.types import Forecast


class Drift:
    """The random walk with drift: the last value plus the mean change so far."""

    levels = False

    def fit(self, z):
        self.z = np.asarray(z, dtype=float)
        return self

    def update(self, z):
        return self.fit(z)

    def predict(self, h):
        slope = (self.z[-1] - self.z[0]) / (len(self.z) - 1)
        return Forecast(mean=self.z[-1] + slope * np.arange(1, h + 1))
'''


@pytest.fixture
def user(tmp_path: Path) -> Path:
    """A scratch project: ``pkg/userdrift.py`` (on PYTHONPATH in the CLI tests) and ``conf/``."""
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "userdrift.py").write_text(DRIFT)
    models = tmp_path / "conf" / "models"
    models.mkdir(parents=True)
    (models / "drift.yaml").write_text(
        "# @package models.drift\n_target_: userdrift.Drift\n_partial_: true\n"
    )
    (models / "nohead.yaml").write_text("_target_: userdrift.Drift\n_partial_: true\n")
    (tmp_path / "conf" / "experiment").mkdir()
    (tmp_path / "conf" / "experiment" / "mine.yaml").write_text(
        "# @package _global_\ndefaults:\n  - override /models: [naive, drift]\n"
        "  - override /datasets: [sine]\n  - _self_\n\nwindow: 7\n"
    )
    return tmp_path


def cli(args: list[str], user: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "PYTHONPATH": str(user / "pkg")}
    cmd = [sys.executable, "-m", "bench.run", *args, f"hydra.run.dir={user / 'run'}", "cache=false"]
    return subprocess.run(cmd, cwd=user, env=env, capture_output=True, text=True, timeout=300)


def test_a_model_from_your_config_dir_runs_and_is_scored(user, tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(user / "pkg"))
    args = [
        "models=[naive,drift]",
        "datasets=[sine]",
        "split.folds=3",
        f"hydra.searchpath=[file://{user}/conf]",
    ]
    tables = run_suite(args, tmp_path / "run")
    fc = tables["forecasts"].pivot(index="cutoff", columns="model", values="y_hat")
    assert len(fc) == 3 and (fc["drift"] != fc["naive"]).all()  # the user's class made its own forecasts
    assert set(tables["metrics"]["model"]) == {"naive", "drift"}


@pytest.mark.parametrize("where", ["hydra.searchpath", "--config-dir"])
def test_the_command_line_accepts_a_model_from_your_config_dir(user, where):
    conf = user / "conf"
    given = (
        [f"hydra.searchpath=[file://{conf}]"] if where == "hydra.searchpath" else ["--config-dir", str(conf)]
    )
    proc = cli([*given, "models=[naive,drift]", "datasets=[sine]", "validate=true"], user)
    assert proc.returncode == 0, proc.stderr
    assert "nothing was fitted" in proc.stdout  # validate builds every model: the class was found


def test_an_unknown_model_name_lists_the_models_of_your_config_dir_too(user):
    proc = cli(["models=[naive,nosuch]", f"hydra.searchpath=[file://{user}/conf]"], user)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    message = proc.stderr.strip()
    assert message.startswith("lagbench: models=[naive,nosuch]: there is no model named 'nosuch'")
    assert "drift" in message and "naive" in message and f"{user}/conf/models/" in message
    assert "\n" not in message and not (user / "run").exists()


def test_a_sweep_value_naming_no_config_stops_the_sweep_before_any_job(user):
    proc = cli(["-m", "models=[naive],[naive,nosuch]", "datasets=[sine]"], user)
    assert proc.returncode == 2 and "there is no model named 'nosuch'" in proc.stderr
    assert not (user / "multirun").exists() and not (user / "results").exists()


def test_an_experiment_that_overrides_the_models_accepts_their_keys(user):
    args = ["+experiment=m3_makridakis_source", "models.theta.period=12", "validate=true"]
    proc = cli([*args, "datasets.m3_monthly_makridakis.max_series=5"], user)
    assert proc.returncode == 0, proc.stderr
    assert settings(args).model("theta").params["period"] == 12


def test_the_baseline_and_an_experiment_may_come_from_your_config_dir(user):
    s = settings(["models=[linear]", "baseline=drift", "datasets=[sine]"], config_dir=user / "conf")
    assert [m.name for m in s.models] == ["drift", "linear"] and s.baseline_added
    mine = settings(["+experiment=mine"], config_dir=user / "conf")
    assert [m.name for m in mine.models] == ["naive", "drift"] and mine.window == 7


def test_a_model_config_without_its_package_line_is_named_with_the_line_to_add(user):
    with pytest.raises(ConfigError, match=r"models/nohead.yaml .* '# @package models.nohead'"):
        settings(["models=[naive,nohead]"], config_dir=user / "conf")


def test_a_missing_config_dir_is_one_paragraph_exit_2(tmp_path):
    proc = cli(["--config-dir", str(tmp_path / "nope"), "models=[naive]"], tmp_path)
    assert proc.returncode == 2 and f"--config-dir {tmp_path / 'nope'}: no such directory" in proc.stderr
    proc = cli([f"hydra.searchpath=[file://{tmp_path}/nope]"], tmp_path)
    assert proc.returncode == 2 and "is not a directory" in proc.stderr
