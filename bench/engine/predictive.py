"""Map a model's forecast on the transformed scale back to the original scale, intervals included.

Besides mean, variance and interval, the inverted forecast keeps what a proper score needs of the
distribution (:class:`Predictive`): Student-t degrees of freedom, or an ensemble on the original
scale. Paths are not stored, so the CRPS is computed from these at record time, where the truth is
attached (``bench.engine.records``), and only the per-row score is kept.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import norm
from scipy.stats import t as student_t

from bench.prep.autodiff import AutoDifference, AutoSeasonalDifference
from bench.prep.deseasonalize import Deseasonalize
from bench.prep.steps import Difference, Scale
from bench.prep.transforms import Chain
from bench.types import Forecast

# Steps whose inverse is affine in the forecast: a Gaussian (or t) stays one, with the inverted mean
# as its location, so its CRPS has a closed form. Any other step (log, Box-Cox) gets quantile members.
AFFINE = (Difference, Scale, Deseasonalize, AutoDifference, AutoSeasonalDifference)
QUANTILE_MEMBERS = 200  # midpoint quantiles mapped through a non-affine inverse (CRPS error ≪ 1 %)


@dataclass(frozen=True)
class Predictive:
    """The distribution beyond mean and variance, on the original scale (per step; NaN where the
    inversion is not exact): Student-t ``df``, or ``members`` (n × h) — inverted simulated paths, or
    quantiles of a Gaussian/t mapped through a non-affine inverse."""

    df: np.ndarray | None = None
    members: np.ndarray | None = None


@dataclass(frozen=True)
class LevelForecast:
    """Point forecast and (optional) predictive variance and interval on the original scale."""

    mean: np.ndarray
    var: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    dist: Predictive | None = None


def invert(fc: Forecast, pipe: Chain, history: np.ndarray, level: float) -> LevelForecast:
    """Invert the mean exactly; derive variance and a central ``level`` interval where possible.

    Simulated paths are inverted one by one (exact through logs and differencing at any horizon).
    Without paths, a per-step Gaussian (Student-t with ``fc.df``) interval is mapped through the
    (monotone) inverse; that is exact for step 1 and for chains without differencing, so later
    steps of a differenced chain stay NaN rather than pretend the step errors were independent.
    """
    mean = pipe.inverse_forecast(fc.mean, history)
    h = len(mean)
    nan = np.full(h, np.nan)
    exact = exact_steps(pipe, h)
    df = None if fc.df is None else np.where(exact, fc.df, np.nan)
    if fc.paths is not None:
        paths = pipe.inverse_forecast(np.asarray(fc.paths, dtype=float), history)
        a = (1.0 - level) / 2.0
        lo, hi = np.quantile(paths, [a, 1.0 - a], axis=0)
        return LevelForecast(mean, paths.var(axis=0, ddof=1), lo, hi, Predictive(df, paths))
    if fc.var is None:
        return LevelForecast(mean, nan, nan.copy(), nan.copy())
    q = norm.ppf(0.5 + level / 2.0) if fc.df is None else t_multiplier(0.5 + level / 2.0, fc.df)
    sd = np.sqrt(fc.var)
    lo = pipe.inverse_forecast(fc.mean - q * sd, history)
    hi = pipe.inverse_forecast(fc.mean + q * sd, history)
    var = ((hi - lo) / (2.0 * q)) ** 2
    if pipe.lags:  # every differencing applied, fixed or chosen automatically
        lo, hi, var = (np.where(exact, a, np.nan) for a in (lo, hi, var))
    members = None if affine(pipe) else quantile_members(fc, pipe, history, exact)
    dist = None if df is None and members is None else Predictive(df, members)
    return LevelForecast(mean, var, lo, hi, dist)


def exact_steps(pipe: Chain, h: int) -> np.ndarray:
    """Steps whose marginal maps through the inverse exactly: all without differencing, else those
    before the shortest difference lag (later ones mix several unknown step errors)."""
    lags = pipe.lags
    exact = np.ones(h, dtype=bool)
    if lags:
        exact[min(h, min(lags)) :] = False
    return exact


def affine(pipe: Chain) -> bool:
    """Whether every step's inverse is affine (then a Gaussian stays Gaussian on the original scale)."""
    return all(isinstance(s, AFFINE) for s in pipe.steps)


def t_multiplier(p: float, df: np.ndarray) -> np.ndarray:
    """The p-quantile of a Student-t with ``df`` in units of its standard deviation, per step."""
    df = np.asarray(df, dtype=float)
    return student_t.ppf(p, df) * np.sqrt((df - 2.0) / df)


def quantile_members(fc: Forecast, pipe: Chain, history: np.ndarray, exact: np.ndarray) -> np.ndarray:
    """Midpoint quantiles (τ = (i − ½)/n) of the per-step Gaussian or t, mapped through the monotone
    inverse: the exact quantiles of the original-scale distribution at the exact steps, NaN after."""
    tau = (np.arange(QUANTILE_MEMBERS) + 0.5) / QUANTILE_MEMBERS
    z = norm.ppf(tau)[:, None] if fc.df is None else t_multiplier(tau[:, None], fc.df[None, :])
    members = pipe.inverse_forecast(fc.mean + z * np.sqrt(fc.var), history)
    return np.where(exact, members, np.nan)
