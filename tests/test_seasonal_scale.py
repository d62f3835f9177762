"""The seasonal-naive MASE scale of the M-competitions and its expanding (per-cutoff) version."""

from __future__ import annotations

import numpy as np
import pytest

from bench.scoring import metrics as m


def test_seasonal_naive_scale_by_hand() -> None:
    # m = 2: |y2 − y0|, |y3 − y1|, |y4 − y2| = |4−1|, |2−3|, |8−4| = 3, 1, 4 → 8/3
    y = [1.0, 3.0, 4.0, 2.0, 8.0]
    assert m.seasonal_naive_scale(y, 2) == pytest.approx(8 / 3)
    assert m.seasonal_naive_scale(y, 1) == pytest.approx(m.naive_scale(y))


def test_too_short_for_the_season_falls_back_to_one_step() -> None:
    y = [1.0, 3.0, 2.0]
    assert m.seasonal_naive_scale(y, 12) == pytest.approx(m.naive_scale(y))
    assert m.seasonal_naive_scale(y, 3) == pytest.approx(1.5)  # n = m: no seasonal step yet
    assert m.seasonal_naive_scale(y, 2) == pytest.approx(1.0)  # n = m + 1: one step |2 − 1|


@pytest.mark.parametrize("period", [1, 2, 4, 12])
def test_expanding_seasonal_scale_equals_every_prefix(period: int) -> None:
    y = np.random.default_rng(5).normal(size=30).cumsum()
    exp = m.expanding_seasonal_naive_scale(y, period)
    assert np.isnan(exp[0])
    for p in range(1, y.size):
        assert exp[p] == pytest.approx(m.seasonal_naive_scale(y[: p + 1], period))
    if period == 1:
        np.testing.assert_allclose(exp, m.expanding_naive_scale(y))


def test_seasonal_scale_removes_a_pure_season() -> None:
    # a repeating pattern has a large one-step scale but a zero seasonal one
    y = np.tile([1.0, 5.0, 3.0, 9.0], 5)
    assert m.naive_scale(y) > 2
    assert m.seasonal_naive_scale(y, 4) == 0.0


@pytest.mark.parametrize("bad", [0, -1, 1.5, True])
def test_bad_period_is_refused(bad) -> None:
    with pytest.raises(ValueError, match="seasonal period"):
        m.seasonal_naive_scale([1.0, 2.0, 3.0], bad)
    with pytest.raises(ValueError, match="seasonal period"):
        m.expanding_seasonal_naive_scale([1.0, 2.0, 3.0], bad)
