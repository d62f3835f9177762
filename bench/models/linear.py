"""Ridge autoregression on the same windows as the recurrent nets.

It answers the question a recurrent net must pass first: does the non-linearity add anything over
a linear AR with the same look-back?
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from sklearn.linear_model import Ridge

from bench.models.base import ModelError, as_series, check_finite, require_length
from bench.prep.windowing import make_windows, recursive_forecast
from bench.types import Forecast


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

    @property
    def min_length(self) -> int:
        """One window and its target."""
        return self.window + 1

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
