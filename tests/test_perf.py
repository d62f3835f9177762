"""Smoke test of the perf benchmark: the table's shape and sanity, never its timings."""

from __future__ import annotations

import json

import numpy as np

from bench.perf.core import REFERENCE_MODEL, PerfOptions, write_table
from bench.perf.measure import measure

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
    overrides=("debug=fast",),
)


def test_quick_perf_table_has_every_row_and_each_ratio_is_of_the_timings_it_names(tmp_path):
    df, notes = measure(TINY)
    expected = [
        "runner.bare_loop", "runner.backtest", "runner.factory_call", "runner.overhead",
        "fold.arima_fixed", "fold.naive", "fold.linear",
        "refit.arima_fixed.every1", "refit.arima_fixed.every2", "refit.lstm.every1", "refit.lstm.every2",
        "blas.arima.threads1", "blas.arima.threads2",
    ]  # fmt: skip
    assert df["name"].tolist() == expected
    rows = df.set_index("name")
    # ratio = this row's median / the median of the row it names (every reference is a row of this run).
    for name, r in rows.iterrows():
        assert r["ratio"] == r["median_s"] / rows.loc[r["reference"], "median_s"], name
    assert (rows.loc[rows.index == rows["reference"], "ratio"] == 1.0).all()
    assert rows.loc["refit.lstm.every2", "reference"] == "refit.lstm.every1"
    assert rows.loc["runner.overhead", "reference"] == f"fold.{REFERENCE_MODEL}"
    # Every repeat is in the row: min <= median <= max over n timings; the runner's ms loops run 5x.
    assert (df["min_s"] <= df["median_s"]).all() and (df["median_s"] <= df["max_s"]).all()
    assert np.all(np.isfinite(df[["median_s", "min_s", "max_s", "ratio"]]))
    n = rows["n"].to_dict()
    assert {n[k] for k in expected if k.startswith("runner.")} == {5 * TINY.repeats}
    assert {n[k] for k in expected if not k.startswith("runner.")} == {TINY.repeats}
    assert rows.loc["refit.lstm.every1", "per"] == f"{TINY.refit_folds} folds"
    assert any("OPENBLAS_NUM_THREADS=2" in n for n in notes)

    doc = json.loads(write_table(df, notes, TINY, tmp_path / "perf.json").read_text())
    assert [r["name"] for r in doc["rows"]] == expected and doc["settings"]["repeats"] == 1
    assert doc["settings"]["overrides"] == ["debug=fast"]
