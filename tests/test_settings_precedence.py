"""Which value a dataset's split and transform take: the run's config, then the dataset's YAML, then
what the command line typed at the top level, then what it typed for that dataset. Experiments
count as the run's config. The report header shows the run's values and each dataset's own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import pandas as pd
import pytest

from bench.errors import ConfigError

from conftest import ROOT, settings


def split_of(overrides: list[str], name: str, config_dir: Path | None = None) -> tuple[int, int, int]:
    (ds,) = [d for d in settings(overrides, config_dir).datasets if d.name == name]
    return ds.split.folds, ds.split.horizon, ds.split.refit_every


def test_a_datasets_own_split_beats_the_run_config():
    assert split_of(["datasets=[m3_monthly]"], "m3_monthly") == (1, 18, 20)  # its YAML; refit from the run


def test_a_run_setting_typed_on_the_command_line_beats_a_datasets_own_split():
    assert split_of(["datasets=[m3_monthly]", "split.folds=2", "split.horizon=3"], "m3_monthly") == (2, 3, 20)
    assert split_of(["datasets=[m3_monthly]", "++split.folds=2"], "m3_monthly") == (2, 18, 20)


def test_a_datasets_key_typed_on_the_command_line_beats_both():
    args = ["datasets=[m3_monthly]", "split.folds=2", "datasets.m3_monthly.split.folds=4"]
    assert split_of(args, "m3_monthly") == (4, 18, 20)


def test_a_typed_transform_reaches_every_dataset_and_the_untyped_keys_stay_their_own():
    s = settings(["datasets=[co2,sp500_returns,sine]", "transform.diff=1"])
    t = {d.name: d.transform for d in s.datasets}
    assert {name: tr.diff for name, tr in t.items()} == {"co2": 1, "sp500_returns": 1, "sine": 1}
    assert t["co2"].seasonal_diff == "auto" and t["sine"].seasonal_diff == 0  # co2.yaml's own, untyped
    untyped = {d.name: d.transform.diff for d in settings(["datasets=[co2,sp500_returns,sine]"]).datasets}
    assert untyped == {"co2": "auto", "sp500_returns": 0, "sine": 1}


def test_experiments_count_as_the_run_config(tmp_path):
    assert split_of(["+experiment=m3_monash"], "m3_monthly") == (1, 18, 20)
    exp = tmp_path / "experiment"
    exp.mkdir()
    head = "# @package _global_\ndefaults:\n  - override /datasets: [sales]\n  - _self_\n"
    (exp / "run_level.yaml").write_text(head + "split:\n  folds: 3\n")
    (exp / "own_level.yaml").write_text(head + "datasets:\n  sales:\n    split:\n      folds: 3\n")
    assert split_of(["+experiment=run_level"], "sales", tmp_path) == (10, 1, 1)  # sales.yaml wins
    assert split_of(["+experiment=own_level"], "sales", tmp_path) == (3, 1, 1)  # set for sales itself
    assert split_of(["+experiment=run_level", "split.folds=5"], "sales", tmp_path) == (5, 1, 1)


def test_a_bad_value_is_named_by_the_key_it_came_from():
    with pytest.raises(ConfigError, match=r"^split.folds=0 is out of range"):
        settings(["datasets=[sales]", "split.folds=0"])
    with pytest.raises(ConfigError, match=r"^datasets.sales.split.folds=0 is out of range"):
        settings(["datasets=[sales]", "datasets.sales.split.folds=0"])
    with pytest.raises(
        ConfigError, match=r"^unknown setting datasets.sales.split.bogus; datasets.sales.split"
    ):
        settings(["datasets=[sales]", "+datasets.sales.split.bogus=1"])


def test_the_command_line_passes_what_it_typed(tmp_path):
    """The done-when of issue #20: 2 origins × 3 steps per series, though m3_monthly.yaml says 1 × 18."""
    run_dir = tmp_path / "run"
    args = ["datasets=[m3_monthly]", "split.folds=2", "split.horizon=3", "models=[naive]"]
    args += ["datasets.m3_monthly.max_series=3", f"hydra.run.dir={run_dir}", "cache=false"]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, "-m", "bench.run", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    fc = pd.read_parquet(run_dir / "forecasts.parquet")
    per_series = fc.groupby("unique_id").agg(origins=("cutoff", "nunique"), steps=("h", "nunique"))
    assert len(per_series) == 3 and (per_series["origins"] == 2).all() and (per_series["steps"] == 3).all()


def test_the_header_shows_the_runs_split_and_each_datasets_own(tmp_path):
    from bench.report.render import header

    rows = "\n".join(header(tmp_path, settings(["datasets=[sales,sine,co2]", "models=[naive]"])))
    assert "| split | expanding, 100 origins, step 1, horizon 1, refit every 20, warm-started |" in rows
    assert "| sales (own) | 10 origins, refit every 1 |" in rows
    assert "| co2 (own) | transform seasonal_diff=auto, diff=auto |" in rows
    assert "sine (own)" not in rows
    typed = "\n".join(
        header(tmp_path, settings(["datasets=[sales,sine]", "models=[naive]", "split.folds=5"]))
    )
    assert "| split | expanding, 5 origins," in typed and "| sales (own) | refit every 1 |" in typed


def test_dataset_info_survives_run_json_round_trip():
    from bench.benchmark import run_info
    from bench.engine.prepare import prepare
    from bench.types import DatasetInfo

    s = settings(["datasets=[sine,sales]", "models=[naive]", "split.folds=4", "split.horizon=2"])
    infos = run_info(s, prepare(s))
    stored = json.loads(json.dumps({n: asdict(i) for n, i in infos.items()}))
    assert {n: DatasetInfo.from_dict(d) for n, d in stored.items()} == infos
    assert (infos["sine"].folds, infos["sine"].horizon, infos["sine"].n) == (4, 2, 300)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [([], 2), (["window=4"], 4), (["window=4", "datasets.m3_yearly.window=3"], 3)],
)
def test_a_datasets_own_window_follows_the_same_precedence(typed, expected):
    """The preset's window (2) beats the run config's; a typed window= beats the preset's; a typed
    datasets.<name>.window beats both. What the models that read ${window} are built with."""
    from bench.engine.needs import on_dataset
    from bench.engine.prepare import prepare

    s = settings(["datasets=[m3_yearly]", "datasets.m3_yearly.max_series=2", "models=[naive,linear]", *typed])
    (p,) = prepare(s)
    assert on_dataset(s.model("linear"), p).params["window"] == expected
