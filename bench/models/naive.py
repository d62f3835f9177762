"""Persistence baselines: the yardsticks every other model must beat."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from bench.types import Forecast


class Naive:
    """Repeat the last observed value — the random walk's optimal forecast.

    Defined on the raw series (``levels = True``) so it is exact whatever the shared transform.
    """

    levels: ClassVar[bool] = True
    min_length: ClassVar[int] = 1  # one observation to repeat

    def __init__(self) -> None:
        self._last: float | None = None

    def fit(self, z: np.ndarray) -> Naive:
        self._last = float(np.asarray(z, dtype=float)[-1])
        return self

    def update(self, z: np.ndarray) -> Naive:
        return self.fit(z)

    def predict(self, h: int) -> Forecast:
        return Forecast(mean=np.full(h, self._last))
