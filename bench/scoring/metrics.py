"""Point, interval and distributional accuracy metrics: pure functions of aligned 1-D arrays.

All metrics are computed on the original scale of the series, over every row handed in (no mean of
batch means). Callers drop missing rows first; an empty input gives NaN rather than a numpy warning,
so a model that failed on every fold shows up as a blank cell, not as a crash.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import stats


def aligned(*xs: npt.ArrayLike) -> tuple[np.ndarray, ...]:
    """Flatten to float arrays of one common length (misaligned inputs are a caller bug)."""
    out = tuple(np.asarray(x, dtype=float).reshape(-1) for x in xs)
    if len({a.size for a in out}) > 1:
        raise ValueError(f"inputs differ in length: {[a.size for a in out]}")
    return out


def _mean(x: np.ndarray) -> float:
    return float(np.mean(x)) if x.size else float("nan")


def mean(x: npt.ArrayLike) -> float:
    """Mean of the values handed in; NaN (not a warning) for none."""
    (a,) = aligned(x)
    return _mean(a)


def mse(y: npt.ArrayLike, y_hat: npt.ArrayLike) -> float:
    """Mean squared error, mean((y − ŷ)²)."""
    a, b = aligned(y, y_hat)
    return _mean((a - b) ** 2)


def mae(y: npt.ArrayLike, y_hat: npt.ArrayLike) -> float:
    """Mean absolute error, mean|y − ŷ|."""
    a, b = aligned(y, y_hat)
    return _mean(np.abs(a - b))


def rmse(y: npt.ArrayLike, y_hat: npt.ArrayLike) -> float:
    """Root mean squared error, √MSE (same units as the series)."""
    return float(np.sqrt(mse(y, y_hat)))


def smape(y: npt.ArrayLike, y_hat: npt.ArrayLike) -> float:
    """Symmetric MAPE on the 0–200 scale: 100/n · Σ 2|ŷ − y| / (|y| + |ŷ|).

    A row with y = ŷ = 0 contributes 0 (a perfect forecast), not 0/0; this is the M4 definition.
    """
    a, b = aligned(y, y_hat)
    num = 2.0 * np.abs(b - a)
    den = np.abs(a) + np.abs(b)
    terms = np.divide(num, den, out=np.zeros_like(num), where=den > 0)
    return 100.0 * _mean(terms)


def mape(y: npt.ArrayLike, y_hat: npt.ArrayLike) -> float:
    """Mean absolute percentage error on the 0–100 scale: 100/n · Σ |y − ŷ| / |y|.

    The Tourism competition's headline measure (Athanasopoulos et al. 2011). Undefined (NaN) when
    an actual is 0, rather than infinite or silently dropped.
    """
    a, b = aligned(y, y_hat)
    if np.any(a == 0):
        return float("nan")
    return 100.0 * _mean(np.abs(a - b) / np.abs(a))


def naive_scale(y_train: npt.ArrayLike) -> float:
    """In-sample MAE of the one-step naive forecast, mean|y_i − y_{i−1}|: the MASE denominator."""
    (a,) = aligned(y_train)
    return _mean(np.abs(np.diff(a)))


def expanding_naive_scale(y: npt.ArrayLike) -> np.ndarray:
    """``naive_scale(y[: p + 1])`` for every position p at once (entry 0 is NaN: no step yet).

    Lets the scorer give each fold the scale of the data available at its cutoff in O(n).
    """
    (a,) = aligned(y)
    out = np.full(a.size, np.nan)
    if a.size > 1:
        steps = np.arange(1, a.size)
        out[1:] = np.cumsum(np.abs(np.diff(a))) / steps
    return out


def _check_period(m: int) -> int:
    if isinstance(m, bool) or not isinstance(m, (int, np.integer)) or m < 1:
        raise ValueError(f"seasonal period m = {m!r} is not allowed; use an integer >= 1 (1 = no season)")
    return int(m)


def seasonal_naive_scale(y_train: npt.ArrayLike, m: int) -> float:
    """In-sample MAE of the seasonal naive at lag m, mean|y_i − y_{i−m}|: the M4 MASE denominator.

    The M-competitions scale MASE by this at the data's period (12 for monthly), so a seasonal series
    is not flattered by a scale inflated by its own season. A series with no more than m points has
    no seasonal step yet: it falls back to m = 1 (``naive_scale``) rather than giving NaN. m = 1 is
    ``naive_scale`` exactly.
    """
    m = _check_period(m)
    (a,) = aligned(y_train)
    if a.size <= m:
        return naive_scale(a)
    return _mean(np.abs(a[m:] - a[:-m]))


def expanding_seasonal_naive_scale(y: npt.ArrayLike, m: int) -> np.ndarray:
    """``seasonal_naive_scale(y[: p + 1], m)`` for every position p at once, in O(n).

    Prefixes of no more than m points get the one-step naive scale (the same fallback; entry 0 is
    NaN), so each fold's scale uses only the data up to its cutoff.
    """
    m = _check_period(m)
    (a,) = aligned(y)
    out = expanding_naive_scale(a)
    if a.size > m:
        steps = np.arange(1, a.size - m + 1)
        out[m:] = np.cumsum(np.abs(a[m:] - a[:-m])) / steps
    return out


def mase(y: npt.ArrayLike, y_hat: npt.ArrayLike, scale: npt.ArrayLike) -> float:
    """Mean absolute scaled error, mean(|y − ŷ| / s), s = the row's fold ``naive_scale``.

    ``scale`` is per row (or a scalar) because each rolling origin has its own training history.
    < 1 means smaller errors than the in-sample one-step naive. NaN if any scale is not positive
    (a constant training series makes the ratio meaningless).
    """
    a, b = aligned(y, y_hat)
    s = np.broadcast_to(np.asarray(scale, dtype=float), a.shape)
    if not np.all(np.isfinite(s) & (s > 0)):
        return float("nan")
    return _mean(np.abs(a - b) / s)


def coverage(y: npt.ArrayLike, lo: npt.ArrayLike, hi: npt.ArrayLike) -> float:
    """Share of observations inside their interval, lo ≤ y ≤ hi (compare with the nominal level)."""
    a, low, high = aligned(y, lo, hi)
    return _mean(((a >= low) & (a <= high)).astype(float))


def interval_width(lo: npt.ArrayLike, hi: npt.ArrayLike) -> float:
    """Mean interval width, mean(hi − lo): coverage is only worth something if this stays narrow."""
    low, high = aligned(lo, hi)
    return _mean(high - low)


def gaussian_nll(y: npt.ArrayLike, mean: npt.ArrayLike, var: npt.ArrayLike) -> float:
    """Mean Gaussian negative log-likelihood, mean(½·log(2π σ²) + (y − μ)² / (2σ²)).

    Scores mean and variance together, which is how ARIMA and ARIMA-GARCH differ (same mean).
    NaN if any variance is not positive.
    """
    a, mu, v = aligned(y, mean, var)
    if not np.all(v > 0):
        return float("nan")
    return _mean(0.5 * np.log(2.0 * np.pi * v) + (a - mu) ** 2 / (2.0 * v))


def qlike(y: npt.ArrayLike, var: npt.ArrayLike) -> float:
    """QLIKE loss of a variance forecast against the squared realised value: mean(log σ² + y²/σ²).

    Uses y² as the volatility proxy, so it is only meaningful when the target is (near zero-mean)
    returns. This form differs from Patton's normalised y²/σ² − log(y²/σ²) − 1 only by a term that
    does not depend on the forecast, ranks forecasts identically, and stays finite when y = 0.
    Lower is better. NaN if any variance is not positive.
    """
    a, v = aligned(y, var)
    if not np.all(v > 0):
        return float("nan")
    return _mean(np.log(v) + a**2 / v)


def student_t_logpdf(
    y: npt.ArrayLike, mean: npt.ArrayLike, var: npt.ArrayLike, df: npt.ArrayLike
) -> np.ndarray:
    """log density of a Student-t with location ``mean``, variance ``var`` and ``df`` > 2, per row
    (scale √(var·(ν − 2)/ν), so that ``var`` is the distribution's variance)."""
    a, mu, v, nu = aligned(y, mean, var, df)
    scale = np.sqrt(v * (nu - 2.0) / nu)
    return stats.t.logpdf((a - mu) / scale, nu) - np.log(scale)


def predictive_nll(y: npt.ArrayLike, mean: npt.ArrayLike, var: npt.ArrayLike, df: npt.ArrayLike) -> float:
    """Mean negative log predictive density: Student-t where ``df`` is given, Gaussian where it is NaN.

    NaN if any variance is not positive.
    """
    a, mu, v, nu = aligned(y, mean, var, df)
    if not np.all(v > 0):
        return float("nan")
    t = np.isfinite(nu)
    out = 0.5 * np.log(2.0 * np.pi * v) + (a - mu) ** 2 / (2.0 * v)
    out[t] = -student_t_logpdf(a[t], mu[t], v[t], nu[t])
    return _mean(out)


def winkler(y: npt.ArrayLike, lo: npt.ArrayLike, hi: npt.ArrayLike, alpha: float) -> float:
    """Interval (Winkler) score of central (1 − α) intervals, mean of
    (hi − lo) + (2/α)·(lo − y)₊ + (2/α)·(y − hi)₊: width plus a penalty for each miss. Lower is better."""
    a, low, high = aligned(y, lo, hi)
    return _mean((high - low) + (2.0 / alpha) * (np.maximum(low - a, 0.0) + np.maximum(a - high, 0.0)))


def pinball(y: npt.ArrayLike, q: npt.ArrayLike, tau: float) -> np.ndarray:
    """Quantile (pinball) loss of the τ-quantile forecast q per row, (1{y < q} − τ)·(q − y)."""
    a, b = aligned(y, q)
    return ((a < b).astype(float) - tau) * (b - a)


def interval_pinball(y: npt.ArrayLike, lo: npt.ArrayLike, hi: npt.ArrayLike, alpha: float) -> float:
    """Mean quantile score of an interval read as its two quantiles, ½[ρ_{α/2}(lo) + ρ_{1−α/2}(hi)]:
    the proper score left when a forecast is nothing but an interval (= α/4 × Winkler per row)."""
    a, low, high = aligned(y, lo, hi)
    return _mean(0.5 * (pinball(a, low, alpha / 2.0) + pinball(a, high, 1.0 - alpha / 2.0)))
