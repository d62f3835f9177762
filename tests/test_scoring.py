"""The verdict rules and the frame-level scorer: tidy frames in, metrics table out (no models fitted)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from bench.scoring import frame as sc
from bench.scoring import lag
from bench.scoring import verdict as vd
from bench.scoring.scores import Rows
from bench.settings import DEFAULT_METRICS, ScoringSettings

Rule = Callable[[np.ndarray, int], np.ndarray]  # (history, h) -> h forecasts


def naive(hist: np.ndarray, h: int) -> np.ndarray:
    return np.repeat(hist[-1], h)


def backtest(
    y: np.ndarray, rules: dict[str, Rule], folds: int, horizon: int = 1, dataset: str = "d"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Forecasts and series frames in the runner's layout, origins counted back from the end."""
    rows = []
    for origin in range(len(y) - horizon - folds, len(y) - horizon):
        for model, rule in rules.items():
            fc = rule(y[: origin + 1], horizon)
            for step in range(1, horizon + 1):
                t = origin + step
                rows.append((dataset, model, 0, origin, t, step, y[t], fc[step - 1], y[origin]))
    cols = ["dataset", "model", "seed", "cutoff", "ds", "h", "y", "y_hat", "y_origin"]
    fc_frame = pd.DataFrame(rows, columns=cols).assign(y_var=np.nan, y_lo=np.nan, y_hi=np.nan)
    series = pd.DataFrame({"dataset": dataset, "ds": np.arange(len(y)), "y": y})
    return fc_frame, series


def random_walk(n: int = 300, seed: int = 0) -> np.ndarray:
    return 100.0 + np.cumsum(np.random.default_rng(seed).normal(size=n))


def ar1_in_differences(n: int = 400, phi: float = 0.6, seed: int = 3) -> np.ndarray:
    e = np.random.default_rng(seed).normal(size=n)
    dy = np.zeros(n)
    for t in range(1, n):
        dy[t] = phi * dy[t - 1] + e[t]
    return 50.0 + np.cumsum(dy)


def echo(hist: np.ndarray, h: int) -> np.ndarray:
    """A 'neural net' that learned to repeat the last value with a little wobble."""
    jitter = 0.05 * np.sin(len(hist))
    return np.repeat(hist[-1] + jitter, h)


def row(table: pd.DataFrame, model: str) -> pd.Series:
    return table.set_index("model").loc[model]


# --- verdict logic -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stat", "p", "expected"),
    [
        (-3.0, 0.01, vd.BEATS),
        (3.0, 0.01, vd.WORSE),
        (-3.0, 0.2, vd.NO_BETTER),
        (3.0, 0.2, vd.NO_BETTER),
        (-2.0, 0.05, vd.NO_BETTER),  # p must be strictly below alpha
        (np.nan, np.nan, vd.NO_BETTER),  # untestable (e.g. naive against itself)
    ],
)
def test_verdict_table(stat: float, p: float, expected: str) -> None:
    assert vd.verdict(stat, p, alpha=0.05) == expected


def test_verdict_alpha_is_configurable() -> None:
    assert vd.verdict(-2.0, 0.08, alpha=0.1) == vd.BEATS
    assert vd.verdict(-2.0, 0.08, alpha=0.05) == vd.NO_BETTER


@pytest.mark.parametrize(
    ("verdict", "shift", "h", "echo_ratio", "expected"),
    [
        (vd.NO_BETTER, 1, 1, 0.9, True),  # shifted by h
        (vd.NO_BETTER, 0, 1, 0.1, True),  # barely moves
        (vd.WORSE, 2, 2, 0.5, True),
        (vd.NO_BETTER, 0, 1, 0.5, False),  # no lag signature
        (vd.BEATS, 1, 1, 0.05, False),  # significantly better is never "lagging"
        (vd.NO_BETTER, np.nan, 1, np.nan, False),
    ],
)
def test_lagging_table(verdict: str, shift: float, h: int, echo_ratio: float, expected: bool) -> None:
    assert vd.is_lagging(verdict, shift, h, echo_ratio, echo_threshold=0.2) is expected


