"""Naive 2, the M-competition yardstick: persistence on the seasonally adjusted series."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from bench.models.base import ModelError, NeedsPeriod, as_series
from bench.prep.seasonality import indices_at, is_seasonal, multiplicative_indices
from bench.types import Forecast


class Naive2:
    """Repeat the last seasonally adjusted value, re-seasonalised at the forecast's phase.

    ``fit`` runs the 90 % seasonality test on the lag-``period`` autocorrelation of the training
    part and, if seasonal, takes classical multiplicative indices from it (both from
    :mod:`bench.prep.seasonality`, shared with ``transform.deseasonalize``). ``update`` holds the
    test's verdict and the indices; only the last value moves, so between refits the indices are
    exactly those of the fitted (in-sample) part. Phase is by position from the series' start.

    Defined on the raw series (``levels = True``): the shared differencing and scaling are not
    applied to it, so the harness never transforms twice. ``period`` 1 is plain persistence.
    """

    levels: ClassVar[bool] = True
    needs_period: ClassVar[NeedsPeriod] = "optional"  # None (a dataset without one): non-seasonal
    min_length: ClassVar[int] = 1  # shorter than three seasons: not seasonal, plain persistence

    def __init__(self, period: int | None = 12) -> None:
        period = 1 if period is None else period
        if int(period) < 1:
            raise ValueError(f"naive2 period must be >= 1, got {period}")
        self.period = int(period)
        self.seasonal = False
        self.indices = np.ones(self.period)
        self._z: np.ndarray | None = None

    def fit(self, z: np.ndarray) -> Naive2:
        z = as_series(z, "naive2")
        self.seasonal = is_seasonal(z, self.period)
        self.indices = np.ones(self.period)
        if self.seasonal:
            try:
                self.indices = multiplicative_indices(z, self.period)
            except ValueError as exc:
                raise ModelError(f"naive2: {exc}") from exc
        self._z = z
        return self

    def update(self, z: np.ndarray) -> Naive2:
        if self._z is None:
            return self.fit(z)
        self._z = as_series(z, "naive2")
        return self

    def predict(self, h: int) -> Forecast:
        if self._z is None:
            raise RuntimeError("naive2: call fit() before predict()")
        n = len(self._z)
        level = self._z[-1] / indices_at(self.indices, n - 1, 1)[0]
        mean = level * indices_at(self.indices, n, h)
        return Forecast(mean=mean, info={"seasonal": self.seasonal, "period": self.period})
