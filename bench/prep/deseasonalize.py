"""Deseasonalising as the M-competition benchmarks do: classical multiplicative indices, if seasonal."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from bench.errors import InputDataError
from bench.prep.seasonality import indices_at, is_seasonal, multiplicative_indices
from bench.prep.steps import Step


@dataclass
class Deseasonalize(Step):
    """Divide by classical multiplicative indices where the 90 % test finds seasonality.

    Test and indices come from the training part only. Phase is by position: index k belongs to
    positions k, k + m, … of the series the step was fitted on, and ``inverse_forecast`` takes the
    phase of the first forecast from the history's length. That is right whenever every history
    starts where the fitted one did (expanding splits); a sliding window must move by whole seasons.
    """

    period: int
    seasonal: bool | None = field(default=None, init=False)
    indices: np.ndarray | None = field(default=None, init=False, repr=False)

    def fit(self, y: np.ndarray) -> Deseasonalize:
        y = np.asarray(y, dtype=float)
        self.seasonal = is_seasonal(y, self.period)
        self.indices = np.ones(self.period)
        if self.seasonal:
            if np.any(y <= 0):
                raise InputDataError(
                    "transform.deseasonalize (a multiplicative decomposition) needs positive data "
                    "where the series is seasonal; this training part has values <= 0 "
                    "(after transform.log/boxcox, if set); use transform.seasonal_diff instead"
                )
            self.indices = multiplicative_indices(y, self.period)
        return self

    def transform(self, y: np.ndarray) -> np.ndarray:
        y = np.asarray(y, dtype=float)
        return y / indices_at(self.indices, 0, len(y))

    def inverse_forecast(self, z_hat: np.ndarray, history: np.ndarray) -> np.ndarray:
        z_hat = np.asarray(z_hat, dtype=float)
        return z_hat * indices_at(self.indices, len(history), z_hat.shape[-1])

    def describe(self) -> str:
        if self.seasonal is None:
            return f"deseasonalize({self.period}, 90 % test)"
        return f"deseasonalize({self.period} → {'seasonal' if self.seasonal else 'none'})"

    def info(self) -> dict:
        return {} if self.seasonal is None else {"seasonal": self.seasonal}
