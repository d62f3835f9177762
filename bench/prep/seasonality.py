"""The M-competition seasonality test and classical multiplicative seasonal indices.

Shared by the Naive 2 yardstick and the ``deseasonalize`` transform, so both decide and adjust
exactly alike. Indices are by position: index ``k`` belongs to positions ``k, k + m, …`` counted
from the first value of the series they were estimated on (as R's ``decompose`` does).
"""

from __future__ import annotations

import numpy as np

Z_90 = 1.645  # one-sided 90 % normal quantile used by the M3/M4 seasonality test


def is_seasonal(y: np.ndarray, period: int) -> bool:
    """The 90 % test of the M competitions on the lag-``period`` autocorrelation.

    Seasonal when |r_m| > 1.645·√((1 + 2Σ_{k<m} r_k²)/n) (Bartlett's standard error of r_m under
    an MA(m − 1) null). Needs at least three full seasons, as the competitions' reference code;
    shorter series (and period < 2 or constant series) count as not seasonal.
    """
    y = np.asarray(y, dtype=float)
    m = int(period or 1)
    if m < 2 or len(y) < 3 * m or np.ptp(y) == 0:
        return False
    from statsmodels.tsa.stattools import acf  # slow to import: only when the test runs

    r = acf(y, nlags=m, fft=False)[1:]
    limit = Z_90 * np.sqrt((1.0 + 2.0 * np.sum(r[: m - 1] ** 2)) / len(y))
    return bool(abs(r[m - 1]) > limit)


def multiplicative_indices(y: np.ndarray, period: int) -> np.ndarray:
    """Classical multiplicative decomposition (2×m centred moving average): m indices, mean 1.

    statsmodels' ``seasonal_decompose`` computes what R's ``decompose(type="multiplicative")``
    does. Raises ``ValueError`` on non-positive data, where a multiplicative index has no meaning.
    """
    y = np.asarray(y, dtype=float)
    m = int(period)
    if np.any(y <= 0):
        raise ValueError("a multiplicative seasonal decomposition needs positive data")
    if len(y) < 2 * m:
        raise ValueError(f"a seasonal decomposition at period {m} needs {2 * m} values, got {len(y)}")
    from statsmodels.tsa.seasonal import seasonal_decompose

    return np.asarray(seasonal_decompose(y, model="multiplicative", period=m).seasonal[:m], dtype=float)


def indices_at(indices: np.ndarray, start: int, n: int) -> np.ndarray:
    """The index of each of the ``n`` positions from ``start`` on (phase = position mod m)."""
    return np.asarray(indices)[(int(start) + np.arange(n)) % len(indices)]
