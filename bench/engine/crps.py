"""CRPS of forecast rows against their observations, computed where the distribution is known.

Simulated paths are not stored (forecasts.parquet stays one row per origin × step), so the record
step scores each row's predictive distribution here, where the truth is attached, and keeps only
the per-row ``crps``; the scorer averages that column. Each row gets the most exact form it has:

- an ensemble (inverted paths, quantile members, conformal ŷ + calibration errors): the CRPS of the
  members' empirical distribution, CRPS = E|X − y| − ½·E|X − X'| (scoringrules' ``qd`` estimator);
- a Student-t (variance and ``df``): the closed form with scale σ·√((ν − 2)/ν);
- a Gaussian (variance): the closed form σ·[z(2Φ(z) − 1) + 2φ(z) − 1/√π], z = (y − μ)/σ;
- nothing: NaN.

All from ``scoringrules`` (tests check them against closed forms computed independently).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import scoringrules as sr

from bench.engine.predictive import Predictive


def _floats(*xs: npt.ArrayLike) -> tuple[np.ndarray, ...]:
    return tuple(np.asarray(x, dtype=float) for x in xs)


def gaussian(y: npt.ArrayLike, mean: npt.ArrayLike, var: npt.ArrayLike) -> np.ndarray:
    """CRPS of N(mean, var) at y, per element; NaN where var is missing or negative; |y − mean| at
    var = 0 (a point mass)."""
    y, mu, v = np.broadcast_arrays(*_floats(y, mean, var))
    out = np.full(y.shape, np.nan)
    pos = np.isfinite(y) & np.isfinite(mu) & np.isfinite(v) & (v > 0)
    out[pos] = sr.crps_normal(y[pos], mu[pos], np.sqrt(v[pos]))
    point = np.isfinite(y) & np.isfinite(mu) & (v == 0)
    out[point] = np.abs(y[point] - mu[point])
    return out


def student_t(y: npt.ArrayLike, mean: npt.ArrayLike, var: npt.ArrayLike, df: npt.ArrayLike) -> np.ndarray:
    """CRPS of a Student-t with location ``mean``, variance ``var`` and ``df`` > 2, per element."""
    y, mu, v, nu = np.broadcast_arrays(*_floats(y, mean, var, df))
    out = np.full(y.shape, np.nan)
    ok = np.isfinite(y) & np.isfinite(mu) & np.isfinite(v) & (v > 0) & np.isfinite(nu) & (nu > 2)
    scale = np.sqrt(v[ok] * (nu[ok] - 2.0) / nu[ok])
    out[ok] = sr.crps_t(y[ok], nu[ok], mu[ok], scale)
    return out


def ensemble(y: npt.ArrayLike, members: npt.ArrayLike) -> np.ndarray:
    """CRPS of the empirical distribution of ``members`` (last axis) at y, per leading element;
    NaN where y or any member is missing."""
    y, m = _floats(y, members)
    y = np.broadcast_to(y, m.shape[:-1])
    out = np.full(y.shape, np.nan)
    ok = np.isfinite(y) & np.all(np.isfinite(m), axis=-1)
    if ok.any():
        out[ok] = sr.crps_ensemble(y[ok], m[ok], estimator="qd")
    return out


def fold_crps(y: np.ndarray, mean: np.ndarray, var: np.ndarray, dist: Predictive | None) -> np.ndarray:
    """One origin's CRPS per step: members if any, else Student-t if ``df``, else Gaussian if ``var``."""
    if dist is not None and dist.members is not None:
        return ensemble(y, np.asarray(dist.members, dtype=float).T)
    if dist is not None and dist.df is not None:
        return student_t(y, mean, var, dist.df)
    return gaussian(y, mean, var)
