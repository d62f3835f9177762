"""ARMA on the shared transformed series (statsmodels), fixed order or chosen by AIC.

The harness has already differenced and scaled the data, so the model is ARIMA(p, 0, q) on ``z``:
ARIMA(p, 0, q) on Δy is ARIMA(p, 1, q) on y. Letting the model difference again would silently
double-difference, hence d > 0 is refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import numpy as np
from statsmodels.tsa.arima.model import ARIMA as _SMARIMA
from statsmodels.tsa.arima.model import ARIMAResults

from bench.models.base import ModelError
from bench.types import Forecast

_TRENDS = ("n", "c")


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
    if len(values) != 2 or min(values) < 0:
        raise ValueError(f"ARIMA order must be [p, q] with p, q >= 0, got {list(order)}")
    return values[0], values[1]


class ARIMA:
    """ARIMA(p, 0, q) with a constant (``trend="c"``) or none (``"n"``), fitted by exact MLE.

    ``order="auto"`` refits a grid at every refit and keeps the lowest AIC: p in 0..max_p and
    q in 0..max_q (default 0..2 each, 9 candidates, all with the configured trend); ties go to the
    smaller model (grid order p, then q ascending), so the choice is deterministic. Candidates that
    raise numerical errors are skipped. Trend defaults to "c": the scaled series has mean ≈ 0 on
    the training part, so the constant costs one parameter and guards against drift in Δy.

    ``predict`` returns the Kalman-filter mean and variance and, for h > 1, ``n_paths`` simulated
    paths drawn with the fixed ``sim_seed`` (deterministic), so multi-step intervals can be mapped
    exactly through the inverse of differencing. Convergence warnings are left to propagate: the
    runner counts them per model.
    """

    levels: ClassVar[bool] = False

    def __init__(
        self,
        order: Sequence[int] | str = (1, 1),
        trend: str = "c",
        d: int = 0,
        max_p: int = 2,
        max_q: int = 2,
        n_paths: int = 1000,
        sim_seed: int = 0,
    ) -> None:
        self._pq = _parse_order(order, d)
        if trend not in _TRENDS:
            raise ValueError(f"ARIMA trend must be one of {_TRENDS}, got {trend!r}")
        if max_p < 0 or max_q < 0:
            raise ValueError("ARIMA max_p and max_q must be >= 0")
        if n_paths < 0:
            raise ValueError("ARIMA n_paths must be >= 0")
        self.trend = trend
        self.max_p = int(max_p)
        self.max_q = int(max_q)
        self.n_paths = int(n_paths)
        self.sim_seed = int(sim_seed)
        self.order_: tuple[int, int] | None = None
        self._res: ARIMAResults | None = None

    def _fit_one(self, z: np.ndarray, p: int, q: int) -> ARIMAResults:
        return _SMARIMA(z, order=(p, 0, q), trend=self.trend).fit()

    def fit(self, z: np.ndarray) -> ARIMA:
        z = np.asarray(z, dtype=float).reshape(-1)
        if self._pq is not None:
            self._res = self._fit_one(z, *self._pq)
            self.order_ = self._pq
            return self
        best: tuple[float, tuple[int, int], ARIMAResults] | None = None
        errors: list[str] = []
        for p in range(self.max_p + 1):
            for q in range(self.max_q + 1):
                try:
                    res = self._fit_one(z, p, q)
                except (np.linalg.LinAlgError, ValueError) as exc:
                    errors.append(f"({p},{q}): {exc}")
                    continue
                if np.isfinite(res.aic) and (best is None or res.aic < best[0]):
                    best = (float(res.aic), (p, q), res)
        if best is None:
            detail = "; ".join(errors)
            raise ModelError(f"ARIMA auto: no candidate order could be fitted ({detail})")
        _, self.order_, self._res = best
        return self

    def update(self, z: np.ndarray) -> ARIMA:
        """Re-filter the new history with the estimated parameters held (no re-estimation)."""
        res = self._fitted()
        self._res = res.apply(np.asarray(z, dtype=float).reshape(-1), refit=False)
        return self

    def predict(self, h: int) -> Forecast:
        res = self._fitted()
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
        return Forecast(mean=mean, var=var, paths=paths)

    @property
    def params(self) -> dict[str, float]:
        """Estimated parameters by statsmodels name (const, ar.L1, ma.L1, sigma2, …)."""
        res = self._fitted()
        return dict(zip(res.param_names, np.asarray(res.params, dtype=float), strict=True))

    def _fitted(self) -> ARIMAResults:
        if self._res is None:
            raise ModelError("ARIMA: call fit() before update() or predict()")
        return self._res
