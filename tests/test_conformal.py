"""Conformal intervals from a model's own earlier errors: ranks, calibration sets, coverage, marking.

The leakage property (data rewritten after an origin moves no conformal interval made at or before
it) is in tests/test_property_leakage.py and, end to end through the CSV loader, tests/test_suite.py.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bench.engine import conformal
from bench.engine import crps as cr
from bench.settings import ConformalSettings, fewest_errors


def one_run(y: np.ndarray, y_hat: np.ndarray, h: int = 1) -> dict[str, np.ndarray]:
    """Rows of one (series, model, seed) run: origin t forecasts the targets t + 1 … t + h."""
    n = len(y) - h
    cutoff = np.repeat(np.arange(n), h)
    step = np.tile(np.arange(1, h + 1), n)
    return dict(cutoff=cutoff, ds=cutoff + step, h=step, y=y[cutoff + step], y_hat=y_hat[cutoff + step])


@pytest.mark.parametrize("level", [0.5, 0.8, 0.9, 0.95, 0.99])
def test_fewest_errors_is_the_smallest_count_with_both_ranks(level):
    def ok(n: int) -> bool:
        lo, hi = conformal.ranks(n, level)
        return lo >= 1 and hi <= n

    n = fewest_errors(level)
    assert ok(n) and not any(ok(k) for k in range(1, n))
    assert ConformalSettings().needed(level) == n and ConformalSettings(min_errors=50).needed(level) == 50


def test_fewest_errors_at_ninety_percent_is_nineteen():
    assert fewest_errors(0.9) == 19 and conformal.ranks(19, 0.9) == (1, 19)


def test_the_interval_is_the_order_statistics_of_the_earlier_errors():
    rng = np.random.default_rng(0)
    y, y_hat = rng.normal(size=41), rng.normal(size=41)
    r = one_run(y, y_hat)
    lo, hi, _ = conformal.intervals(**r, level=0.8, min_errors=9)
    errors = r["y"] - r["y_hat"]
    for i in range(len(lo)):  # origin i knows the errors of targets 1..i: the first i rows
        if i < 9:
            assert np.isnan(lo[i]) and np.isnan(hi[i])
            continue
        cal = np.sort(errors[:i])
        a, b = conformal.ranks(i, 0.8)
        assert (lo[i], hi[i]) == (r["y_hat"][i] + cal[a - 1], r["y_hat"][i] + cal[b - 1])


def test_a_k_step_row_uses_only_errors_whose_target_is_known_at_its_origin():
    rng = np.random.default_rng(1)
    y = rng.normal(size=40)
    r = one_run(y, np.zeros(40), h=3)
    lo, hi, _ = conformal.intervals(**r, level=0.5, min_errors=3)
    for i in np.flatnonzero(np.isfinite(lo)):
        k, t = r["h"][i], r["cutoff"][i]
        known = (r["h"] == k) & (r["ds"] <= t)
        assert known.sum() == t - k + 1  # origins 0 … t − k have their k-step target by t
        cal = np.sort((r["y"] - r["y_hat"])[known])
        a, b = conformal.ranks(int(known.sum()), 0.5)
        assert (lo[i], hi[i]) == (cal[a - 1], cal[b - 1])
    first = {k: r["cutoff"][(r["h"] == k) & np.isfinite(lo)].min() for k in (1, 2, 3)}
    assert first == {1: 3, 2: 4, 3: 5}  # three errors known from origin k + 2 on


def test_coverage_is_near_the_level_when_errors_are_exchangeable():
    rng = np.random.default_rng(5)
    y = rng.standard_t(5, size=3001)
    r = one_run(y, np.zeros_like(y))
    lo, hi, _ = conformal.intervals(**r, level=0.9, min_errors=19)
    ok = np.isfinite(lo)
    inside = (r["y"][ok] >= lo[ok]) & (r["y"][ok] <= hi[ok])
    assert ok.sum() == 3000 - 19 and 0.88 < inside.mean() < 0.925


def test_the_crps_of_a_conformal_row_is_that_of_forecast_plus_its_calibration_errors():
    rng = np.random.default_rng(2)
    y, y_hat = rng.normal(size=30), 0.3 * rng.normal(size=30)
    r = one_run(y, y_hat)
    _, _, crps = conformal.intervals(**r, level=0.9, min_errors=19)
    errors = r["y"] - r["y_hat"]
    for i in range(19, len(crps)):
        members = r["y_hat"][i] + errors[:i]
        brute = np.mean(np.abs(members - r["y"][i])) - 0.5 * np.mean(np.abs(members[:, None] - members))
        assert crps[i] == pytest.approx(brute, rel=1e-12)
        assert crps[i] == pytest.approx(float(cr.ensemble(r["y"][i], members)), rel=1e-12)


def frame(model: str, seed: int, r: dict, interval: str = "") -> pd.DataFrame:
    n = len(r["y"])
    return pd.DataFrame(
        {
            "dataset": "d",
            "unique_id": "u",
            "model": model,
            "seed": seed,
            **r,
            "y_lo": np.nan if not interval else r["y_hat"] - 1,
            "y_hi": np.nan if not interval else r["y_hat"] + 1,
            "crps": np.nan if not interval else 0.5,
            "y_interval": [interval] * n,
        }  # fmt: skip
    )


def test_apply_fills_runs_without_their_own_interval_per_seed_and_leaves_the_others_alone():
    rng = np.random.default_rng(3)
    y = rng.normal(size=31)
    own = frame("arima", 0, one_run(y, np.zeros(31)), interval="model")
    seed0 = frame("lstm", 0, one_run(y, np.zeros(31)))
    seed1 = frame("lstm", 1, one_run(y, 0.5 * y))  # another seed: its own errors, its own intervals
    out = conformal.apply(pd.concat([own, seed0, seed1], ignore_index=True), level=0.9, min_errors=19)
    pd.testing.assert_frame_equal(out.iloc[: len(own)], own)
    for seed, rows in ((0, seed0), (1, seed1)):
        got = out[(out["model"] == "lstm") & (out["seed"] == seed)]
        lo, hi, crps = conformal.intervals(
            rows["cutoff"].to_numpy(), rows["ds"].to_numpy(), rows["h"].to_numpy(), rows["y"].to_numpy(),
            rows["y_hat"].to_numpy(), 0.9, 19,
        )  # fmt: skip
        np.testing.assert_array_equal(got["y_lo"], lo)
        np.testing.assert_array_equal(got["crps"], crps)
        assert list(got["y_interval"]) == [""] * 19 + ["conformal"] * 11
    assert not np.array_equal(out.loc[out["seed"].eq(1), "y_lo"].dropna(), out.loc[
        out["model"].eq("lstm") & out["seed"].eq(0), "y_lo"].dropna())  # fmt: skip


def test_timestamps_work_like_positions():
    y = np.random.default_rng(4).normal(size=30)
    r = one_run(y, np.zeros(30), h=2)
    dates = pd.date_range("2020-01-01", periods=40, freq="D").to_numpy()
    as_dates = {**r, "cutoff": dates[r["cutoff"]], "ds": dates[r["ds"]]}
    for a, b in zip(conformal.intervals(**r, level=0.5, min_errors=3),
                    conformal.intervals(**as_dates, level=0.5, min_errors=3), strict=True):  # fmt: skip
        np.testing.assert_array_equal(a, b)
