"""Volatility yardsticks: RiskMetrics EWMA, a rolling variance and Corsi's HAR on the variance proxy.

They forecast the next days' variance of a return series (the mean is the training mean, held
between refits): the bar a GARCH or a net must clear on the variance, as persistence is for the
mean. Each works on the transformed series ``z`` the runner hands it, so its variance comes out on
the scale the runner inverts (a returns chain only scales; ``bench.prep.proxy``). EWMA and the
rolling variance read squared deviations of ``z``; HAR reads the variance proxy's history
(``SeesProxy``), which the runner maps onto the same scale.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from scipy.signal import lfilter

from bench.models.base import ModelBase, ModelError, ProxyReader, as_series, require_length
from bench.types import Forecast


class _Flat(ModelBase):
    """Shared part: the mean is the training mean; the variance forecast is the same at every step."""

    levels: ClassVar[bool] = False
    name: ClassVar[str] = "volatility model"

    def __init__(self) -> None:
        self._mean: float | None = None
        self._z: np.ndarray | None = None

    def fit(self, z: np.ndarray) -> _Flat:
        z = as_series(z, self.name)
        require_length(z, self.min_length, self.name, "its variance window")
        self._mean, self._z = float(np.mean(z)), z
        return self

    def update(self, z: np.ndarray) -> _Flat:
        if self._mean is None:
            raise ModelError(f"{self.name}: update() before fit()")
        z = as_series(z, self.name)
        require_length(z, self.min_length, self.name, "its variance window")
        self._z = z
        return self

    def predict(self, h: int) -> Forecast:
        if self._mean is None or self._z is None:
            raise ModelError(f"{self.name}: predict() before fit()")
        var = self.next_variance((self._z - self._mean) ** 2)
        return Forecast(mean=np.full(h, self._mean), var=np.full(h, var))

    def next_variance(self, sq: np.ndarray) -> float:
        raise NotImplementedError


class EWMA(_Flat):
    """RiskMetrics (J.P. Morgan 1996): σ²_{t+1} = λ σ²_t + (1 − λ)(z_t − μ)², λ = 0.94 for daily data.

    The recursion starts from the mean square of the first ``init`` deviations and runs over the
    whole history at every origin (O(n), in C); with λ = 0.94 the start is forgotten after a few
    hundred days. Forecasts are flat in h, as RiskMetrics' square-root-of-time rule assumes.
    """

    name: ClassVar[str] = "ewma"

    def __init__(self, lam: float = 0.94, init: int = 22) -> None:
        super().__init__()
        if not 0.0 < lam < 1.0:
            raise ValueError(f"ewma lam must lie in (0, 1), got {lam}")
        if init < 1:
            raise ValueError(f"ewma init must be >= 1, got {init}")
        self.lam, self.init = float(lam), int(init)

    @property
    def min_length(self) -> int:
        return 2

    def next_variance(self, sq: np.ndarray) -> float:
        lam = self.lam
        start = float(np.mean(sq[: self.init]))
        out, _ = lfilter([1.0 - lam], [1.0, -lam], sq, zi=[lam * start])
        return float(out[-1])


class RollingVariance(_Flat):
    """The mean squared deviation of the last ``window`` days (22: a trading month)."""

    name: ClassVar[str] = "rolling_var"

    def __init__(self, window: int = 22) -> None:
        super().__init__()
        if window < 2:
            raise ValueError(f"rolling_var window must be >= 2, got {window}")
        self.window = int(window)

    @property
    def min_length(self) -> int:
        return self.window

    def next_variance(self, sq: np.ndarray) -> float:
        return float(np.mean(sq[-self.window :]))


HAR_LAGS = (1, 5, 22)


def har_design(proxy: np.ndarray) -> np.ndarray:
    """Rows t ≥ 21: [1, p_t, mean(p_{t−4..t}), mean(p_{t−21..t})], Corsi's daily/weekly/monthly."""
    c = np.r_[0.0, np.cumsum(proxy)]
    t = np.arange(HAR_LAGS[-1] - 1, proxy.size)
    cols = [(c[t + 1] - c[t + 1 - k]) / k for k in HAR_LAGS]
    return np.column_stack([np.ones(t.size), *cols])


class HAR(ProxyReader):
    """Corsi's (2009) HAR-RV on the variance proxy: p_{t+1} = b_0 + b_d p_t + b_w p̄⁽⁵⁾_t + b_m p̄⁽²²⁾_t.

    OLS on the training part's proxy (up to the origin); between refits the coefficients are held
    and new days enter the averages. h > 1 iterates the equation on its own forecasts. OLS can
    forecast below zero after a calm spell; the forecast is floored at ``floor`` × the training
    mean proxy. Without a proxy from the runner (a plain backtest) it reads (z_t − μ)², the
    squared-return proxy on the transformed scale.
    """

    levels: ClassVar[bool] = False

    def __init__(self, floor: float = 0.01) -> None:
        if not floor > 0:
            raise ValueError(f"har floor must be > 0, got {floor}")
        self.floor = float(floor)
        self._mean: float | None = None
        self._coef: np.ndarray | None = None
        self._low = 0.0
        self._history: np.ndarray | None = None

    @property
    def min_length(self) -> int:
        return HAR_LAGS[-1] + 10  # 22 days for the first monthly mean, then ten regression rows

    def fit(self, z: np.ndarray) -> HAR:
        z = as_series(z, "har")
        require_length(z, self.min_length, "har", "22 days for the monthly mean plus 10 regression rows")
        self._mean = float(np.mean(z))
        p = self.proxy_of(z, self._mean, "har")
        X = har_design(p)[:-1]
        coef, *_ = np.linalg.lstsq(X, p[HAR_LAGS[-1] :], rcond=None)
        self._coef, self._low = coef, self.floor * float(np.mean(p))
        self._history = p
        return self

    def update(self, z: np.ndarray) -> HAR:
        if self._mean is None:
            raise ModelError("har: update() before fit()")
        self._history = self.proxy_of(as_series(z, "har"), self._mean, "har")
        return self

    def predict(self, h: int) -> Forecast:
        if self._coef is None or self._history is None or self._mean is None:
            raise ModelError("har: predict() before fit()")
        p = list(self._history[-HAR_LAGS[-1] :])
        out = []
        for _ in range(h):
            x = np.array([1.0, *(np.mean(p[-k:]) for k in HAR_LAGS)])
            out.append(max(float(x @ self._coef), self._low))
            p.append(out[-1])
        return Forecast(mean=np.full(h, self._mean), var=np.array(out))
