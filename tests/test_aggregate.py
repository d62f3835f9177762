"""Across-series aggregation on a collection small enough to work out by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from bench.scoring import ranks as rk
from bench.scoring.aggregate import COLUMNS, aggregate, avg_rel_mse, win_rate

NAN = float("nan")


def hand_frame() -> pd.DataFrame:
    """Three models on four series; arima failed on series c, lstm is perfect on c."""
    rows = {
        # model:  (unique_id, smape, mse, rel_mse, dm_stat, dm_pvalue, lagging)
        "naive": [("a", 10, 4, 1, NAN, NAN, True), ("b", 5, 1, 1, NAN, NAN, True),
                  ("c", 20, 9, 1, NAN, NAN, True), ("d", 6, 2, 1, NAN, NAN, True)],
        "arima": [("a", 8, 2, 0.5, -2.5, 0.04, False), ("b", 5, 1, 1, 0.0, 1.0, False),
                  ("c", NAN, NAN, NAN, NAN, NAN, False), ("d", 9, 4, 2, 1.0, 0.3, False)],
        "lstm": [("a", 12, 8, 2, 2.0, 0.01, True), ("b", 4, 0.5, 0.5, -3.0, 0.001, False),
                 ("c", 10, 0, 0, -1.0, 0.2, False), ("d", 3, 1, 0.5, NAN, NAN, True)],
    }  # fmt: skip
    recs = []
    for model, rs in rows.items():
        for uid, smape, mse, rel, stat, p, lag in rs:
            recs.append(dict(dataset="m3", unique_id=uid, model=model, n=6, mse=mse, mae=NAN,
                             smape=smape, mase=smape / 10, rel_mse=rel, dm_stat=stat, dm_pvalue=p,
                             verdict="", lagging=lag, best_shift=1.0, echo_ratio=0.5))  # fmt: skip
    return pd.DataFrame(recs)


def test_avg_rel_mse_is_the_geometric_mean_and_counts_exclusions() -> None:
    gm, excluded = avg_rel_mse(pd.Series([2.0, 0.5, 0.0, 0.5, NAN, -1.0]))
    assert gm == pytest.approx(0.5 ** (1 / 3)) and excluded == 3
    gm, excluded = avg_rel_mse(pd.Series([NAN]))
    assert math.isnan(gm) and excluded == 1


def test_win_rate_counts_ties_half_and_skips_missing() -> None:
    a = pd.Series([1.0, 2.0, 3.0, NAN], index=list("wxyz"))
    b = pd.Series([2.0, 2.0, 1.0, 1.0], index=list("wxyz"))
    assert win_rate(a, b) == pytest.approx(1.5 / 3)
    assert math.isnan(win_rate(a.iloc[3:], b.iloc[3:]))


def test_aggregate_by_hand() -> None:
    out = aggregate(hand_frame())
    assert list(out.columns) == COLUMNS
    out = out.set_index("model")
    assert list(out.index) == ["naive", "arima", "lstm"]  # order of first appearance
    assert out["n_series"].tolist() == [4, 4, 4]
    # sMAPE/MASE skip the failed series: arima (8 + 5 + 9) / 3, median 8
    assert out.loc["arima", "smape_mean"] == pytest.approx(22 / 3)
    assert out.loc["arima", "smape_median"] == 8.0
    assert out.loc["lstm", "mase_mean"] == pytest.approx(2.9 / 4)
    assert out.loc["lstm", "mase_median"] == pytest.approx(0.7)
    # AvgRelMSE: arima (0.5·1·2)^(1/3) = 1 with c excluded; lstm (2·0.5·0.5)^(1/3), c (= 0) excluded
    assert out.loc["naive", "avg_rel_mse"] == pytest.approx(1.0)
    assert out.loc["arima", "avg_rel_mse"] == pytest.approx(1.0)
    assert out.loc["lstm", "avg_rel_mse"] == pytest.approx(0.5 ** (1 / 3))
    assert out["rel_mse_excluded"].tolist() == [0, 1, 1]
    # ranks on a, b, d (c excluded: arima has no sMAPE there)
    #   a: 10, 8, 12 → 2, 1, 3;  b: 5, 5, 4 → 2.5, 2.5, 1;  d: 6, 9, 3 → 2, 3, 1
    np.testing.assert_allclose(out["mean_rank"], [6.5 / 3, 6.5 / 3, 5 / 3])
    assert set(out["rank_series"]) == {3} and set(out["rank_excluded"]) == {1}
    block = pd.DataFrame({"naive": [10, 5, 6], "arima": [8, 5, 9], "lstm": [12, 4, 3]}, dtype=float)
    assert out.loc["lstm", "friedman_pvalue"] == pytest.approx(rk.friedman_pvalue(block))
    assert out.loc["lstm", "nemenyi_cd"] == pytest.approx(rk.nemenyi_q(3) * math.sqrt(3 * 4 / (6 * 3)))
    # win rates on MSE, ties half, missing skipped
    #   lstm vs naive: a lose, b win, c win (0 < 9), d win → 3/4; arima vs naive: win, tie, —, lose
    assert math.isnan(out.loc["naive", "win_rate_baseline"])
    assert out.loc["arima", "win_rate_baseline"] == pytest.approx(0.5)
    assert out.loc["lstm", "win_rate_baseline"] == pytest.approx(0.75)
    assert out.loc["lstm", "win_rate_reference"] == pytest.approx(2 / 3)  # a lose, b win, d win
    assert out.loc["naive", "win_rate_reference"] == pytest.approx(0.5)
    assert math.isnan(out.loc["arima", "win_rate_reference"])
    # DM at 5 %: lstm beats on b, worse on a (an untestable DM counts as neither); arima beats on a
    assert math.isnan(out.loc["naive", "share_dm_beats"])
    assert out.loc["lstm", "share_dm_beats"] == pytest.approx(0.25)
    assert out.loc["lstm", "share_dm_worse"] == pytest.approx(0.25)
    assert out.loc["arima", "share_dm_beats"] == pytest.approx(0.25)
    assert out["share_lagging"].tolist() == [1.0, 0.0, 0.5]


def test_alpha_rank_by_and_names_are_parameters() -> None:
    f = hand_frame().replace({"model": {"naive": "persist", "arima": "ets"}})
    out = aggregate(f, baseline="persist", reference="ets", alpha=0.01, rank_by="mse").set_index("model")
    assert out.loc["ets", "share_dm_beats"] == 0.0  # p = 0.04 no longer counts
    assert out.loc["lstm", "win_rate_baseline"] == pytest.approx(0.75)
    # mse ranks on a, b, d: a 4, 2, 8 → 2, 1, 3; b 1, 1, 0.5 → 2.5, 2.5, 1; d 2, 4, 1 → 2, 3, 1
    np.testing.assert_allclose(out["mean_rank"], [6.5 / 3, 6.5 / 3, 5 / 3])
    # absent baseline/reference: NaN, not an error
    out = aggregate(hand_frame(), baseline="nope", reference="nope")
    assert out["win_rate_baseline"].isna().all() and out["win_rate_reference"].isna().all()


def test_model_failed_everywhere_is_left_out_of_the_ranking_only() -> None:
    f = hand_frame()
    dead = f[f["model"] == "lstm"].assign(model="gru", smape=NAN, mse=NAN, rel_mse=NAN)
    out = aggregate(pd.concat([f, dead], ignore_index=True)).set_index("model")
    assert math.isnan(out.loc["gru", "mean_rank"]) and out.loc["gru", "rel_mse_excluded"] == 4
    np.testing.assert_allclose(out.loc[["naive", "arima", "lstm"], "mean_rank"], [6.5 / 3, 6.5 / 3, 5 / 3])
    assert out.loc["gru", "n_series"] == 4 and math.isnan(out.loc["gru", "win_rate_baseline"])


def test_datasets_are_aggregated_separately() -> None:
    f = hand_frame()
    other = f[f["unique_id"].isin(["a", "b"])].assign(dataset="tourism")
    out = aggregate(pd.concat([f, other], ignore_index=True))
    assert out["dataset"].tolist() == ["m3"] * 3 + ["tourism"] * 3
    t = out[out["dataset"] == "tourism"].set_index("model")
    assert t["n_series"].tolist() == [2, 2, 2] and set(t["rank_excluded"]) == {0}
    np.testing.assert_allclose(t["mean_rank"], [2.25, 1.75, 2.0])


def test_bad_frames_and_settings_are_refused() -> None:
    f = hand_frame()
    with pytest.raises(ValueError, match="lacks columns"):
        aggregate(f.drop(columns="rel_mse"))
    with pytest.raises(ValueError, match="lacks columns"):
        aggregate(f, rank_by="owa")
    with pytest.raises(ValueError, match="more than one row"):
        aggregate(pd.concat([f, f.iloc[:1]]))
    with pytest.raises(ValueError, match="alpha"):
        aggregate(f, alpha=0.0)


def test_missing_lagging_flag_counts_as_not_lagging() -> None:
    f = hand_frame().astype({"lagging": object})
    f.loc[f["model"] == "arima", "lagging"] = None
    out = aggregate(f).set_index("model")
    assert out.loc["arima", "share_lagging"] == 0.0


def random_frame(seed: int, n_series: int = 30, models: tuple[str, ...] = ("naive", "arima", "ets", "lstm")):
    rng = np.random.default_rng(seed)
    f = pd.DataFrame(
        [dict(dataset="m3", unique_id=f"s{i:02d}", model=m) for i in range(n_series) for m in models]
    )
    f["mse"] = rng.choice([0.5, 1.0, 2.0, 3.0], size=len(f))  # a coarse grid: plenty of ties
    f["smape"], f["mase"], f["rel_mse"] = f["mse"] * 10, f["mse"], f["mse"]
    f["dm_stat"], f["dm_pvalue"] = rng.normal(size=len(f)), rng.uniform(size=len(f))
    f["lagging"] = rng.uniform(size=len(f)) < 0.3
    return f


@pytest.mark.parametrize("seed", range(4))
def test_ranks_and_win_rates_are_consistent(seed: int) -> None:
    f = random_frame(seed)
    out = aggregate(f, reference="ets").set_index("model")
    k = 4
    assert out["mean_rank"].sum() == pytest.approx(k * (k + 1) / 2)  # ranks of each series sum to 10
    # A vs B and B vs A split every series between them
    assert out.loc["naive", "win_rate_reference"] + out.loc["ets", "win_rate_baseline"] == pytest.approx(1.0)
    # the same numbers whatever the row order
    shuffled = aggregate(f.sample(frac=1.0, random_state=seed), reference="ets").set_index("model")
    pd.testing.assert_frame_equal(shuffled.loc[out.index], out, check_like=True)


def test_crps_is_averaged_over_series_and_its_ratios_geometrically() -> None:
    f = hand_frame()
    assert aggregate(f)[["crps_mean", "avg_rel_crps"]].isna().all().all()  # no CRPS: blank, not an error
    lstm = f["model"] == "lstm"
    f = f.assign(crps=np.where(lstm, [1.0, 2.0, 3.0, NAN] * 3, 1.0), rel_crps=np.where(lstm, 0.5, 1.0))
    f.loc[lstm & (f["unique_id"] == "a"), "rel_crps"] = 2.0
    out = aggregate(f).set_index("model")
    assert out.loc["lstm", "crps_mean"] == pytest.approx(2.0)
    assert out.loc["lstm", "avg_rel_crps"] == pytest.approx((2.0 * 0.5**3) ** 0.25)
    assert out.loc["naive", "avg_rel_crps"] == 1.0
