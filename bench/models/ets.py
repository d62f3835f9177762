"""Exponential smoothing state-space models (statsmodels ``ETSModel``), chosen by AICc as R's ``ets``."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product
from typing import ClassVar

import numpy as np
import pandas as pd
from statsmodels.tools._decorators import cache_readonly
from statsmodels.tsa.exponential_smoothing.ets import ETSModel, ETSResults, ETSResultsWrapper

from bench.models import ets_mle
from bench.models.base import ModelError, NeedsPeriod, as_series
from bench.prep.seasonality import indices_at, is_seasonal, multiplicative_indices
from bench.types import Forecast

AUTO = "auto"
_ERRORS = ("add", "mul")
_TRENDS = (None, "add")
_SEASONS = (None, "add", "mul")
_SHORT = {None: "N", "add": "A", "mul": "M"}
MAX_SEASONAL_PERIOD = 24  # R ets refuses seasonal models above this period


@dataclass(frozen=True)
class Spec:
    """One ETS(error, trend, season) form; ``name`` reads as R prints it, e.g. ETS(M,Ad,M)."""

    error: str
    trend: str | None
    damped: bool
    seasonal: str | None

    @property
    def name(self) -> str:
        t = _SHORT[self.trend] + ("d" if self.damped else "")
        return f"ETS({_SHORT[self.error]},{t},{_SHORT[self.seasonal]})"

    def n_estimated(self, period: int) -> int:
        """What R's ``etsmodel`` estimates: smoothing parameters (α, β, γ, φ) and initial states
        (l0, b0, m − 1 seasonal seeds). R leaves a form out when this is ≥ n − 1."""
        trend, season = self.trend is not None, self.seasonal is not None
        return 1 + trend + season + int(self.damped) + 1 + trend + (period - 1) * season


def requested_params(period: int, trend: object, damped: object, seasonal: object) -> int:
    """R ``ets``'s ``npars`` of the requested model (components left to ``auto`` count as absent):
    with n ≤ npars + 4 points R fits a non-optimised Holt-Winters instead, which lagbench does not."""
    absent = (AUTO, None, "none", "N")
    return 2 + 2 * (trend not in absent) + int(damped is True) + period * (seasonal not in absent)


def _options(value: object, allowed: tuple, key: str) -> tuple:
    if value == AUTO:
        return allowed
    value = None if value in (None, "none", "N") else value
    if value not in allowed:
        raise ValueError(f"ets {key} must be 'auto' or one of {list(allowed)}, not {value!r}")
    return (value,)


def candidates(
    n: int, positive: bool, period: int, error: object = AUTO, trend: object = AUTO,
    damped: object = AUTO, seasonal: object = AUTO,
) -> list[Spec]:  # fmt: skip
    """R ``ets``'s admissible set, restricted by the fixed components.

    Multiplicative error or season only for positive data; no additive error with multiplicative
    season (infinite forecast variance, R's ``restrict``); seasonal forms only when 1 < period ≤ 24
    and the series holds two full seasons (R: more than one; statsmodels' initialisation needs
    two); no multiplicative trend (R's default). As R, a form is left out when what it estimates
    (smoothing parameters and initial states, :meth:`Spec.n_estimated`) is ≥ n − 1; lagbench also
    leaves out the form at n − 2, whose AICc is infinite in R (a zero denominator).
    """
    errors = _options(error, _ERRORS, "error")
    trends = _options(trend, _TRENDS, "trend")
    seasons = _options(seasonal, _SEASONS, "seasonal")
    dampeds = (False, True) if damped == AUTO else (bool(damped),)
    out = []
    for e, t, d, s in product(errors, trends, dampeds, seasons):
        if d and t is None:
            continue
        if not positive and "mul" in (e, s):
            continue
        if e == "add" and s == "mul":
            continue
        if s is not None and not (1 < period <= MAX_SEASONAL_PERIOD and n >= 2 * period):
            continue
        spec = Spec(e, t, d, s)
        if spec.n_estimated(period) < n - 2:
            out.append(spec)
    return out


class _Results(ETSResults):
    """statsmodels' results without the parameters' covariance: its complex-step Hessian ran at every
    fit and every ``smooth`` (about half of ETS's time on M3), and nothing here reads it (the
    forecast variance is the state-space formula's, not the parameters')."""

    @cache_readonly
    def cov_params_approx(self) -> np.ndarray:
        k = len(self.params)
        return np.full((k, k), np.nan)


class _Model(ETSModel):
    @property
    def _res_classes(self) -> dict:
        return {"fit": (_Results, ETSResultsWrapper)}


class ETS:
    """ETS by maximum likelihood, the form chosen by AICc over :func:`candidates` at every fit.

    Each component may be fixed (``error="add"``, ``trend=None``, ``damped=False``, ``seasonal=None``
    is simple exponential smoothing) or ``"auto"``. ``update`` holds every parameter, the initial
    states included, and re-runs the filter over the longer history (``ETSModel.smooth``): O(n).

    Defined on the raw series (``levels = True``): the shared differencing and scaling are not
    applied (ETS has its own level and trend), so the harness never transforms twice. The chosen
    form and its AICc are in ``Forecast.info``. Multi-step variances of forms without a closed form
    are simulated with the fixed ``sim_seed``, so runs are deterministic.

    ``deseasonalize=True`` (the M3/M4 convention for SES, Holt and Damped) fits the non-seasonal
    forms to the series divided by classical multiplicative indices where the 90 % test finds
    seasonality (as Naive 2; indices held on update) and re-seasonalises the forecasts.
    """

    levels: ClassVar[bool] = True
    needs_period: ClassVar[NeedsPeriod] = "optional"  # None (a dataset without one): non-seasonal

    def __init__(
        self, period: int | None = 1, error: str = AUTO, trend: str | None = AUTO, damped: bool | str = AUTO,
        seasonal: str | None = AUTO, deseasonalize: bool = False, maxiter: int = 1000, sim_seed: int = 0,
    ) -> None:  # fmt: skip
        period = 1 if period is None else period
        if int(period) < 1:
            raise ValueError(f"ets period must be >= 1, got {period}")
        if deseasonalize and seasonal not in (AUTO, None, "none", "N"):
            raise ValueError(
                f"ets deseasonalize=true removes the season first; seasonal must be null, not {seasonal!r}"
            )
        self.period = int(period)
        self.deseasonalize = bool(deseasonalize)
        seasonal = None if deseasonalize else seasonal
        self._indices = np.ones(self.period)
        self.components = dict(error=error, trend=trend, damped=damped, seasonal=seasonal)
        candidates(100, True, self.period, **self.components)  # validate the settings now
        self.maxiter = int(maxiter)
        self.sim_seed = int(sim_seed)
        self.min_length = requested_params(self.period, trend, damped, seasonal) + 5
        self.spec: Spec | None = None
        self._params: np.ndarray | None = None
        self._res = None
        self._aicc = float("nan")

    @property
    def remember_fits(self) -> bool:
        """A fresh fit that chooses among forms (seconds of MLE fits) is reused across runs (fit_memo);
        a fixed form (SES, Holt, Damped: milliseconds) is not worth an entry."""
        return AUTO in self.components.values()

    def _model(self, z: np.ndarray, spec: Spec) -> _Model:
        seasonal_periods = self.period if spec.seasonal else None
        # A pandas endog: statsmodels 0.15's get_prediction needs an index on the predicted mean.
        return _Model(
            pd.Series(z), error=spec.error, trend=spec.trend, damped_trend=spec.damped,
            seasonal=spec.seasonal, seasonal_periods=seasonal_periods, initialization_method="estimated",
        )  # fmt: skip

    def _adjusted(self, z: np.ndarray) -> np.ndarray:
        return z / indices_at(self._indices, 0, len(z))

    def fit(self, z: np.ndarray) -> ETS:
        z = as_series(z, "ets")
        self._indices = np.ones(self.period)
        if self.deseasonalize and is_seasonal(z, self.period):
            try:
                self._indices = multiplicative_indices(z, self.period)
            except ValueError as exc:
                raise ModelError(f"ets: {exc}") from exc
        z = self._adjusted(z)
        if len(z) < self.min_length:
            raise ModelError(
                f"ets needs at least {self.min_length} points (R's npars + 5: shorter series get a "
                f"non-optimised Holt-Winters in R), got {len(z)}"
            )
        specs = candidates(len(z), bool(np.all(z > 0)), self.period, **self.components)
        if not specs:
            raise ModelError(f"ets: no admissible model for {len(z)} points with {self.components}")
        best = None
        for spec in specs:
            try:
                res = ets_mle.fit(self._model(z, spec), self.maxiter)  # statsmodels' fit, leaner
            except (ValueError, np.linalg.LinAlgError):
                continue
            if np.isfinite(res.aicc) and (best is None or res.aicc < best[1].aicc):
                best = (spec, res)
        if best is None:
            raise ModelError(f"ets: every candidate failed to fit ({', '.join(s.name for s in specs)})")
        self.spec, self._res = best
        self._params, self._aicc = np.asarray(self._res.params), float(self._res.aicc)
        return self

    def update(self, z: np.ndarray) -> ETS:
        if self.spec is None:
            return self.fit(z)
        self._res = self._model(self._adjusted(as_series(z, "ets")), self.spec).smooth(self._params)
        return self

    def predict(self, h: int) -> Forecast:
        if self._res is None:
            raise RuntimeError("ets: call fit() before predict()")
        n = self._res.model.nobs
        pred = self._res.get_prediction(start=n, end=n + h - 1, rng=np.random.default_rng(self.sim_seed))
        s = indices_at(self._indices, n, h)  # ones unless deseasonalised
        info = {"model": self.spec.name, "aicc": self._aicc}
        if self.deseasonalize:
            info["seasonal"] = bool(np.any(self._indices != 1))
        mean, var = np.asarray(pred.predicted_mean) * s, np.asarray(pred.var_pred_mean) * s**2
        return Forecast(mean=mean, var=var, info=info)
