"""Seasonal persistence: the yardstick for series with a calendar cycle."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from bench.models.base import NeedsPeriod
from bench.types import Forecast


class SeasonalNaive:
    """Repeat the value one season earlier: ŷ_{T+i} = y_{T+i-m·ceil(i/m)} for any horizon i.

    Defined on the raw series (``levels = True``), like ``Naive``. ``period`` (m) is a constructor
    parameter (default 12, monthly data); the suite's YAML may wire in the dataset's own period.
    With m = 1 it reduces to plain persistence.
    """

    levels: ClassVar[bool] = True
    needs_period: ClassVar[NeedsPeriod] = "required"  # null: the dataset's period (it must have one)

    def __init__(self, period: int = 12) -> None:
        if int(period) < 1:
            raise ValueError(f"SeasonalNaive period must be >= 1, got {period}")
        self.period = int(period)
        self._season: np.ndarray | None = None

    @property
    def min_length(self) -> int:
        """One full season to repeat."""
        return self.period

    def fit(self, z: np.ndarray) -> SeasonalNaive:
        z = np.asarray(z, dtype=float).reshape(-1)
        if z.size < self.period:
            raise ValueError(
                f"SeasonalNaive needs at least one full season ({self.period} points), got {z.size}"
            )
        self._season = z[-self.period :].copy()
        return self

    def update(self, z: np.ndarray) -> SeasonalNaive:
        return self.fit(z)

    def predict(self, h: int) -> Forecast:
        if self._season is None:
            raise RuntimeError("SeasonalNaive: call fit() before predict()")
        # Step i (1-based) takes position (i - 1) mod m of the last observed season.
        return Forecast(mean=self._season[np.arange(h) % self.period])
