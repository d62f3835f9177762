"""Right-shift diagnostics and Diebold–Mariano, checked by hand and against textbook formulas."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from bench.scoring import lag


@pytest.fixture
def walk() -> np.ndarray:
    return np.cumsum(np.random.default_rng(7).normal(size=400)) + 100.0


# --- lag scan ------------------------------------------------------------------------------------


def test_lag_scan_by_hand() -> None:
    # series 0 1 3 6 10; targets at positions 3, 4 forecast as 3, 6 (= the series one step back)
    y_full = np.array([0.0, 1.0, 3.0, 6.0, 10.0])
    curve = lag.lag_scan([3.0, 6.0], [3, 4], y_full, max_shift=2).set_index("k")
    # k=0: (3−6)², (6−10)² → 12.5; k=1: exact → 0; k=2: (3−1)², (6−3)² → 6.5
    # k=−1: only position 3 has y_4 = 10 → 49 on one row; k=−2: no row has a future value
    assert curve.loc[0, "mse"] == pytest.approx(12.5)
    assert curve.loc[1, "mse"] == pytest.approx(0.0)
    assert curve.loc[2, "mse"] == pytest.approx(6.5)
    assert (curve.loc[-1, "mse"], curve.loc[-1, "n"]) == (pytest.approx(49.0), 1)
    assert np.isnan(curve.loc[-2, "mse"]) and curve.loc[-2, "n"] == 0
    assert lag.best_shift(curve.reset_index()) == (1, pytest.approx(0.0))


@pytest.mark.parametrize("h", [1, 2, 3])
def test_naive_on_random_walk_has_best_shift_h(walk: np.ndarray, h: int) -> None:
    pos = np.arange(200, 400)
    k, gain = lag.best_shift(lag.lag_scan(walk[pos - h], pos, walk))
    assert (k, gain) == (h, pytest.approx(0.0))


def test_perfect_forecast_has_best_shift_zero_and_ties_prefer_small_shifts(
    walk: np.ndarray,
) -> None:
    pos = np.arange(300, 400)
    assert lag.best_shift(lag.lag_scan(walk[pos], pos, walk)) == (0, 1.0)
    tied = pd.DataFrame({"k": [-1, 0, 1], "mse": [2.0, 2.0, 2.0], "n": [5, 5, 5]})
    assert lag.best_shift(tied) == (0, pytest.approx(1.0))


# --- echo ratio, change correlation, direction --------------------------------------------------


def test_echo_ratio_by_hand_and_zero_for_naive(walk: np.ndarray) -> None:
    # forecast moves 1, 3 from the origin; series moves 2, 4 → √(10/2) / √(20/2) = 1/√2
    assert lag.echo_ratio([3.0, 5.0], [2.0, 4.0], [1.0, 1.0]) == pytest.approx(1 / math.sqrt(2))
    y, origin = walk[1:], walk[:-1]
    assert lag.echo_ratio(y, origin, origin) == 0.0
    assert np.isnan(lag.echo_ratio([1.0, 1.0], [2.0, 0.0], [1.0, 1.0]))


def test_change_corr_by_hand_and_nan_for_constant_change() -> None:
    y, origin = [1.0, 2.0, 3.0], [0.0, 0.0, 0.0]
    assert lag.change_corr(y, [2.0, 4.0, 6.0], origin) == pytest.approx(1.0)
    assert lag.change_corr(y, [3.0, 2.0, 1.0], origin) == pytest.approx(-1.0)
    assert np.isnan(lag.change_corr(y, origin, origin))  # naive: forecast change always 0


def test_direction_accuracy_by_hand_skips_zero_changes() -> None:
    # actual moves +1 −1 +2 −2 0; forecast +1 +1 +3 −1 +5: last row has no actual direction,
    # the remaining four agree T F T T → 3/4
    res = lag.direction_accuracy([1.0, -1.0, 2.0, -2.0, 0.0], [1.0, 1.0, 3.0, -1.0, 5.0], [0.0] * 5)
    assert (res.acc, res.n) == (pytest.approx(0.75), 4)
    naive = lag.direction_accuracy([1.0, -1.0], [0.0, 0.0], [0.0, 0.0])
    assert np.isnan(naive.acc) and naive.n == 0


def test_pesaran_timmermann_perfect_direction_gives_tiny_p() -> None:
    # n = 20, half up, all signs right: P = 1, P_y = P_x = ½, P* = ½, V(P) = 1/(4n),
    # V(P*) = 4·(1/16)/n² = 1/(4n²) → S = ½ / √(1/(4n) − 1/(4n²)) = n / √(n − 1)
    actual = np.tile([1.0, -1.0], 10)
    stat, p = lag.pesaran_timmermann(actual, 0.3 * actual)
    assert stat == pytest.approx(20 / math.sqrt(19))
    assert p == pytest.approx(stats.norm.sf(20 / math.sqrt(19))) and p < 1e-4


def test_pesaran_timmermann_against_a_count_based_formula() -> None:
    rng = np.random.default_rng(11)
    actual = rng.normal(size=80)
    forecast = 0.5 * actual + rng.normal(size=80)
    # independent write-up from the 2×2 table of signs
    n = 80
    uu = np.sum((actual > 0) & (forecast > 0))
    dd = np.sum((actual <= 0) & (forecast <= 0))
    py, px = np.sum(actual > 0) / n, np.sum(forecast > 0) / n
    p_hat = (uu + dd) / n
    p_star = py * px + (1 - py) * (1 - px)
    var_p = p_star * (1 - p_star) / n
    var_star = (
        ((2 * py - 1) ** 2) * px * (1 - px) / n
        + ((2 * px - 1) ** 2) * py * (1 - py) / n
        + 4 * py * px * (1 - py) * (1 - px) / n**2
    )
    s = (p_hat - p_star) / math.sqrt(var_p - var_star)
    stat, p = lag.pesaran_timmermann(actual, forecast)
    assert stat == pytest.approx(s)
    assert p == pytest.approx(1 - stats.norm.cdf(s))
    assert np.isnan(lag.pesaran_timmermann(actual, np.abs(forecast))[0])  # never predicts down


# --- encompassing --------------------------------------------------------------------------------


def test_encompassing_recovers_exact_coefficients() -> None:
    rng = np.random.default_rng(0)
    f, origin = rng.normal(size=30), rng.normal(size=30)
    y = 2.0 + 0.5 * f + 0.25 * origin
    enc = lag.encompassing(y, f, origin)
    assert (enc.a, enc.b, enc.c) == pytest.approx((2.0, 0.5, 0.25))
    assert enc.b_se == pytest.approx(0.0, abs=1e-10)  # an exact fit leaves no uncertainty


def test_encompassing_standard_error_matches_statsmodels_ols() -> None:
    rng = np.random.default_rng(4)
    f, origin = rng.normal(size=50), rng.normal(size=50)
    y = 1.0 + 0.3 * f + 0.6 * origin + rng.normal(size=50)
    fit = sm.OLS(y, sm.add_constant(np.column_stack([f, origin]))).fit()
    enc = lag.encompassing(y, f, origin)
    assert (enc.a, enc.b, enc.c) == pytest.approx(tuple(fit.params))
    assert enc.b_se == pytest.approx(fit.bse[1])


def test_encompassing_of_noisy_lagged_forecast_gives_c_one_b_zero(walk: np.ndarray) -> None:
    rng = np.random.default_rng(1)
    y, origin = walk[1:], walk[:-1]
    echo = origin + rng.normal(scale=1.0, size=origin.size)
    enc = lag.encompassing(y, echo, origin)
    assert enc.c == pytest.approx(1.0, abs=0.15)
    assert enc.b == pytest.approx(0.0, abs=0.15)
    skilled = lag.encompassing(y, y + rng.normal(scale=0.1, size=y.size), origin)
    assert skilled.b == pytest.approx(1.0, abs=0.1) and skilled.c == pytest.approx(0.0, abs=0.1)


def test_encompassing_returns_nan_when_forecast_is_the_origin(walk: np.ndarray) -> None:
    y, origin = walk[1:], walk[:-1]
    assert all(np.isnan(v) for v in lag.encompassing(y, origin, origin))
    assert all(np.isnan(v) for v in lag.encompassing(y, 3.0 + 2.0 * origin, origin))


# --- increments (differenced-scale metrics) ------------------------------------------------------


def test_increments_by_hand_and_across_a_missing_fold() -> None:
    np.testing.assert_allclose(lag.increments([1.0, 2.0, 4.0, 7.0], [10, 11, 12, 13]), [1, 2, 3])
    # fold at 12 missing: the 11→13 pair spans two steps and is dropped
    np.testing.assert_allclose(lag.increments([1.0, 2.0, 4.0, 7.0], [10, 11, 13, 14]), [1, 3])
    with pytest.raises(ValueError, match="increasing"):
        lag.increments([1.0, 2.0], [5, 4])


def test_increments_expose_a_right_shifted_curve(walk: np.ndarray) -> None:
    pos = np.arange(1, 400)
    dy = lag.increments(walk[pos], pos)
    shifted = lag.increments(walk[pos - 1], pos)
    # Δŷ_t = Δy_{t−1}: for a random walk its change error is ~2σ², worse than predicting no change
    assert np.mean((shifted - dy) ** 2) > 1.5 * np.mean(dy**2)


def test_increment_errors_of_optimal_and_naive_forecasts_on_ar1_differences() -> None:
    # documented caveat: Δŷ mixes two origins' information, so the optimal forecast scores
    # 2σ² while naive scores 2σ²/(1 + φ) — a shape diagnostic, not a proper score
    phi, n = 0.6, 20_000
    e = np.random.default_rng(8).normal(size=n)
    dy = np.zeros(n)
    for t in range(1, n):
        dy[t] = phi * dy[t - 1] + e[t]
    y = np.cumsum(dy)
    pos = np.arange(2, n)
    oracle = y[pos - 1] + phi * dy[pos - 1]
    truth = lag.increments(y[pos], pos)
    assert np.mean((lag.increments(oracle, pos) - truth) ** 2) == pytest.approx(2.0, rel=0.05)
    naive = lag.increments(y[pos - 1], pos)
    assert np.mean((naive - truth) ** 2) == pytest.approx(2 / (1 + phi), rel=0.05)


# --- Diebold–Mariano -----------------------------------------------------------------------------


def textbook_dm(d: np.ndarray, h: int) -> tuple[float, float]:
    """Diebold & Mariano (1995) + Harvey, Leybourne & Newbold (1997), written with plain loops."""
    n = len(d)
    mean = sum(d) / n
    gammas = []
    for k in range(h):
        acc = 0.0
        for t in range(k, n):
            acc += (d[t] - mean) * (d[t - k] - mean)
        gammas.append(acc / n)
    var = (gammas[0] + 2 * sum(gammas[1:])) / n
    assert var > 0, "example must exercise the plain (truncated) estimator"
    dm = mean / math.sqrt(var)
    dm *= math.sqrt((n + 1 - 2 * h + h * (h - 1) / n) / n)
    return dm, 2 * stats.t.sf(abs(dm), n - 1)


def test_dm_tiny_case_by_hand() -> None:
    # d = 1 −1 2 0: d̄ = ½, γ0 = (¼ + 9/4 + 9/4 + ¼)/4 = 5/4, DM = ½/√(5/16) = 2/√5,
    # HLN (h = 1): √((4 − 1)/4) → DM* = √(3/5); p from t with 3 df
    res = lag.diebold_mariano([1.0, -1.0, 2.0, 0.0], [0.0, 0.0, 0.0, 0.0], h=1)
    assert res.stat == pytest.approx(math.sqrt(3 / 5))
    assert res.pvalue == pytest.approx(2 * stats.t.sf(math.sqrt(3 / 5), 3))
    assert res.n == 4


@pytest.mark.parametrize("h", [1, 2, 3, 5])
def test_dm_matches_textbook_loops(h: int) -> None:
    rng = np.random.default_rng(2024)
    e_model = rng.normal(scale=0.9, size=120)
    e_base = e_model + rng.normal(scale=0.6, size=120)
    d = e_model**2 - e_base**2
    stat, p = textbook_dm(d, h)
    res = lag.diebold_mariano(e_model**2, e_base**2, h=h)
    assert res.stat == pytest.approx(stat, rel=1e-10)
    assert res.pvalue == pytest.approx(p, rel=1e-8)
    assert res.stat < 0  # the model has the smaller errors


def test_dm_one_step_equals_one_sample_t_test() -> None:
    # at h = 1 the HLN factor √((n−1)/n) turns the biased γ0 into the sample variance
    rng = np.random.default_rng(5)
    a, b = rng.normal(size=60) ** 2, rng.normal(size=60) ** 2
    t = stats.ttest_1samp(a - b, 0.0)
    res = lag.diebold_mariano(a, b, h=1)
    assert (res.stat, res.pvalue) == (pytest.approx(t.statistic), pytest.approx(t.pvalue))


def test_dm_falls_back_to_bartlett_weights_when_variance_is_negative() -> None:
    # d = ½ + (−1)^t, n = 40: γ0 = 1, γ1 = −39/40, truncated V = 1 − 2·39/40 < 0;
    # Bartlett (weight ½): V = 1 − 39/40 = 1/40 → DM = ½ / √(1/40/40) = 20, times HLN(h=2)
    n = 40
    d = 0.5 + (-1.0) ** np.arange(n)
    res = lag.diebold_mariano(d, np.zeros(n), h=2)
    assert res.stat == pytest.approx(20.0 * math.sqrt((n + 1 - 4 + 2 / n) / n))


def test_dm_is_nan_for_identical_forecasts_or_too_few_rows() -> None:
    loss = np.arange(10.0)
    assert all(np.isnan([*lag.diebold_mariano(loss, loss)[:2]]))
    assert np.isnan(lag.diebold_mariano([1.0], [2.0]).stat)
    assert np.isnan(lag.diebold_mariano([1.0, 3.0, 2.0], [0.0, 0.0, 0.0], h=3).stat)  # HLN < 0
