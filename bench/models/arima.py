"""Seasonal ARMA on the shared transformed series (statsmodels), fixed order or stepwise auto-ARIMA.

The harness has already differenced and scaled the data, so the model is ARMA(p, q)(P, Q)[s] on
``z``: ARIMA(p, 0, q) on Δy is ARIMA(p, 1, q) on y. Letting the model difference again would
silently double-difference, hence d > 0 is refused.

Rolling evaluation is made cheap in three ways: no standard errors or smoother at a fit
(``cov_type="none"``, parameters then one filter pass), ``update`` absorbs only the observations
since the last origin (one numpy Kalman step each, ``kalman.KalmanState``; statsmodels'
``results.extend`` only when a multi-step forecast needs its results object), and a repeated
``fit`` on the same object starts the optimiser from the previous estimates. The automatic order
search lives in ``bench.models.arima_auto``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import ClassVar

import numpy as np
from statsmodels.tsa.arima.model import ARIMAResults

from bench.models.arima_auto import converge_best, search
from bench.models.arima_mle import Estimate, estimate, sm_model
from bench.models.arima_search import Bounds, Scored, Spec, for_length
from bench.models.base import ModelError, NeedsPeriod
from bench.models.kalman import KalmanState
from bench.types import Forecast

_TRENDS = ("n", "c")


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


class ARIMA:
    """ARMA(p, q)(P, Q)[period] with or without a constant, exact MLE; orders fixed or automatic.

    ``order="auto"``: Hyndman–Khandakar stepwise search (R's ``auto.arima``) over p ≤ max_p,
    q ≤ max_q, P ≤ max_P, Q ≤ max_Q, p+q+P+Q ≤ max_order and the constant, by AICc. Each candidate
    gets CSS estimates and is scored by its exact likelihood after ``search_maxiter`` optimiser
    iterations from them (0 = at the CSS estimates); only the chosen model is estimated to
    convergence. Ties go to the earlier-visited candidate, so the choice is
    deterministic. ``trend`` applies to fixed orders only (auto searches the constant, allowed only
    while the shared transform differenced fewer than twice, see ``set_differences``).
    ``reselect=False`` searches at the first fit only; later refits re-estimate the parameters of
    the orders found then (the "orders kept, parameters re-estimated" schedule of the M3 papers).
    ``period`` ≤ 1 (or None) means non-seasonal; YAML ``period: null`` takes the dataset's.

    ``predict`` returns the Kalman-filter mean and variance and, for h > 1, ``n_paths`` simulated
    paths drawn with the fixed ``sim_seed``. Convergence warnings of the final fit propagate (the
    runner counts them); those of the deliberately truncated candidate fits are silenced.
    """

    levels: ClassVar[bool] = False
    # ``period: null`` on a dataset without a period means "non-seasonal", not an error (for the suite).
    needs_period: ClassVar[NeedsPeriod] = "optional"  # null: the dataset's period; None/<=1: non-seasonal
    first_fit_ignores: ClassVar[frozenset[str]] = frozenset({"reselect"})  # steers later refits only

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
        reselect: bool = True,
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
        if not isinstance(reselect, bool):
            raise ValueError(f"ARIMA reselect must be true or false, got {reselect!r}")
        self.reselect = reselect
        self.n_paths = int(n_paths)
        self.sim_seed = int(sim_seed)
        self.spec_: Spec | None = None
        self.searched_: list[Scored] = []
        self._res: ARIMAResults | None = None
        self._state: KalmanState | None = None  # one-step state, ahead of _res by _pending
        self._pending: list[float] = []
        self._z: np.ndarray | None = None
        self._differences = 0  # applied by the shared transform before the last fit (set_differences)
        self._zero_change = 0.0  # where a change of zero lands on the transformed scale (ditto)
        self._offset = 0.0  # subtracted from the input, added to forecasts: see set_differences
        self._warm: dict[Spec, Estimate] = {}  # the last final estimate: starting point only
        self._res_of: int | None = None  # _res rebuildable from _z[:_res_of] (set by a fit)

    @property
    def min_length(self) -> int:
        """Auto: 3 points (the null model; shorter series search smaller orders, as R's auto.arima).
        A fixed order: its lag span plus its coefficients, σ² and one degree of freedom."""
        if self._pq is None:
            return 3
        p, q = self._pq
        spec = Spec(p, q, *self._PQ, constant=self.trend == "c")
        return max(p + spec.P * self.period, q + spec.Q * self.period) + spec.n_coef + 2

    @property
    def remember_fits(self) -> bool:
        """A fresh fit with an order search (seconds) is reused across runs (fit_memo); a fixed order's
        estimate is not worth an entry."""
        return self._pq is None

    @property
    def order_(self) -> tuple[int, int] | None:
        return None if self.spec_ is None else (self.spec_.p, self.spec_.q)

    def set_differences(self, n: int, zero_change: float = 0.0) -> None:
        """How many differences (d + D) the shared transform applied (auto drops the constant at ≥ 2)
        and where a change of zero lands after its scaling (``Chain.zero_change``).

        A standard scaler centres the differences on their training mean, and an ARMA without a
        constant on centred differences is a model *with* a drift (d + D = 1) or a quadratic trend
        (d + D = 2) fixed at that mean: the "no drift" model R's auto.arima weighs by AICc was out of
        reach, and 18-step forecasts of twice-differenced series ran away (M3 monthly, Monash
        protocol: MASE 0.912 against the R port's 0.876). The model therefore works on the
        differences measured from a zero change, so its constant is a real drift, chosen or not.
        """
        self._differences = int(n)
        self._zero_change = float(zero_change) if n >= 1 else 0.0

    def fit(self, z: np.ndarray) -> ARIMA:
        """Complete (re-)estimation on ``z``; a previous fit on this object seeds the optimiser
        (and with ``reselect=False`` fixes the orders)."""
        self._offset = self._zero_change
        z = np.asarray(z, dtype=float).reshape(-1) - self._offset
        spec = self._no_search_spec()
        if spec is not None:
            est = estimate(z, spec, self.period, None, None, self._warm.get(spec))
            self._finish(z, spec, est)
            return self

        # R bounds the orders by the series' length before differencing; the model sees the
        # differenced series, so it counts one point per difference (a seasonal one loses m).
        n = len(z) + self._differences
        bounds = for_length(replace(self.bounds, constant=self._differences < 2), n, self.period)
        self.searched_ = search(z, self.period, bounds, self.search_maxiter, short=n < 10)
        self._finish(z, *converge_best(z, self.searched_, self.period, self._warm))
        return self

    def _no_search_spec(self) -> Spec | None:
        """The spec to estimate without a search: the fixed order, or (``reselect=False``) the
        first search's orders, the constant still subject to d + D; None when a search is due."""
        if self._pq is not None:
            return Spec(*self._pq, *self._PQ, constant=self.trend == "c")
        if self.reselect or self.spec_ is None:
            return None
        return replace(self.spec_, constant=self.spec_.constant and self._differences < 2)

    def _finish(self, z: np.ndarray, spec: Spec, est: Estimate) -> None:
        if not np.all(np.isfinite(est.params)):
            raise ModelError(f"ARIMA {spec.label(self.period)}: non-finite estimates {est.params}")
        self._res = self._filter(z, spec, est.params)
        self._state, self._pending = KalmanState.from_results(self._res), []
        self.spec_, self._z, self._warm = spec, z.copy(), {spec: est}
        self._res_of = len(z)  # _res is the filter of _z[:_res_of] at the estimates (see __getstate__)

    def _filter(self, z: np.ndarray, spec: Spec, params: np.ndarray) -> ARIMAResults:
        """The Kalman filter of ``z`` at fixed estimates (no Hessian): a fit's results, and their
        rebuild after unpickling — one call, so the two are the same computation."""
        return sm_model(z, spec, self.period).filter(params, cov_type="none")

    def __getstate__(self) -> dict:
        """Pickled without the statsmodels results while they are the fit's own filter run: for a
        seasonal model they hold megabytes of state covariances (4.5 MB on an M3 series), and one
        Kalman filter at the stored estimates rebuilds them bit for bit (``__setstate__``)."""
        state = dict(self.__dict__)
        if state.get("_res_of") is not None:
            state["_res"] = None
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        if self.__dict__.get("_res_of") is not None and self.spec_ is not None:
            self._res = self._filter(self._z[: self._res_of], self.spec_, self._warm[self.spec_].params)

    def update(self, z: np.ndarray) -> ARIMA:
        """Absorb the observations after the fitted/updated history, parameters held.

        ``z`` extending the absorbed history (expanding window): only ``z[n:]`` is filtered, one
        Kalman step each. Otherwise (a sliding window dropped old points) the whole ``z`` is re-filtered.
        """
        self._fitted()
        z = np.asarray(z, dtype=float).reshape(-1) - self._offset
        n = len(self._z)
        if len(z) >= n and np.array_equal(z[:n], self._z):
            new = z[n:]
            if self._state is None:
                self._pending.extend(new)
                self._results()
            else:
                for value in new:
                    self._state.step(value)
                self._pending.extend(new)
        else:
            self._res = self._results().apply(z, refit=False)
            self._state, self._pending, self._res_of = KalmanState.from_results(self._res), [], None
        self._z = z.copy()
        return self

    def predict(self, h: int) -> Forecast:
        self._fitted()
        if h == 1 and self._state is not None:
            mean, var = self._state.one_step()
            return Forecast(mean=mean + self._offset, var=var, paths=None, info=self.info)
        res = self._results()
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
            paths = np.asarray(sim, dtype=float).reshape(h, self.n_paths).T + self._offset
        return Forecast(mean=mean + self._offset, var=var, paths=paths, info=self.info)

    @property
    def info(self) -> dict[str, object]:
        """What the fit chose, e.g. ``{"order": "(2,1)(0,1)[12]", "constant": False}``."""
        spec = self._fitted_spec()
        return {"order": spec.label(self.period), "constant": spec.constant}

    @property
    def params(self) -> dict[str, float]:
        """Estimated parameters by statsmodels name (const, ar.L1, ma.L1, ar.S.L12, sigma2, …)."""
        res = self._results()
        return dict(zip(res.param_names, np.asarray(res.params, dtype=float), strict=True))

    def _fitted_spec(self) -> Spec:
        if self.spec_ is None:
            raise ModelError("ARIMA: call fit() before update() or predict()")
        return self.spec_

    def _fitted(self) -> ARIMAResults:
        if self._res is None or self._z is None:
            raise ModelError("ARIMA: call fit() before update() or predict()")
        return self._res

    def _results(self) -> ARIMAResults:
        """The statsmodels results with every absorbed observation (``extend`` by the pending ones)."""
        res = self._fitted()
        if self._pending:
            self._res = res.extend(np.asarray(self._pending, dtype=float))
            self._pending, self._res_of = [], None
        return self._res
