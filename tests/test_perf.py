"""Smoke test of the perf benchmark: the table's shape and sanity, never its timings."""

from __future__ import annotations

import json

import numpy as np

from bench.perf.core import PerfOptions, write_table
from bench.perf.measure import measure

from conftest import FAST_NEURAL

TINY = PerfOptions(
    repeats=1,
    models=("naive", "arima_fixed", "linear"),
    model_folds=1,
    runner_folds=5,
    refit_models=("arima_fixed", "lstm"),
    refit_folds=2,
    refit_every=2,
    blas_folds=1,
    blas_jobs=(1,),
    overrides=tuple(f"models.lstm.{k}={v}" for k, v in FAST_NEURAL.items()),
)


def test_quick_perf_table_has_every_row_with_a_positive_finite_ratio(tmp_path):
    df, notes = measure(TINY)
    expected = [
        "runner.bare_loop", "runner.backtest", "runner.factory_call", "runner.overhead",
        "fold.arima_fixed", "fold.naive", "fold.linear",
        "refit.arima_fixed.every1", "refit.arima_fixed.every2", "refit.lstm.every1", "refit.lstm.every2",
        "blas.arima.threads1", "blas.arima.threads2",
    ]  # fmt: skip
    assert df["name"].tolist() == expected
    assert set(df["reference"]) <= set(df["name"])  # every ratio is against a row of the same run
    for col in ("median_s", "min_s", "max_s", "ratio"):
        assert np.all(np.isfinite(df[col])) and np.all(df[col] > 0), col
    assert (df["min_s"] <= df["median_s"]).all() and (df["median_s"] <= df["max_s"]).all()
    assert (df.loc[df["name"] == df["reference"], "ratio"] == 1.0).all()
    assert any("OPENBLAS_NUM_THREADS=2" in n for n in notes)

    doc = json.loads(write_table(df, notes, TINY, tmp_path / "perf.json").read_text())
    assert [r["name"] for r in doc["rows"]] == expected and doc["settings"]["repeats"] == 1