@pytest.mark.parametrize(
    ("shift", "gain", "expected"),
    [
        (3, 0.4, True),
        (2, 0.55, True),
        (3, 0.7, False),
        (3, np.nan, False),
        (-2, 0.1, False),
        (5, 0.3, False),
    ],  # fmt: skip
)
def test_trailing_by_more_than_h_with_a_clear_gain_is_lagging(shift, gain, expected) -> None:
    # A level-trained net that trails the actuals by 3 steps is persistence made worse; a minimum
    # on the edge of the scan (K = 5) is not a minimum.
    assert vd.is_lagging(vd.WORSE, shift, 1, 0.9, shift_gain=gain) is expected


def test_echo_threshold_is_configurable() -> None:
    assert vd.is_lagging(vd.NO_BETTER, 0, 1, 0.3, echo_threshold=0.5)
    assert not vd.is_lagging(vd.NO_BETTER, 0, 1, 0.3, echo_threshold=0.2)


@pytest.mark.parametrize(
    ("mse", "std", "ref", "expected"),
    [
        (1.0, 0.1, 1.5, True),
        (1.0, 0.6, 1.5, False),
        (1.0, np.nan, 1.1, True),
        (2.0, 0.0, 1.0, False),
    ],
)
def test_beats_reference_needs_gap_beyond_seed_spread(
    mse: float, std: float, ref: float, expected: bool
) -> None:
    assert vd.beats_reference(mse, std, ref) is expected


def test_verdict_sentence_describes_right_shift_lag() -> None:
    text = vd.verdict_sentence(
        {
            "model": "lstm",
            "n": 100,
            "verdict": vd.NO_BETTER,
            "dm_pvalue": 0.41,
            "rel_mse": 1.02,
            "best_shift": 1,
            "diag_h": 1,
            "echo_ratio": 0.08,
            "lagging": True,
        }  # fmt: skip
    )
    assert text == (
        "lstm: no better than persistence (DM p = 0.41, MSE ratio 1.02); its forecasts match the"
        " actuals shifted by +1 step and move only 8 % as much as the series — right-shift lag."
    )
    assert vd.verdict_sentence({"model": "naive"}).startswith("naive: the yardstick")
    beats = vd.verdict_sentence(
        {
            "model": "arima",
            "n": 50,
            "verdict": vd.BEATS,
            "dm_pvalue": 0.0031,
            "rel_mse": np.nan,
            "best_shift": 0,
            "diag_h": 1,
            "echo_ratio": 0.61,
            "lagging": False,
            "n_seeds": 1,
        }  # fmt: skip
    )
    assert beats == (
        "arima: beats persistence (DM p = 0.0031, MSE ratio n/a); its forecasts move 61 % as much"
        " as the series (best shift +0)."
    )


def test_verdict_sentence_of_seeds_gives_the_ensembles_test_and_counts_the_seeds() -> None:
    base = {"model": "lstm", "n": 50, "verdict": vd.NO_BETTER, "dm_pvalue": 0.2, "rel_mse": 0.95,
            "best_shift": 0, "diag_h": 1, "echo_ratio": 0.7, "lagging": False,
            "n_seeds": 3, "ens_rel_mse": 0.93, "seeds_beat": 1}  # fmt: skip
    text = vd.verdict_sentence({**base, "beats_ref": False})
    assert text.startswith(
        "lstm: no better than persistence (mean forecast of 3 seeds: DM p = 0.20, MSE ratio 0.93)"
    )
    assert text.endswith(
        "; each seed alone: MSE ratio 0.95 on average, significantly better in 1 of 3; "
        "does not beat arima by more than its seed spread."
    )
    assert "beats arima by more than its seed spread" in vd.verdict_sentence({**base, "beats_ref": True})
    assert "arima" not in vd.verdict_sentence({**base, "beats_ref": np.nan})


# --- frame-level scoring -------------------------------------------------------------------------


def test_random_walk_naive_is_the_pure_lag_and_an_echo_is_flagged() -> None:
    fc, series = backtest(random_walk(), {"naive": naive, "echo": echo}, folds=120)
    table = sc.score(fc, series)
    nv, ec = row(table, "naive"), row(table, "echo")
    assert nv["best_shift"] == 1 and nv["shift_gain"] == 0.0 and nv["echo_ratio"] == 0.0
    assert nv["rel_mse"] == 1.0 and np.isnan(nv["dm_pvalue"]) and np.isnan(nv["change_corr"])
    assert np.isnan(nv["enc_b"]) and np.isnan(nv["dir_acc"])
    assert nv["verdict_text"].startswith("naive: the yardstick")
    assert ec["verdict"] != vd.BEATS and ec["lagging"]
    assert ec["best_shift"] == 1 and ec["echo_ratio"] < 0.2
    assert "right-shift lag" in ec["verdict_text"]


