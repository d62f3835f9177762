"""The interface of a global model: one set of parameters fitted on every series of a collection.

Kept beside :mod:`bench.models.base` (the local ``Forecaster``): the global fold loop in
:mod:`bench.engine.fleets` (``Shared``) is the only caller. Each series is transformed by its own
pipeline first, so the model sees series on comparable scales.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Protocol, runtime_checkable

import numpy as np

from bench.types import Forecast


@runtime_checkable
class GlobalForecaster(Protocol):
    """fit on a list of series → predict one forecast per series, plus update between refits.

    ``scope`` is ``"global"``: the fold loop shares one such model over every series. ``check`` lets
    the runner drop a series that cannot be used at a fold (too short) before the shared fit, so
    that series fails alone.
    """

    levels: ClassVar[bool]
    scope: ClassVar[str]

    def check(self, z: np.ndarray) -> None:
        """Raise ``ModelError`` (saying why) if transformed series ``z`` cannot be fitted on."""
        ...

    def fit(self, zs: Sequence[np.ndarray]) -> GlobalForecaster:
        """Estimate one set of parameters on every transformed training series."""
        ...

    def update(self, zs: Sequence[np.ndarray]) -> GlobalForecaster:
        """Condition on longer histories (same series, same order) keeping the parameters."""
        ...

    def predict(self, h: int) -> list[Forecast]:
        """The next ``h`` values of every series (transformed scale), in the order of ``fit``."""
        ...
