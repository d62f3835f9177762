"""Map a model's forecast on the transformed scale back to the original scale, intervals included."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import norm

from bench.prep.transforms import Chain
from bench.types import Forecast


@dataclass(frozen=True)
class LevelForecast:
    """Point forecast and (optional) predictive variance and interval on the original scale."""

    mean: np.ndarray
    var: np.ndarray
    lo: np.ndarray
    hi: np.ndarray


def invert(fc: Forecast, pipe: Chain, history: np.ndarray, level: float) -> LevelForecast:
    """Invert the mean exactly; derive variance and a central ``level`` interval where possible.

    Simulated paths are inverted one by one (exact through logs and differencing at any horizon).
    Without paths, a per-step Gaussian interval is mapped through the (monotone) inverse; that is
    exact for step 1 and for chains without differencing, so later steps of a differenced chain
    stay NaN rather than pretend the step errors were independent.
    """
    mean = pipe.inverse_forecast(fc.mean, history)
    h = len(mean)
    nan = np.full(h, np.nan)
    if fc.paths is not None:
        paths = pipe.inverse_forecast(np.asarray(fc.paths, dtype=float), history)
        a = (1.0 - level) / 2.0
        lo, hi = np.quantile(paths, [a, 1.0 - a], axis=0)
        return LevelForecast(mean, paths.var(axis=0, ddof=1), lo, hi)
    if fc.var is None:
        return LevelForecast(mean, nan, nan.copy(), nan.copy())
    q = norm.ppf(0.5 + level / 2.0)
    sd = np.sqrt(fc.var)
    lo = pipe.inverse_forecast(fc.mean - q * sd, history)
    hi = pipe.inverse_forecast(fc.mean + q * sd, history)
    var = ((hi - lo) / (2.0 * q)) ** 2
    lags = pipe.lags  # every differencing applied, fixed or chosen automatically
    if lags:
        exact = np.zeros(h, dtype=bool)
        exact[: min(h, min(lags))] = True
        lo, hi, var = (np.where(exact, a, np.nan) for a in (lo, hi, var))
    return LevelForecast(mean, var, lo, hi)
