"""Collections of series end to end on the synthetic panel: ids in every frame, too-short series
skipped (for every model, or for one) and counted, the aggregate in metrics.csv, the same numbers
with one worker or two."""

from __future__ import annotations

import pandas as pd
import pandas.testing as pdt

from conftest import run_suite

PANEL = [
    "datasets=[panel]", "models=[naive,arima,linear]", "split.folds=5", "window=6",
    "datasets.panel.n_series=9", "datasets.panel.min_len=25", "chunk_size=4",
]  # fmt: skip


def test_every_frame_carries_unique_id_and_a_floor_skips_short_series_for_every_model(tmp_path):
    t = run_suite([*PANEL, "split.min_train=30"], tmp_path)
    for name in ("forecasts", "folds", "series", "metrics_by_series"):
        assert "unique_id" in t[name].columns, name
    folds = t["folds"]
    skipped = folds[folds["status"] == "skipped"]
    lengths = t["series"].groupby("unique_id").size()
    too_short = set(lengths[lengths < 35].index)  # the 30-point floor + 5 origins (horizon 1)
    assert set(skipped["unique_id"]) == too_short and too_short
    assert skipped.groupby("model")["unique_id"].nunique().to_dict() == dict.fromkeys(
        ["naive", "arima", "linear"], len(too_short)
    )
    assert skipped["error"].str.contains("observations but").all()
    assert not set(t["forecasts"]["unique_id"]) & too_short
    # origins counted back from each series' own end: the last target is each series' last point
    last = t["forecasts"].groupby("unique_id")["ds"].max()
    ends = t["series"].groupby("unique_id")["ds"].max()
    assert (last == ends[last.index]).all()


def test_a_series_too_short_for_one_model_is_skipped_for_that_model_only(tmp_path):
    """linear with window 20 needs 21 differenced points (22 raw, diff=1) at the first origin:
    shorter series are skipped for it alone, recorded with the reason, and naive and arima still
    score them; the aggregate says on how many series each model was scored and ranks on the
    series every model has."""
    t = run_suite([*PANEL, "window=20"], tmp_path)
    lengths = t["series"].groupby("unique_id").size()
    short = set(lengths[lengths - 5 < 22].index)  # training points at the first origin: n - 5
    assert short and len(short) < len(lengths)
    folds = t["folds"]
    skipped = folds[folds["status"] == "skipped"]
    assert set(skipped["model"]) == {"linear"} and set(skipped["unique_id"]) == short
    assert skipped["error"].str.contains("linear needs 22 training points at the first origin").all()
    scored = t["forecasts"].groupby("model")["unique_id"].nunique()
    n, k = len(lengths), len(short)
    assert scored["naive"] == scored["arima"] == n and scored["linear"] == n - k
    m = pd.read_csv(tmp_path / "metrics.csv").set_index("model")
    assert m.loc["linear", "n_series"] == n - k and m.loc["linear", "n_skipped"] == k
    assert m.loc["naive", "n_series"] == len(lengths) and m.loc["naive", "n_skipped"] == 0
    assert (m["rank_series"] == len(lengths) - len(short)).all() and (m["rank_excluded"] == len(short)).all()


def test_metrics_csv_holds_the_across_series_aggregate(tmp_path):
    t = run_suite(PANEL, tmp_path)
    m = pd.read_csv(tmp_path / "metrics.csv").set_index("model")
    assert (m["kind"] == "collection").all() and set(m.index) == {"naive", "arima", "linear"}
    evaluated = t["metrics_by_series"]["unique_id"].nunique()
    assert (m["n_series"] == evaluated).all()
    assert m.loc["naive", "avg_rel_mse"] == 1.0
    by_series = pd.read_csv(tmp_path / "metrics_by_series.csv")
    assert len(by_series) == 3 * evaluated


def test_collection_numbers_do_not_depend_on_workers_or_chunking(tmp_path):
    one = run_suite([*PANEL, "n_jobs=1"], tmp_path / "one")["forecasts"]
    two = run_suite([*PANEL, "n_jobs=2", "chunk_size=2"], tmp_path / "two")["forecasts"]
    pdt.assert_frame_equal(one, two)