def test_ar1_in_differences_oracle_beats_naive() -> None:
    phi = 0.6

    def oracle(hist: np.ndarray, h: int) -> np.ndarray:
        steps = phi ** np.arange(1, h + 1) * (hist[-1] - hist[-2])
        return hist[-1] + np.cumsum(steps)

    fc, series = backtest(ar1_in_differences(phi=phi), {"naive": naive, "arima": oracle}, 200)
    ar = row(sc.score(fc, series), "arima")
    assert ar["verdict"] == vd.BEATS and ar["dm_stat"] < 0 and ar["dm_pvalue"] < 0.01
    assert ar["rel_mse"] < 0.8 and not ar["lagging"]
    assert ar["change_corr"] > 0.4 and ar["dir_acc"] > 0.6 and ar["dir_pvalue"] < 0.05
    assert ar["echo_ratio"] == pytest.approx(0.6, abs=0.05)  # moves φ as much as the series
    # even the optimal forecast of an integrated series sits nearer y_{t−1} than y_t
    # (φ²·Var Δy = 0.56 < σ² = 1): best_shift = h alone is no proof of lag, hence the DM gate
    assert ar["best_shift"] == 1 and ar["shift_gain"] < 1
    assert "beats persistence" in ar["verdict_text"] and "lag" not in ar["verdict_text"]


def test_mase_uses_the_series_up_to_each_cutoff() -> None:
    # series 1 3 2 6 5; origin at position 2 sees 1 3 2 → scale (2 + 1)/2 = 1.5;
    # target 6 forecast 3 → |3| / 1.5 = 2
    y = np.array([1.0, 3.0, 2.0, 6.0, 5.0])
    fc, series = backtest(y, {"m": lambda hist, h: np.array([3.0])}, folds=2)
    fc = fc[fc["cutoff"] == 2]
    assert sc.score_seeds(fc, series)["mase"].iloc[0] == pytest.approx(2.0)


def test_rel_mse_only_on_rows_both_models_have() -> None:
    y = np.array([0.0, 1.0, 2.0, 4.0, 7.0])
    fc, series = backtest(y, {"naive": naive, "m": lambda hist, h: hist[-1:] + 1.0}, folds=3)
    # drop the model's middle fold: remaining targets 2, 7 with errors 0, 2 (model) and 1, 3 (naive)
    fc = fc[~((fc["model"] == "m") & (fc["cutoff"] == 2))]
    m = row(sc.score(fc, series), "m")
    assert m["rel_mse"] == pytest.approx((0 + 4) / (1 + 9))
    assert m["mse"] == pytest.approx(2.0) and m["n"] == 2


def test_interval_metrics_only_for_models_with_variance() -> None:
    fc, series = backtest(random_walk(80), {"naive": naive, "g": naive}, folds=20)
    g = fc["model"] == "g"
    fc.loc[g, "y_var"] = 1.0
    fc.loc[g, "y_lo"] = fc.loc[g, "y_hat"] - 1.645
    fc.loc[g, "y_hi"] = fc.loc[g, "y_hat"] + 1.645
    table = sc.score(fc, series)
    assert row(table, "g")["width"] == pytest.approx(3.29)
    assert 0.5 < row(table, "g")["coverage"] <= 1.0 and np.isfinite(row(table, "g")["nll"])
    assert row(table, "naive")[["coverage", "width", "nll", "qlike", "crps", "winkler"]].isna().all()
    w = 3.29 + 20 * np.mean(np.maximum(np.abs(fc.loc[g, "y"] - fc.loc[g, "y_hat"]) - 1.645, 0))
    assert row(table, "g")["winkler"] == pytest.approx(w)


def double_mae(r: Rows) -> dict[str, float]:
    """A user's metric, named by import path in ``metrics``."""
    return {"double_mae": 2.0 * float(np.mean(np.abs(r.y - r.y_hat)))}


def test_a_user_metric_by_import_path_adds_a_column_and_changes_no_other() -> None:
    fc, series = backtest(random_walk(80), {"naive": naive, "echo": echo}, folds=30)
    plain = sc.score(fc, series)
    mine = sc.score(fc, series, ScoringSettings(metrics=(*DEFAULT_METRICS, "test_scoring.double_mae")))
    assert mine.columns.get_loc("double_mae") == mine.columns.get_loc("pinball") + 1  # metric order
    assert "double_mae_std" in mine and len(mine.columns) == len(plain.columns) + 2
    pd.testing.assert_frame_equal(mine[plain.columns], plain)
    assert row(mine, "echo")["double_mae"] == pytest.approx(2 * row(plain, "echo")["mae"])


