"""Ridge autoregression on the same windows as the recurrent nets.

It answers the question a recurrent net must pass first: does the non-linearity add anything over
a linear AR with the same look-back? The recursive multi-step rule and the input checks live here
too, because every windowed model (this one and :mod:`bench.models.recurrent`) shares them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

import numpy as np
from sklearn.linear_model import Ridge

from bench.models.base import ModelError
from bench.types import Forecast
from bench.windowing import last_window, make_windows


def as_series(z: np.ndarray, model: str) -> np.ndarray:
    """1-D float copy of ``z``; NaN/inf input is a :class:`ModelError`, not a NaN forecast."""
    z = np.asarray(z, dtype=float).reshape(-1)
    if not np.all(np.isfinite(z)):
        raise ModelError(f"{model}: training series contains NaN or inf")
    return z


def require_length(z: np.ndarray, need: int, model: str, why: str) -> None:
    """Raise a :class:`ModelError` that says how many points are needed and why."""
    if len(z) < need:
        raise ModelError(f"{model} needs at least {need} points ({why}), got {len(z)}")


def recursive_forecast(
    one_step: Callable[[np.ndarray], float], history: np.ndarray, window: int, h: int
) -> np.ndarray:
    """Forecast ``h`` steps by feeding each forecast back in as the newest input value.

    ``one_step`` maps a window (length ``window``, oldest first) to the next value.
    """
    x = last_window(history, window)
    out = np.empty(h, dtype=float)
    for i in range(h):
        out[i] = one_step(x)
        x = np.append(x[1:], out[i])
    return out


def check_finite(mean: np.ndarray, model: str) -> np.ndarray:
    """Diverged weights show up as NaN/inf forecasts; fail loudly so the fold is recorded."""
    if not np.all(np.isfinite(mean)):
        raise ModelError(f"{model}: forecast is not finite (the fitted model has diverged)")
    return mean


class RidgeAR:
    """Ridge regression of the next value on the previous ``window`` values.

    ``update`` swaps in a new history and keeps the coefficients, like the recurrent nets.
    """

    levels: ClassVar[bool] = False

    def __init__(self, window: int = 20, alpha: float = 1.0, fit_intercept: bool = True) -> None:
        if window < 1 or alpha < 0:
            raise ValueError("window must be >= 1 and alpha >= 0")
        self.window = int(window)
        self.alpha = float(alpha)
        self.fit_intercept = bool(fit_intercept)
        self.coef_: np.ndarray | None = None
        self.intercept_: float = 0.0
        self._history: np.ndarray | None = None

    def fit(self, z: np.ndarray) -> RidgeAR:
        z = as_series(z, "linear")
        require_length(z, self.window + 1, "linear", f"window {self.window} + 1 target")
        X, Y = make_windows(z, self.window, 1)
        reg = Ridge(alpha=self.alpha, fit_intercept=self.fit_intercept).fit(X, Y[:, 0])
        self.coef_ = np.asarray(reg.coef_, dtype=float)
        self.intercept_ = float(reg.intercept_)
        self._history = z
        return self

    def update(self, z: np.ndarray) -> RidgeAR:
        if self.coef_ is None:
            raise ModelError("linear: update() before fit()")
        z = as_series(z, "linear")
        require_length(z, self.window, "linear", f"one input window of {self.window}")
        self._history = z
        return self

    def predict(self, h: int) -> Forecast:
        if self.coef_ is None or self._history is None:
            raise ModelError("linear: predict() before fit()")
        mean = recursive_forecast(self.one_step, self._history, self.window, h)
        return Forecast(mean=check_finite(mean, "linear"))

    def one_step(self, x: np.ndarray) -> float:
        """Next value after window ``x`` (oldest first)."""
        if self.coef_ is None:
            raise ModelError("linear: one_step() before fit()")
        return float(x @ self.coef_ + self.intercept_)
