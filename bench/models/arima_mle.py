"""Exact Gaussian MLE of one seasonal ARMA spec: statsmodels' likelihood, our optimiser.

statsmodels computes the exact likelihood by its Kalman filter; its ``fit`` restarts L-BFGS from
nothing but the starting values at every call. A rolling evaluation refits the same spec on a
slightly longer series again and again, so we minimise over statsmodels' unconstrained
parameters (stationary and invertible by construction) with BFGS and hand the previous inverse
Hessian to the next refit (``hess_inv0``): a warm refit then needs about a third of the filter
passes (measured in ``make perf``). σ² is concentrated out; no covariance, no smoother.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from statsmodels.tools.sm_exceptions import ConvergenceWarning
from statsmodels.tsa.arima.model import ARIMA as _SMARIMA

from bench.models.arima_search import Spec

# BFGS stops when the gradient of the mean log-likelihood per observation is below this (scipy's
# default): at n = 100 a total slope of 1e-3 per unit parameter, far inside any standard error.
GTOL = 1e-5
MAXITER = 100


@dataclass(frozen=True)
class Estimate:
    """Parameters in statsmodels' order with σ² last, the log-likelihood, and BFGS's inverse Hessian."""

    params: np.ndarray
    llf: float
    hess_inv: np.ndarray | None = None


def sm_model(z: np.ndarray, spec: Spec, period: int, concentrate: bool = False) -> _SMARIMA:
    """The statsmodels ARIMA(p, 0, q)(P, 0, Q)[s] of one spec (the shared transform differenced)."""
    seasonal = (spec.P, 0, spec.Q, period) if period > 1 and (spec.P or spec.Q) else (0, 0, 0, 0)
    trend = "c" if spec.constant else "n"
    return _SMARIMA(
        z, order=(spec.p, 0, spec.q), seasonal_order=seasonal, trend=trend, concentrate_scale=concentrate
    )


def estimate(
    z: np.ndarray,
    spec: Spec,
    period: int,
    start: np.ndarray | None,
    maxiter: int | None,
    warm: Estimate | None = None,
) -> Estimate:
    """MLE from ``start`` (σ² last; None: statsmodels' own starting values) or from ``warm``.

    ``maxiter=0`` scores ``start`` as it is (the search's cheap ranking); ``None`` iterates to
    convergence. A ``warm`` estimate of the same spec supplies both the starting point and the
    curvature. Raises ValueError when the optimum is not finite.
    """
    if spec.n_coef == 0:  # zero-mean white noise: the MLE is closed-form
        sigma2 = float(np.mean(z**2))
        return Estimate(np.array([sigma2]), float(-0.5 * len(z) * (np.log(2 * np.pi * sigma2) + 1.0)))
    model = sm_model(z, spec, period, concentrate=True)
    if warm is not None:
        start = warm.params
    coef = np.asarray(
        model.start_params if start is None else np.asarray(start, dtype=float)[:-1], dtype=float
    )
    if maxiter == 0 and start is not None:
        return Estimate(np.asarray(start, dtype=float), float(model.loglike(coef)))
    n, failures = len(z), []

    def objective(u: np.ndarray) -> float:
        try:
            llf = model.loglike(model.transform_params(u))
        except (np.linalg.LinAlgError, ValueError) as exc:  # e.g. a Lyapunov solve failing at the edge
            failures.append(f"{type(exc).__name__}: {exc}")
            return np.inf
        return -llf / n if np.isfinite(llf) else np.inf

    u0 = _finite_start(model, coef, objective)
    options: dict = {"gtol": GTOL, "maxiter": MAXITER if maxiter is None else max(maxiter, 1)}
    with np.errstate(all="ignore"):
        if warm is not None and _positive_definite(warm.hess_inv, len(coef)):
            # warm: the previous curvature makes BFGS converge in a few steps
            fit = minimize(objective, u0, method="BFGS", options={**options, "hess_inv0": warm.hess_inv})
            hess = fit.hess_inv
        else:  # cold: L-BFGS needs fewer passes than BFGS from an identity Hessian (measured)
            fit = minimize(objective, u0, method="L-BFGS-B", options=options)
            hess = fit.hess_inv.todense()
    if maxiter is None and fit.status == 1:  # the runner counts these per model
        warnings.warn(
            f"ARIMA {spec.label(period)}: stopped after {MAXITER} iterations",
            ConvergenceWarning,
            stacklevel=2,
        )
    coef = model.transform_params(fit.x)
    if not (np.all(np.isfinite(coef)) and np.isfinite(fit.fun)):
        why = f" ({failures[-1]})" if failures else ""
        raise ValueError(f"no finite likelihood optimum for {spec.label(period)}{why}")
    res = model.filter(coef, cov_type="none", low_memory=True)
    return Estimate(np.r_[coef, float(res.scale)], float(res.llf), 0.5 * (hess + hess.T))


def _finite_start(model: _SMARIMA, coef: np.ndarray, objective) -> np.ndarray:
    """Unconstrained starting point; statsmodels' own start when ``coef`` is at or past the edge."""
    with np.errstate(all="ignore"):
        u0 = model.untransform_params(coef)
    if np.all(np.isfinite(u0)) and np.isfinite(objective(u0)):
        return u0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "non-invertible starting MA": statsmodels then uses zeros
        return model.untransform_params(np.asarray(model.start_params, dtype=float))


def _positive_definite(h: np.ndarray | None, k: int) -> bool:
    if h is None or h.shape != (k, k) or not np.all(np.isfinite(h)):
        return False
    return bool(np.all(np.linalg.eigvalsh(h) > 0))
