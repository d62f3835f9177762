"""Point and interval metrics on cases small enough to do by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from bench.scoring import metrics as m


def test_mse_mae_rmse_by_hand() -> None:
    # errors y − ŷ = [−1, 0, −2]: squares 1, 0, 4 → 5/3; absolutes 1, 0, 2 → 1
    y, f = [1.0, 2.0, 3.0], [2.0, 2.0, 5.0]
    assert m.mse(y, f) == pytest.approx(5 / 3)
    assert m.mae(y, f) == pytest.approx(1.0)
    assert m.rmse(y, f) == pytest.approx(math.sqrt(5 / 3))


def test_smape_by_hand_on_0_to_200_scale() -> None:
    # rows: 2·10/210, perfect zero row counts 0 (not 0/0), perfect row 0 → 100/3 · 20/210
    assert m.smape([100.0, 0.0, 50.0], [110.0, 0.0, 50.0]) == pytest.approx(100 / 3 * 20 / 210)
    # the extreme: forecast 5 for an actual 0 → 2·5/5 = 2 → 200
    assert m.smape([0.0], [5.0]) == pytest.approx(200.0)
    assert m.smape([1.0], [-1.0]) == pytest.approx(200.0)


def test_mape_by_hand_and_undefined_at_a_zero_actual() -> None:
    y, f = np.array([100.0, 50.0, -20.0]), np.array([110.0, 40.0, -25.0])
    assert m.mape(y, f) == pytest.approx(100 * (0.1 + 0.2 + 0.25) / 3)
    assert math.isnan(m.mape([0.0, 1.0], [1.0, 1.0]))


def test_naive_scale_and_its_expanding_version() -> None:
    # |Δy| = 2, 1, 4 → prefix means 2, 3/2, 7/3
    y = [1.0, 3.0, 2.0, 6.0]
    assert m.naive_scale(y) == pytest.approx(7 / 3)
    exp = m.expanding_naive_scale(y)
    assert np.isnan(exp[0])
    np.testing.assert_allclose(exp[1:], [2.0, 1.5, 7 / 3])
    for p in range(1, 4):
        assert exp[p] == pytest.approx(m.naive_scale(y[: p + 1]))


def test_mase_uses_each_rows_scale() -> None:
    # |e| = 1, 2 over scales 2, 4 → (0.5 + 0.5) / 2
    assert m.mase([4.0, 5.0], [3.0, 7.0], [2.0, 4.0]) == pytest.approx(0.5)
    assert m.mase([4.0, 5.0], [3.0, 7.0], 1.0) == pytest.approx(1.5)
    assert np.isnan(m.mase([4.0, 5.0], [3.0, 7.0], [2.0, 0.0]))


def test_coverage_and_width_by_hand() -> None:
    # 1 ∈ [0, 2] yes; 2 ∈ [2.5, 3] no; 3 ∈ [3, 3] yes (closed); 4 ∈ [0, 3] no
    y, lo, hi = [1.0, 2.0, 3.0, 4.0], [0.0, 2.5, 3.0, 0.0], [2.0, 3.0, 3.0, 3.0]
    assert m.coverage(y, lo, hi) == pytest.approx(0.5)
    assert m.interval_width(lo, hi) == pytest.approx((2 + 0.5 + 0 + 3) / 4)


def test_gaussian_nll_by_hand_and_against_scipy() -> None:
    # standard normal at its mean... one sd away: ½·log(2π) + ½
    assert m.gaussian_nll([1.0], [0.0], [1.0]) == pytest.approx(0.5 * math.log(2 * math.pi) + 0.5)
    rng = np.random.default_rng(3)
    y, mu, var = rng.normal(size=50), rng.normal(size=50), rng.uniform(0.5, 2.0, 50)
    expected = -np.mean(stats.norm.logpdf(y, loc=mu, scale=np.sqrt(var)))
    assert m.gaussian_nll(y, mu, var) == pytest.approx(expected)
    assert np.isnan(m.gaussian_nll([1.0], [0.0], [0.0]))


def test_qlike_by_hand_and_minimised_at_the_true_variance() -> None:
    # rows: log 4 + 4/4 and log 1 + 0/1 → (log 4 + 1) / 2; a zero return stays finite
    assert m.qlike([2.0, 0.0], [4.0, 1.0]) == pytest.approx((math.log(4) + 1) / 2)
    assert m.qlike([2.0], [4.0]) < min(m.qlike([2.0], [3.0]), m.qlike([2.0], [5.0]))
    assert np.isnan(m.qlike([1.0], [-1.0]))


def test_empty_input_gives_nan_and_misaligned_input_raises() -> None:
    assert np.isnan(m.mse([], []))
    assert np.isnan(m.smape([], []))
    assert np.isnan(m.coverage([], [], []))
    with pytest.raises(ValueError, match="differ in length"):
        m.mae([1.0, 2.0], [1.0])
