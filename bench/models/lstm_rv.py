"""LSTM-RV: an LSTM forecasting the log of the variance proxy (the volatility literature's LSTM).

The net is lagbench's own ``bench.models.recurrent.LSTM`` (one training loop for every net), trained
one step ahead on windows of the standardised log proxy and forecasting recursively. Logs make the
heavy-tailed proxy learnable, but exp(E[log p]) underestimates E[p] (for squared returns by a factor
of about e^1.27): the forecast is rescaled by the mean of p_t / exp(forecast_t) over the last
``calibrate`` training days — the in-sample bias of the net's own one-step forecasts.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from bench.models.base import ModelError, ProxyReader, as_series
from bench.models.recurrent import LSTM
from bench.types import Forecast


class LSTMRV(ProxyReader):
    """LSTM on log(max(p_t, floor · mean p)) standardised with the training part's mean and sd.

    The mean forecast is the training mean of the series (held between refits). ``**lstm`` are
    the LSTM's settings (window, hidden_size, epochs, …; ``bench.models.recurrent.Recurrent``).
    A warm-started refit fine-tunes the same net. Without a proxy from the runner (a plain
    backtest) it reads (z_t − μ)², the squared-return proxy on the transformed scale.
    """

    levels: ClassVar[bool] = False
    stochastic: ClassVar[bool] = True

    def __init__(self, seed: int = 0, floor: float = 1e-3, calibrate: int = 250, **lstm: Any) -> None:
        if not floor > 0 or calibrate < 1:
            raise ValueError(f"lstm_rv needs floor > 0 and calibrate >= 1, got {floor}, {calibrate}")
        self.floor, self.calibrate = float(floor), int(calibrate)
        self.net = LSTM(seed=seed, **lstm)
        self._stats: tuple[float, float, float, float] | None = None  # μ, log-floor, centre, sd
        self._bias = 1.0

    @property
    def min_length(self) -> int:
        return self.net.min_length

    def _inputs(self, p: np.ndarray) -> np.ndarray:
        assert self._stats is not None
        _, low, centre, sd = self._stats
        return (np.log(np.maximum(p, low)) - centre) / sd

    def fit(self, z: np.ndarray) -> LSTMRV:
        z = as_series(z, "lstm_rv")
        mean = float(np.mean(z))
        p = self.proxy_of(z, mean, "lstm_rv")
        low = self.floor * max(float(np.mean(p)), np.finfo(float).tiny)
        x = np.log(np.maximum(p, low))
        sd = float(np.std(x))
        if not sd > 0:
            raise ModelError("lstm_rv: the training proxy is constant")
        self._stats = (mean, low, float(np.mean(x)), sd)
        u = self._inputs(p)
        self.net.fit(u)
        w = self.net.window
        start = max(w, len(u) - self.calibrate)
        fitted = np.array([self.net.one_step(u[t - w : t]) for t in range(start, len(u))])
        self._bias = float(np.mean(p[start:] / self._level(fitted)))
        return self

    def _level(self, u: np.ndarray) -> np.ndarray:
        assert self._stats is not None
        _, _, centre, sd = self._stats
        return np.exp(centre + sd * np.asarray(u, dtype=float))

    def update(self, z: np.ndarray) -> LSTMRV:
        if self._stats is None:
            raise ModelError("lstm_rv: update() before fit()")
        z = as_series(z, "lstm_rv")
        self.net.update(self._inputs(self.proxy_of(z, self._stats[0], "lstm_rv")))
        return self

    def predict(self, h: int) -> Forecast:
        if self._stats is None:
            raise ModelError("lstm_rv: predict() before fit()")
        u = self.net.predict(h).mean
        return Forecast(mean=np.full(h, self._stats[0]), var=self._bias * self._level(u))
