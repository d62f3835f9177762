"""Auto-ARIMA's two stages: score each candidate of the stepwise search, then estimate the best one.

``bench.models.arima_search`` walks the orders and ``bench.models.arima_mle`` estimates one model;
this module is the judgement between them (R's rules for which candidates count, and the fall back
to the next best when the converged estimates turn out inadmissible), kept out of the model class
so that ``ARIMA`` reads as fit, update, predict.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np
from statsmodels.tools.sm_exceptions import ConvergenceWarning

from bench.models.arima_mle import Estimate, estimate
from bench.models.arima_search import Bounds, Scored, Spec, admissible, aicc, css, css_residuals, stepwise
from bench.models.base import ModelError

FIT_ERRORS = (np.linalg.LinAlgError, ValueError)


def score(z: np.ndarray, spec: Spec, period: int, search_maxiter: int) -> Scored:
    """One candidate's AICc after ``search_maxiter`` exact-likelihood iterations from its CSS estimates."""
    # Candidates never start from a previous fit: the ranking must equal a fresh search's.
    try:
        coef = css(z, spec, period)
    except FIT_ERRORS:  # fewer conditional residuals than coefficients: not estimable
        return Scored(spec, np.zeros(spec.n_coef + 1), np.inf)
    if not admissible(coef, spec, period):  # R's rule, applied to CSS estimates as R's
        return Scored(spec, coef, np.inf)  # approximation mode does: "don't like this model"
    sigma2 = float(np.mean(css_residuals(coef, z, spec, period) ** 2))
    start = np.r_[coef, sigma2]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            est = estimate(z, spec, period, start, search_maxiter)
    except FIT_ERRORS:
        return Scored(spec, np.zeros(spec.n_coef + 1), np.inf)
    ok = admissible(est.params, spec, period)
    return Scored(spec, est.params, aicc(est.llf, spec, len(z)) if ok else np.inf)


def search(z: np.ndarray, period: int, bounds: Bounds, search_maxiter: int, short: bool) -> list[Scored]:
    """Every candidate the stepwise search visited, scored by :func:`score`, best first."""
    return stepwise(period, bounds, lambda spec: score(z, spec, period, search_maxiter), short=short)


def converge_best(
    z: np.ndarray, searched: list[Scored], period: int, warm: Mapping[Spec, Estimate]
) -> tuple[Spec, Estimate]:
    """The best admissible candidate estimated to convergence (``warm``: starting points only)."""
    errors = []
    # Best first; R's rule again on the converged estimates: a root within 1.01 of the unit
    # circle (e.g. a seasonal AR of 0.993 against a seasonal MA of -0.93) rejects the model.
    for cand in [s for s in searched if np.isfinite(s.aicc)]:
        try:
            est = estimate(z, cand.spec, period, cand.params, None, warm.get(cand.spec))
        except FIT_ERRORS as exc:
            errors.append(f"{cand.spec.label(period)}: {exc}")
            continue
        if not admissible(est.params, cand.spec, period):
            errors.append(f"{cand.spec.label(period)}: a root within 1.01 of the unit circle")
            continue
        return cand.spec, est
    detail = "; ".join(errors) or "every candidate was inadmissible or failed"
    raise ModelError(f"ARIMA auto: no candidate order could be fitted ({detail})")
