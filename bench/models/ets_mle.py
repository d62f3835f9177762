"""statsmodels' ETS maximum-likelihood fit, the same optimum reached with a lean objective.

``ETSModel.fit`` runs L-BFGS-B with a forward-difference gradient. Each likelihood call goes through
statsmodels' generic wrappers and each gradient through scipy's ``approx_derivative``: about 45 µs
per call, of which the compiled smoother is about 10. R's ``ets`` fits every admissible form (15 on
a monthly positive series), so on the M3 collections this overhead was most of ETS's time.

:func:`fit` keeps statsmodels' start values, bounds, reparametrisation (β*, γ*), optimiser settings
and iteration limits, and computes the same floating-point operations in the same order: the
gradient is scipy's 2-point scheme with its absolute step of 1e-8 and its bound adjustment. A test
checks the fitted parameters are bit-for-bit statsmodels' on M3 series, so a change in either
library shows up there. Pinned versions: ``constraints.txt``.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.optimize import minimize
from statsmodels.tools.sm_exceptions import ConvergenceWarning

# fmin_l_bfgs_b's defaults, as statsmodels' ETSModel.fit calls it (approx_grad=True).
STEP = 1e-8
MAXFUN = 15000
FACTR = 1e7
PGTOL = 1e-5
MAXCOR = 10


def fit(model, maxiter: int = 1000):
    """``model.fit(disp=False, maxiter=maxiter)`` for a model without fixed parameters."""
    internal = model._convert_and_bound_start_params(model.start_params)
    bounds = model._setup_bounds()
    use_beta_star = "smoothing_trend" not in model.bounds
    if use_beta_star:
        internal[1] /= internal[0]
    use_gamma_star = "smoothing_seasonal" not in model.bounds
    if use_gamma_star:
        internal[2] /= 1 - internal[0]
    k = model._k_params_internal
    is_fixed = np.zeros(k, dtype=np.int64)
    fixed = np.empty_like(internal)
    free = []
    for i in range(k):
        if bounds[i][0] == bounds[i][1]:
            is_fixed[i], fixed[i] = True, bounds[i][0]
        else:
            free.append(i)
    lb = np.array([-np.inf if bounds[i][0] is None else bounds[i][0] for i in free], dtype=float)
    ub = np.array([np.inf if bounds[i][1] is None else bounds[i][1] for i in free], dtype=float)
    x0 = np.clip(internal[free], lb, ub)

    data = np.asarray(model.endog, dtype=float)
    nobs = model.nobs
    yhat, xhat = np.zeros(nobs), np.zeros((nobs, model._k_states_internal))
    smooth = model._smoothing_func
    mul = model.error == "mul"
    add = np.add.reduce

    def objective(p: np.ndarray) -> float:
        # statsmodels' _loglike_internal and base-model f(): −loglike / nobs, the same operations.
        # (np.mean is add.reduce / n, res**2 is res * res, np.sum is add.reduce: same bits, less
        # dispatch.)
        smooth(p, data, yhat, xhat, is_fixed, fixed, use_beta_star, use_gamma_star)
        res = (data - yhat) / yhat if mul else data - yhat
        loglike = -nobs / 2 * (np.log(2 * np.pi * (add(res * res) / nobs)) + 1)
        if mul:
            yhat[yhat == 0] = 1e-32
            loglike -= add(np.log(np.abs(yhat)))
        return -loglike / nobs

    def with_gradient(x: np.ndarray) -> tuple[float, np.ndarray]:
        f0 = objective(x)
        h = _steps(x, lb, ub)
        grad = np.empty(len(x))
        for i in range(len(x)):
            x1 = np.copy(x)
            x1[i] = x[i] + h[i]
            grad[i] = (objective(x1) - f0) / ((x[i] + h[i]) - x[i])
        return f0, grad

    opt = minimize(
        with_gradient, x0, jac=True, method="L-BFGS-B", bounds=list(zip(lb, ub, strict=True)),
        options=dict(maxiter=maxiter, maxfun=MAXFUN // (len(x0) + 1), maxcor=MAXCOR,
                     ftol=FACTR * np.finfo(float).eps, gtol=PGTOL),
    )  # fmt: skip
    if opt.status != 0:
        # statsmodels' warning: scipy counts every gradient evaluation towards maxfun there, hence
        # maxfun // (parameters + 1) calls here, the same stopping point.
        warnings.warn(
            "Maximum Likelihood optimization failed to converge. Check mle_retvals",
            ConvergenceWarning,
            stacklevel=2,
        )
    params = np.array(fixed)
    params[free] = opt.x
    if use_beta_star:
        params[1] *= params[0]
    if use_gamma_star:
        params[2] *= 1 - params[0]
    return model.smooth(model._model_params(params))


def _steps(x: np.ndarray, lb: np.ndarray, ub: np.ndarray) -> np.ndarray:
    """scipy's absolute forward steps (``approx_derivative``, 2-point, ``abs_step`` given), turned
    back or shortened where a bound is in the way (``_adjust_scheme_to_bounds``, one-sided)."""
    sign = (x >= 0).astype(float) * 2 - 1
    h = np.where(((x + STEP) - x) == 0, np.finfo(float).eps ** 0.5 * sign * np.maximum(1.0, np.abs(x)), STEP)
    if np.all((lb == -np.inf) & (ub == np.inf)):
        return h
    lower, upper = x - lb, ub - x
    x1 = x + h
    violated = (x1 < lb) | (x1 > ub)
    fitting = np.abs(h) <= np.maximum(lower, upper)
    h[violated & fitting] *= -1
    forward = (upper >= lower) & ~fitting
    h[forward] = upper[forward]
    backward = (upper < lower) & ~fitting
    h[backward] = -lower[backward]
    return h
