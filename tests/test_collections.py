"""Collections of series end to end on the synthetic panel: ids in every frame, too-short series
skipped and counted, the aggregate in metrics.csv, the same numbers with one worker or two."""

from __future__ import annotations

import pandas as pd
import pandas.testing as pdt

from conftest import run_suite

PANEL = [
    "datasets=[panel]", "models=[naive,arima,linear]", "split.folds=5", "window=6",
    "datasets.panel.n_series=9", "datasets.panel.min_len=25", "chunk_size=4",
]  # fmt: skip


def test_every_frame_carries_unique_id_and_short_series_are_skipped_not_fatal(tmp_path):
    t = run_suite(PANEL, tmp_path)
    for name in ("forecasts", "folds", "series", "metrics_by_series"):
        assert "unique_id" in t[name].columns, name
    folds = t["folds"]
    skipped = folds[folds["status"] == "skipped"]
    lengths = t["series"].groupby("unique_id").size()
    too_short = set(lengths[lengths < 36].index)  # 30 training points + 5 origins + horizon
    assert set(skipped["unique_id"]) == too_short and too_short
    assert skipped["error"].str.contains("observations but").all()
    assert not set(t["forecasts"]["unique_id"]) & too_short
    # origins counted back from each series' own end: the last target is each series' last point
    last = t["forecasts"].groupby("unique_id")["ds"].max()
    ends = t["series"].groupby("unique_id")["ds"].max()
    assert (last == ends[last.index]).all()


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