def test_dm_on_crps_says_whether_a_distribution_beats_persistence() -> None:
    fc, series = backtest(random_walk(200), {"naive": naive, "sharp": naive, "vague": naive}, folds=120)
    rng = np.random.default_rng(0)
    base = rng.gamma(2.0, 1.0, size=120)
    crps = {"naive": base, "sharp": 0.6 * base + 0.05 * rng.random(120), "vague": 1.5 * base}
    for model, values in crps.items():
        fc.loc[fc["model"] == model, "crps"] = values
    table = sc.score(fc, series)
    sharp, vague, yard = row(table, "sharp"), row(table, "vague"), row(table, "naive")
    assert sharp["dm_stat_crps"] < 0 and sharp["dm_pvalue_crps"] < 1e-6
    assert sharp["rel_crps"] == pytest.approx(np.mean(crps["sharp"]) / np.mean(base))
    assert vague["dm_stat_crps"] > 0 and vague["dm_pvalue_crps"] < 1e-6
    assert yard["rel_crps"] == 1.0 and np.isnan(yard["dm_pvalue_crps"])
    assert sharp["crps"] == pytest.approx(np.mean(crps["sharp"]))


def test_seeds_average_their_errors_but_the_test_and_verdict_are_the_seed_ensembles() -> None:
    fc, series = backtest(ar1_in_differences(), {"naive": naive, "lstm": naive}, folds=60)
    lstm = fc[fc["model"] == "lstm"]
    good = lstm.assign(seed=1, y_hat=lstm["y"] + 0.1 * np.sin(np.arange(len(lstm))))
    bad = lstm.assign(seed=2, y_hat=lstm["y_origin"] + 3.0)
    fc = pd.concat([fc[fc["model"] == "naive"], good, bad], ignore_index=True)
    per_seed = sc.score_seeds(fc, series).set_index(["model", "seed"])
    assert per_seed.loc[("lstm", 1), "verdict"] == vd.BEATS
    assert per_seed.loc[("lstm", 2), "verdict"] == vd.WORSE
    table = sc.score(fc, series)
    agg = row(table, "lstm")
    mses = per_seed.loc["lstm", "mse"].to_numpy()
    assert agg["n_seeds"] == 2 and agg["mse"] == pytest.approx(mses.mean())
    assert agg["mse_std"] == pytest.approx(mses.std(ddof=1))
    # the mean forecast over the two seeds, tested like any model: one forecast, one p-value
    y, y_naive = good["y"].to_numpy(), good["y_origin"].to_numpy()
    ens = (good["y_hat"].to_numpy() + bad["y_hat"].to_numpy()) / 2
    dm = lag.diebold_mariano((y - ens) ** 2, (y - y_naive) ** 2, h=1)
    assert agg["dm_pvalue"] == pytest.approx(dm.pvalue) and agg["dm_stat"] == pytest.approx(dm.stat)
    assert agg["verdict"] == vd.verdict(dm.stat, dm.pvalue)
    assert agg["ens_rel_mse"] == pytest.approx(np.mean((y - ens) ** 2) / np.mean((y - y_naive) ** 2))
    assert agg["seeds_beat"] == 1  # one of the two seeds beats naive alone
    assert "significantly better in 1 of 2" in agg["verdict_text"]
    # a mean of p-values is no p-value: no test is averaged and none gets a seed spread
    assert not [c for c in table.columns if c.endswith("_std") and ("pvalue" in c or "dm_stat" in c)]
    assert agg["dm_pvalue"] not in per_seed.loc["lstm", "dm_pvalue"].to_numpy()


def test_one_seed_keeps_its_own_test_and_verdict() -> None:
    fc, series = backtest(ar1_in_differences(), {"naive": naive, "lstm": naive}, folds=60)
    lstm = fc["model"] == "lstm"
    fc.loc[lstm, "y_hat"] = fc.loc[lstm, "y"] + 0.1 * np.sin(np.arange(int(lstm.sum())))
    per_seed = row(sc.score_seeds(fc, series), "lstm")
    agg = row(sc.score(fc, series), "lstm")
    for col in ("dm_stat", "dm_pvalue", "dm_pvalue_vs_ref", "dir_pvalue", "verdict"):
        assert agg[col] == per_seed[col] or (pd.isna(agg[col]) and pd.isna(per_seed[col])), col
    assert np.isnan(agg["ens_rel_mse"]) and agg["seeds_beat"] == 1


