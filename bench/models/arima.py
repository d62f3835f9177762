"""Seasonal ARMA on the shared transformed series (statsmodels), fixed order or stepwise auto-ARIMA.

The harness has already differenced and scaled the data, so the model is ARMA(p, q)(P, Q)[s] on
``z``: ARIMA(p, 0, q) on Δy is ARIMA(p, 1, q) on y. Letting the model difference again would
silently double-difference, hence d > 0 is refused.

Rolling evaluation is made cheap in three ways: no standard errors or smoother at a fit
(``cov_type="none"``, parameters then one filter pass), ``update`` absorbs only the observations
since the last origin (``results.extend``, O(new observations)), and a repeated ``fit`` on the same
object starts the optimiser from the previous estimates.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import ClassVar

import numpy as np
from statsmodels.tools.sm_exceptions import ConvergenceWarning
from statsmodels.tsa.arima.model import ARIMA as _SMARIMA
from statsmodels.tsa.arima.model import ARIMAResults

from bench.models.arima_search import Bounds, Scored, Spec, admissible, aicc, css, css_residuals, stepwise
from bench.models.base import ModelError
from bench.types import Forecast

_TRENDS = ("n", "c")
_FIT_ERRORS = (np.linalg.LinAlgError, ValueError)


def _pair(value: Sequence[int], name: str) -> tuple[int, int]:
    values = [int(v) for v in value]
    if len(values) != 2 or min(values) < 0:
        raise ValueError(f"ARIMA {name} must be [a, b] with a, b >= 0, got {list(value)}")
    return values[0], values[1]


def _parse_order(order: Sequence[int] | str, d: int) -> tuple[int, int] | None:
    """Return (p, q), or None for ``"auto"``; refuse any differencing inside the model."""
    if d != 0:
        raise ValueError(
            f"ARIMA d={d} refused: the shared transform already differences the series "
            "(set transform.diff instead); the model always uses d = 0"
        )
    if isinstance(order, str):
        if order != "auto":
            raise ValueError(f"ARIMA order must be [p, q] or 'auto', got {order!r}")
        return None
    values = [int(v) for v in order]
    if len(values) == 3:
        if values[1] != 0:
            raise ValueError(
                f"ARIMA order {values} has d={values[1]} > 0, refused: the shared transform "
                "already differences the series (set transform.diff instead); use order: [p, q]"
            )
        values = [values[0], values[2]]
    return _pair(values, "order")


def _estimate(
    z: np.ndarray, spec: Spec, period: int, start: np.ndarray | None, maxiter: int | None
) -> tuple[np.ndarray, float]:
    """Exact Gaussian MLE (Kalman filter) of one spec: parameters (σ² last) and log-likelihood.

    σ² is concentrated out of the likelihood (the same maximum, one dimension less for the
    numerical gradient: about a third fewer filter passes); no smoother, no covariance.
    """
    if spec.n_coef == 0:  # zero-mean white noise: the MLE is closed-form
        sigma2 = float(np.mean(z**2))
        return np.array([sigma2]), float(-0.5 * len(z) * (np.log(2 * np.pi * sigma2) + 1.0))
    seasonal = (spec.P, 0, spec.Q, period) if period > 1 and (spec.P or spec.Q) else (0, 0, 0, 0)
    trend = "c" if spec.constant else "n"
    model = _SMARIMA(
        z, order=(spec.p, 0, spec.q), seasonal_order=seasonal, trend=trend, concentrate_scale=True
    )
    coef = None if start is None else np.asarray(start, dtype=float)[:-1]
    if maxiter == 0 and coef is not None:  # score the starting values as they are
        return np.asarray(start, dtype=float), float(model.loglike(coef))
    kwargs = {} if maxiter is None else {"maxiter": max(maxiter, 1)}
    res = model.fit(start_params=coef, cov_type="none", low_memory=True, method_kwargs=kwargs)
    return np.r_[np.asarray(res.params, dtype=float), float(res.scale)], float(res.llf)


class ARIMA:
    """ARMA(p, q)(P, Q)[period] with or without a constant, exact MLE; orders fixed or automatic.

    ``order="auto"``: Hyndman–Khandakar stepwise search (R's ``auto.arima``) over p ≤ max_p,
    q ≤ max_q, P ≤ max_P, Q ≤ max_Q, p+q+P+Q ≤ max_order and the constant, by AICc. Each candidate
    gets CSS estimates and is scored by its exact likelihood after ``search_maxiter`` optimiser
    iterations from them (0 = at the CSS estimates); only the chosen model is estimated to
    convergence. Ties go to the earlier-visited candidate, so the choice is
    deterministic. ``trend`` applies to fixed orders only (auto searches the constant).
    ``period`` ≤ 1 (or None) means non-seasonal; YAML ``period: null`` takes the dataset's.

    ``predict`` returns the Kalman-filter mean and variance and, for h > 1, ``n_paths`` simulated
    paths drawn with the fixed ``sim_seed``. Convergence warnings of the final fit propagate (the
    runner counts them); those of the deliberately truncated candidate fits are silenced.
    """

    levels: ClassVar[bool] = False
    # ``period: null`` on a dataset without a period means "non-seasonal", not an error (for the suite).
    period_optional: ClassVar[bool] = True

    def __init__(
        self,
        order: Sequence[int] | str = (1, 1),
        trend: str = "c",
        d: int = 0,
        seasonal_order: Sequence[int] = (0, 0),
        period: int | None = None,
        max_p: int = 5,
        max_q: int = 5,
        max_P: int = 2,
        max_Q: int = 2,
        max_order: int = 5,
        search_maxiter: int = 0,
        n_paths: int = 1000,
        sim_seed: int = 0,
    ) -> None:
        self._pq = _parse_order(order, d)
        self._PQ = _pair(seasonal_order, "seasonal_order")
        if trend not in _TRENDS:
            raise ValueError(f"ARIMA trend must be one of {_TRENDS}, got {trend!r}")
        if min(max_p, max_q, max_P, max_Q, max_order) < 0:
            raise ValueError("ARIMA max_p, max_q, max_P, max_Q and max_order must be >= 0")
        if period is not None and int(period) < 1:
            raise ValueError(f"ARIMA period must be >= 1 or null (the dataset's), got {period}")
        self.period = int(period) if period else 1
        if self.period == 1 and self._PQ != (0, 0):
            raise ValueError(f"ARIMA seasonal_order={list(self._PQ)} needs a period > 1, got {period}")
        if search_maxiter < 0 or n_paths < 0:
            raise ValueError("ARIMA search_maxiter and n_paths must be >= 0")
        self.trend = trend
        self.bounds = Bounds(int(max_p), int(max_q), int(max_P), int(max_Q), int(max_order))
        self.search_maxiter = int(search_maxiter)
        self.n_paths = int(n_paths)
        self.sim_seed = int(sim_seed)
        self.spec_: Spec | None = None
        self.searched_: list[Scored] = []
        self._res: ARIMAResults | None = None
        self._z: np.ndarray | None = None
        self._warm: dict[Spec, np.ndarray] = {}  # the last final estimates: starting values only

    @property
    def order_(self) -> tuple[int, int] | None:
        return None if self.spec_ is None else (self.spec_.p, self.spec_.q)

    def fit(self, z: np.ndarray) -> ARIMA:
        """Complete (re-)estimation on ``z``; a previous fit on this object only seeds the optimiser."""
        z = np.asarray(z, dtype=float).reshape(-1)
        if self._pq is not None:
            spec = Spec(*self._pq, *self._PQ, constant=self.trend == "c")
            params, _ = _estimate(z, spec, self.period, self._warm.get(spec), None)
            self._finish(z, spec, params)
            return self

        def visit(spec: Spec) -> Scored:
            # Candidates never start from a previous fit: the ranking must equal a fresh search's.
            coef = css(z, spec, self.period)
            if not admissible(coef, spec, self.period):  # R's rule, applied to CSS estimates as R's
                return Scored(spec, coef, np.inf)  # approximation mode does: "don't like this model"
            sigma2 = float(np.mean(css_residuals(coef, z, spec, self.period) ** 2))
            start = np.r_[coef, sigma2]
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    params, llf = _estimate(z, spec, self.period, start, self.search_maxiter)
            except _FIT_ERRORS:
                return Scored(spec, np.zeros(spec.n_coef + 1), np.inf)
            ok = admissible(params, spec, self.period)
            return Scored(spec, params, aicc(llf, spec, len(z)) if ok else np.inf)

        self.searched_ = stepwise(self.period, self.bounds, visit)
        errors = []
        for cand in [s for s in self.searched_ if np.isfinite(s.aicc)][:3]:
            try:
                start = self._warm.get(cand.spec, cand.params)
                params, _ = _estimate(z, cand.spec, self.period, start, None)
            except _FIT_ERRORS as exc:
                errors.append(f"{cand.spec.label(self.period)}: {exc}")
                continue
            self._finish(z, cand.spec, params)
            return self
        detail = "; ".join(errors) or "every candidate was inadmissible or failed"
        raise ModelError(f"ARIMA auto: no candidate order could be fitted ({detail})")

    def _finish(self, z: np.ndarray, spec: Spec, params: np.ndarray) -> None:
        if not np.all(np.isfinite(params)):
            raise ModelError(f"ARIMA {spec.label(self.period)}: non-finite estimates {params}")
        seasonal = (spec.P, 0, spec.Q, self.period) if spec.P or spec.Q else (0, 0, 0, 0)
        trend = "c" if spec.constant else "n"
        model = _SMARIMA(z, order=(spec.p, 0, spec.q), seasonal_order=seasonal, trend=trend)
        self._res = model.filter(params)
        self.spec_, self._z, self._warm = spec, z.copy(), {spec: params}

    def update(self, z: np.ndarray) -> ARIMA:
        """Absorb the observations after the fitted/updated history, parameters held.

        ``z`` extending the absorbed history (expanding window): only ``z[n:]`` is filtered
        (``extend``). Otherwise (a sliding window dropped old points) the whole ``z`` is re-filtered.
        """
        res = self._fitted()
        z = np.asarray(z, dtype=float).reshape(-1)
        n = len(self._z)
        if len(z) >= n and np.array_equal(z[:n], self._z):
            if len(z) > n:
                self._res = res.extend(z[n:])
        else:
            self._res = res.apply(z, refit=False)
        self._z = z.copy()
        return self

    def predict(self, h: int) -> Forecast:
        res = self._fitted()
        mean, var = _one_step(res) if h == 1 else (None, None)
        if mean is None:
            fc = res.get_forecast(h)
            mean = np.asarray(fc.predicted_mean, dtype=float).reshape(-1)
            var = np.asarray(fc.var_pred_mean, dtype=float).reshape(-1)
        paths = None
        if h > 1 and self.n_paths > 0:
            sim = res.simulate(
                nsimulations=h,
                repetitions=self.n_paths,
                anchor="end",
                rng=np.random.default_rng(self.sim_seed),
            )
            paths = np.asarray(sim, dtype=float).reshape(h, self.n_paths).T
        return Forecast(mean=mean, var=var, paths=paths, info=self.info)

    @property
    def info(self) -> dict[str, object]:
        """What the fit chose, e.g. ``{"order": "(2,1)(0,1)[12]", "constant": False}``."""
        spec = self._fitted_spec()
        return {"order": spec.label(self.period), "constant": spec.constant}

    @property
    def params(self) -> dict[str, float]:
        """Estimated parameters by statsmodels name (const, ar.L1, ma.L1, ar.S.L12, sigma2, …)."""
        res = self._fitted()
        return dict(zip(res.param_names, np.asarray(res.params, dtype=float), strict=True))

    def _fitted_spec(self) -> Spec:
        if self.spec_ is None:
            raise ModelError("ARIMA: call fit() before update() or predict()")
        return self.spec_

    def _fitted(self) -> ARIMAResults:
        if self._res is None or self._z is None:
            raise ModelError("ARIMA: call fit() before update() or predict()")
        return self._res


def _one_step(res: ARIMAResults) -> tuple[np.ndarray | None, np.ndarray | None]:
    """h = 1 straight from the filter's last predicted state (no forecast model is built).

    ``get_forecast`` costs a new state-space model per call, more than the filter step itself.
    Time-varying system matrices fall back to it (returns None).
    """
    ssm = res.model.ssm
    design, intercept, obs_cov = ssm["design"], ssm["obs_intercept"], ssm["obs_cov"]
    if design.ndim != 2 or intercept.ndim != 1 or obs_cov.ndim != 2:
        return None, None
    fr = res.filter_results
    a, p = fr.predicted_state[:, -1], fr.predicted_state_cov[:, :, -1]
    mean = design @ a + intercept
    var = design @ p @ design.T + obs_cov
    return np.asarray(mean, dtype=float).reshape(1), np.asarray(var, dtype=float).reshape(1)
