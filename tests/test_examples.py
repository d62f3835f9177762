"""The shipped examples (``examples/my_pkg``, ``examples/conf``) do what README's "Your own model" says:
they run through the command line from a directory outside the repository, their forecasts are what
their docstrings claim, and editing one recomputes that model and no other."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import t as student_t

from conftest import settings

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
EDIT = ("self.drift = float(np.mean(changes))", "self.drift = 0.0")  # what a user's edit might be


def lagbench(scratch: Path, pythonpath: Path, conf: Path, run: str) -> tuple[dict, pd.DataFrame]:
    """``python -m bench.run`` (the ``lagbench`` script's entry) started in ``scratch`` as a user would:
    their package on PYTHONPATH, their config dir on Hydra's search path, one cache for every run."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "PYTHONPATH": str(pythonpath)}
    args = [
        "models=[naive,drift]",
        "datasets=[sine]",
        f"hydra.searchpath=[file://{conf}]",
        "debug=fast",
        "n_jobs=1",
        f"hydra.run.dir={scratch / 'results' / run}",  # the task cache: results/.cache, as by default
    ]
    proc = subprocess.run(
        [sys.executable, "-m", "bench.run", *args], cwd=scratch, env=env, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    out = scratch / "results" / run
    return json.loads((out / "run.json").read_text()), pd.read_parquet(out / "forecasts.parquet")


def by_model(fc: pd.DataFrame) -> pd.DataFrame:
    """Point forecasts, one column per model, one row per origin."""
    return fc.pivot(index="cutoff", columns="model", values="y_hat")


@pytest.fixture(scope="module")
def shipped(tmp_path_factory) -> tuple[Path, dict, pd.DataFrame]:
    """The shipped example run once from a scratch directory: (scratch dir, run.json, forecasts)."""
    scratch = tmp_path_factory.mktemp("scratch")
    info, fc = lagbench(scratch, EXAMPLES, EXAMPLES / "conf", "first")
    return scratch, info, fc


def test_the_shipped_drift_model_runs_from_a_directory_outside_the_repository(shipped):
    scratch, info, fc = shipped
    assert info["cache"]["tasks"] == info["cache"]["computed"] == 2  # naive and drift, nothing cached yet
    assert info["models"]["drift"]["levels"] and info["models"]["drift"]["scope"] == "local"
    mean = by_model(fc)
    assert len(mean) == 3 and (mean["drift"] != mean["naive"]).all()  # its own forecasts, on 3 origins
    drift = fc[fc["model"] == "drift"]
    assert np.all(drift["y_var"] > 0) and np.all(drift["y_df"] > 2) and set(drift["y_interval"]) == {"model"}
    assert (scratch / "results" / ".cache").is_dir()  # results/ and its cache under the directory it ran in


def test_editing_your_model_recomputes_it_and_reuses_the_others(shipped, tmp_path):
    scratch, _, before = shipped
    mine = tmp_path / "mine"
    shutil.copytree(EXAMPLES, mine, ignore=shutil.ignore_patterns("__pycache__"))
    source = mine / "my_pkg" / "drift.py"
    text = source.read_text()
    assert text.count(EDIT[0]) == 1
    source.write_text(text.replace(*EDIT))

    info, after = lagbench(scratch, mine, mine / "conf", "edited")
    assert info["cache"]["tasks"] == 2 and info["cache"]["computed"] == 1 and info["cache"]["hits"] == 1
    old, new = by_model(before), by_model(after)
    assert (new["drift"] != old["drift"]).all()  # the edited source ran: drift 0 forecasts the last value
    assert new["drift"].equals(new["naive"])
    assert new["naive"].equals(old["naive"])  # the one task served from the cache is naive's


def test_the_cache_key_of_the_users_net_does_not_hold_the_drift_module(monkeypatch):
    """So an edit of drift.py leaves the TCN's cached tasks alone, as the README says."""
    from bench.engine.cache import model_code, targets_of

    monkeypatch.syspath_prepend(str(EXAMPLES))
    s = settings(["models=[tcn,drift]", "datasets=[sine]"], EXAMPLES / "conf")
    code = {m: set(model_code([s.model(m).target, *targets_of(s.model(m).params)])) for m in ("tcn", "drift")}
    assert {"my_pkg", "my_pkg.tcn", "bench.models.torch_module"} <= code["tcn"]
    assert "my_pkg.drift" not in code["tcn"] and code["drift"] == {"my_pkg", "my_pkg.drift"}


def test_the_drift_models_intervals_cover_as_stated(monkeypatch):
    """Its variance σ² h (1 + h / (T − 1)) and t with T − 2 degrees of freedom are exact: 90 %
    intervals from 4000 simulated short random walks with drift cover 90 % at every step (dropping
    the drift's estimation error, h / (T − 1), would cover 83 % at h = 5 with T = 10)."""
    monkeypatch.syspath_prepend(str(EXAMPLES))
    from my_pkg.drift import Drift

    rng = np.random.default_rng(0)
    n, h, reps = 10, 5, 4000
    hits = np.zeros(h)
    for _ in range(reps):
        y = np.cumsum(0.3 + 2.0 * rng.standard_normal(n + h))
        fc = Drift().fit(y[:n]).predict(h)
        sd = np.sqrt(fc.var * (fc.df - 2) / fc.df)  # the t's scale
        q = student_t.ppf(0.95, fc.df)
        hits += np.abs(y[n:] - fc.mean) <= q * sd
    coverage = hits / reps
    assert np.all(np.abs(coverage - 0.9) < 0.015), coverage  # 3 standard errors of 4000 draws


def test_the_shipped_tcn_config_trains_the_users_module(monkeypatch, tmp_path):
    from bench.benchmark import run_tables

    monkeypatch.syspath_prepend(str(EXAMPLES))
    s = settings(["models=[naive,tcn]", "datasets=[sine]", "debug=fast", "split.folds=2"], EXAMPLES / "conf")
    assert s.model("tcn").params["net"]["_target_"] == "my_pkg.tcn.TinyTCN"
    tables = run_tables(s, tmp_path)
    tcn = tables["forecasts"][tables["forecasts"]["model"] == "tcn"]
    assert len(tcn) == 2 and np.all(np.isfinite(tcn["y_hat"])) and np.all(tcn["y_var"] > 0)  # gaussian head
    assert set(tables["metrics"]["model"]) == {"naive", "tcn"}