@pytest.mark.parametrize(
    ("seed_mses", "expected"),
    [
        ([0.2, 0.9, 1.6], False),  # mean 0.9 < 1.0, but the gap 0.1 is inside the spread 0.7
        ([0.8, 0.85, 0.9], True),  # mean 0.85: gap 0.15 > spread 0.05
        ([1.05, 1.1, 1.15], False),  # worse than arima on every seed
    ],
)
def test_beats_ref_in_the_table_needs_a_gap_beyond_the_seed_spread(
    seed_mses: list[float], expected: bool
) -> None:
    fc, series = backtest(random_walk(80), {"naive": naive, "arima": naive, "lstm": naive}, folds=40)
    ar, lstm = fc["model"] == "arima", fc[fc["model"] == "lstm"]
    fc.loc[ar, "y_hat"] = fc.loc[ar, "y"] + 1.0  # constant error: MSE exactly 1
    seeds = [lstm.assign(seed=s, y_hat=lstm["y"] - np.sqrt(v)) for s, v in enumerate(seed_mses)]
    fc = pd.concat([fc[fc["model"] != "lstm"], *seeds], ignore_index=True)
    table = sc.score(fc, series)
    lstm_row = row(table, "lstm")
    assert lstm_row["mse"] == pytest.approx(np.mean(seed_mses))
    assert lstm_row["mse_std"] == pytest.approx(np.std(seed_mses, ddof=1))
    assert bool(lstm_row["beats_ref"]) is expected
    assert pd.isna(row(table, "arima")["beats_ref"])  # not compared with itself


def test_per_horizon_table_and_diagnostics_on_the_first_step() -> None:
    fc, series = backtest(random_walk(), {"naive": naive, "echo": echo}, folds=50, horizon=3)
    ph = sc.per_horizon(fc).set_index(["model", "h"])
    assert list(ph.loc["naive"].index) == [1, 2, 3]
    assert (ph.loc["naive", "rel_mse"] == 1.0).all()
    assert ph.loc[("naive", 3), "mse"] > ph.loc[("naive", 1), "mse"]
    table = sc.score(fc, series)
    assert row(table, "naive")["diag_h"] == 1 and row(table, "naive")["best_shift"] == 1
    curves = sc.lag_curves(fc, series, h=3).set_index(["model", "k"])
    assert curves.loc["naive", "mse"].idxmin() == 3


def test_dm_against_arima_is_reported_when_arima_is_present() -> None:
    fc, series = backtest(random_walk(60), {"naive": naive, "arima": echo, "lstm": echo}, folds=20)
    table = sc.score(fc, series)
    assert np.isnan(row(table, "lstm")["dm_pvalue_vs_ref"])  # identical forecasts: untestable
    assert np.isnan(row(table, "arima")["dm_pvalue_vs_ref"])
    assert np.isfinite(row(table, "naive")["dm_pvalue_vs_ref"])
    without = sc.score(fc[fc["model"] != "arima"], series)
    assert without["dm_pvalue_vs_ref"].isna().all() and without["beats_ref"].isna().all()


def test_model_without_forecasts_gets_a_plain_sentence() -> None:
    # the runner outer-joins its fold accounting, so a model that failed everywhere has n = NaN
    text = vd.verdict_sentence({"model": "gru", "n": np.nan})
    assert text == "gru: no forecasts to score (failed on every fold)."


def test_timestamps_of_different_resolution_still_align() -> None:
    fc, series = backtest(random_walk(40), {"naive": naive}, folds=10)
    days = pd.date_range("2020-01-01", periods=40, freq="D")
    series["ds"] = days.as_unit("us")
    fc["ds"], fc["cutoff"] = days[fc["ds"]].as_unit("ns"), days[fc["cutoff"]].as_unit("ns")
    assert row(sc.score(fc, series), "naive")["best_shift"] == 1
    with pytest.raises(ValueError, match="not in the series"):
        sc.score(fc.assign(ds=fc["ds"] + pd.Timedelta(hours=1)), series)
