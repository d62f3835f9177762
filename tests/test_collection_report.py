"""Report pieces for a collection: CD diagram, ratio spread, representative series, markdown."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bench.report.across_series import across_series_section, aggregate_lines, figure_line
from bench.report.cd_diagram import cd_diagram
from bench.report.context import ReportContext
from bench.report.distribution import ratio_distribution
from bench.report.representative import representative_series
from bench.scoring.aggregate import aggregate

PNG = b"\x89PNG\r\n\x1a\n"


def frame() -> pd.DataFrame:
    """Five series × naive, arima, rnn, lstm; the nets lag on s2 and s4 and win on s3."""
    rel = {  # unique_id: (arima, rnn, lstm)
        "s1": (0.9, 1.0, 1.0), "s2": (0.8, 1.6, 1.4), "s3": (0.9, 0.5, 0.5),
        "s4": (1.0, 1.6, 1.4), "s5": (1.1, 0.9, 1.1),
    }  # fmt: skip
    lagging = {"s2": ("rnn", "lstm"), "s4": ("rnn", "lstm")}
    echo = {"s1": 0.6, "s2": 0.1, "s3": 0.9, "s4": 0.05, "s5": 0.5}
    rows = []
    for uid, ratios in rel.items():
        for model, r in zip(("naive", "arima", "rnn", "lstm"), (1.0, *ratios), strict=True):
            net = model in ("rnn", "lstm")
            stat = -2.0 if r < 0.7 else (2.0 if r > 1.5 else 0.5)
            rows.append(dict(dataset="m3", unique_id=uid, model=model, n=10, mse=2.0 * r, mae=r,
                             smape=10 * r, mase=r, rel_mse=r, dm_stat=stat if model != "naive" else np.nan,
                             dm_pvalue=0.01 if abs(stat) == 2 else 0.4, verdict="",
                             lagging=model == "naive" or model in lagging.get(uid, ()),
                             best_shift=1.0, echo_ratio=echo[uid] if net else np.nan))  # fmt: skip
    return pd.DataFrame(rows)


def test_cd_diagram_writes_a_png(tmp_path: Path) -> None:
    out = cd_diagram(
        {"naive": 3.2, "arima": 1.8, "lstm": 2.5, "rnn": 2.5, "dead": np.nan}, 0.9, tmp_path / "cd.png"
    )
    data = out.read_bytes()
    assert out == tmp_path / "cd.png" and data.startswith(PNG) and len(data) > 2000
    # no critical difference (k = 1 or a NaN cd) still draws the ranks
    assert cd_diagram({"naive": 1.0}, np.nan, tmp_path / "one.png").read_bytes().startswith(PNG)
    with pytest.raises(ValueError, match="finite mean rank"):
        cd_diagram({"naive": np.nan}, 1.0, tmp_path / "none.png")


def test_ratio_distribution_writes_a_png_and_refuses_nothing_to_draw(tmp_path: Path) -> None:
    f = frame()
    f.loc[f.index[1], "rel_mse"] = 0.0  # cannot go on a log scale: left out, not a crash
    data = ratio_distribution(f, tmp_path / "r.png", title="m3").read_bytes()
    assert data.startswith(PNG) and len(data) > 2000
    with pytest.raises(ValueError, match="no positive finite rel_mse"):
        ratio_distribution(f[f["model"] == "naive"], tmp_path / "x.png")


def test_representative_series_by_rule() -> None:
    picks = representative_series(frame(), nets=("rnn", "gru", "lstm"))
    ids = [u for u, _ in picks]
    # lag most: s2 and s4 tie on nets lagging and ratio (√(1.6·1.4)); s4 has the lower echo ratio
    # win most: s3 (0.5); median of the ratios s3 0.5, s5 ~0.99, s1 1.0, s2/s4 1.50 → s1
    assert ids == ["s4", "s3", "s1"]
    assert "lag most" in picks[0][1] and "rnn, lstm flagged lagging" in picks[0][1]
    assert "win most" in picks[1][1] and "0.500" in picks[1][1]
    assert "the median" in picks[2][1]


def test_representative_series_is_deterministic_and_distinct() -> None:
    f = frame()
    once = representative_series(f)
    for seed in range(5):
        shuffled = f.sample(frac=1.0, random_state=seed)
        assert representative_series(shuffled) == once
    # ties broken by unique_id: two identical series, the smaller id wins
    twin = f.copy()
    twin.loc[twin["unique_id"] == "s4", ["rel_mse", "echo_ratio"]] = twin.loc[
        twin["unique_id"] == "s2", ["rel_mse", "echo_ratio"]
    ].to_numpy()
    assert representative_series(twin)[0][0] == "s2"
    # a single series is chosen once, never twice
    assert [u for u, _ in representative_series(f[f["unique_id"] == "s1"])] == ["s1"]


def test_representative_series_without_lagging_nets_and_without_nets() -> None:
    f = frame().assign(lagging=False)
    first = representative_series(f)[0]
    assert first[0] == "s4" and "lowest echo ratio" in first[1]
    assert representative_series(f, nets=("tcn",)) == []
    with pytest.raises(ValueError, match="one dataset"):
        representative_series(pd.concat([f, f.assign(dataset="m4")]))


def test_aggregate_lines_table_first_with_counts() -> None:
    agg = aggregate(frame())
    lines = aggregate_lines(agg, baseline="naive", reference="arima")
    table = lines[0].splitlines()
    assert table[0].startswith("| model | series | sMAPE mean")
    assert "AvgRelMSE vs naive" in table[0] and "wins vs arima" in table[0]
    assert [row.split("|")[1].strip() for row in table[2:]] == ["naive", "arima", "rnn", "lstm"]
    assert "5 series where every model has one (0 left out)" in lines[2]
    assert "Nemenyi critical difference" in lines[2]


def test_collection_section_order_and_files(tmp_path: Path) -> None:
    f = frame()
    agg = aggregate(f)
    ctx = ReportContext(report_dir=tmp_path, plot_dir=tmp_path / "plots")
    lines = across_series_section("m3", f, agg, ctx)
    text = "\n".join(lines)
    assert lines[0] == "### m3: across 5 series"
    pos = [text.index(s) for s in ("| model |", "(plots/m3_cd.png)", "(plots/m3_ratios.png)", "- `s4`:")]
    assert pos == sorted(pos)
    for name in ("m3_cd.png", "m3_ratios.png"):
        assert (tmp_path / "plots" / name).read_bytes().startswith(PNG)
    with pytest.raises(ValueError, match="no aggregate rows"):
        across_series_section("m4", f, agg, ctx)


def test_figure_line_is_relative_to_the_report(tmp_path: Path) -> None:
    assert figure_line(tmp_path / "plots" / "a.png", tmp_path, "alt") == "![alt](plots/a.png)"


def test_time_per_series_divides_each_models_fold_seconds_by_its_series():
    import pandas as pd

    from bench.report.collection import time_per_series

    folds = pd.DataFrame(
        {
            "model": ["arima"] * 4 + ["lstm"] * 4 + ["naive"] * 2,
            "unique_id": ["a", "a", "b", "b", "a", "a", "b", "b", "a", "c"],
            "seconds": [0.2, 0.2, 0.4, 0.4, 3.0, 0.0, 0.0, 1.0, 0.001, 0.0],
            "status": ["ok"] * 9 + ["skipped"],
        }
    )
    line = time_per_series(folds, {"lstm"})
    assert "arima 600.0 ms" in line and "lstm 2.00 s (global: 4.00 s in all)" in line
    assert "naive 1.0 ms" in line  # the skipped series does not dilute the mean


def test_the_report_says_on_how_many_series_each_model_was_scored():
    import pandas as pd

    from bench.report.collection import dataset_intro, skipped_lines
    from bench.scoring.stored import with_skipped
    from bench.types import DatasetInfo

    meta = DatasetInfo(
        n=100, n_series=5, n_evaluated=5, n_skipped=0, min_length=7, max_length=30, start="1990",
        end="2000", period=1, freq=None, source="M3", returns=False, notes=(), pipeline="diff",
        folds=1, horizon=6, first_cutoff="1994", last_cutoff="1994", window=2,
        scored={"naive": 5, "ets": 3, "lstm": 0},
    )  # fmt: skip
    intro = "\n".join(dataset_intro("m3", meta))
    assert "ets on 3, lstm on 0 of the 5" in intro and "windowed models read 2 values" in intro
    folds = pd.DataFrame(
        {
            "dataset": "m3", "model": ["ets", "ets", "lstm", "naive"], "unique_id": ["a", "b", "a", "a"],
            "status": ["skipped", "skipped", "skipped", "ok"],
            "error": ["ets needs 7", "ets needs 7", "x", ""],
        }
    )  # fmt: skip
    lines = skipped_lines(folds)
    assert lines[0] == "- ets: 2 series too short for it (listed in `folds.parquet`), e.g. a: ets needs 7"
    agg = pd.DataFrame({"dataset": ["m3", "m3"], "model": ["naive", "ets"], "n_series": [5, 3]})
    out = with_skipped(agg, folds).set_index("model")
    assert out.loc["ets", "n_skipped"] == 2 and out.loc["naive", "n_skipped"] == 0
    assert out.loc["lstm", "n_series"] == 0 and out.loc["lstm", "n_skipped"] == 1  # skipped everywhere
