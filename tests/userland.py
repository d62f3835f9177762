"""Model classes as a user would write them, with no lagbench base class (imported by the tests as
``userland.<Class>`` through ``+models.<name>._target_=...``)."""

from __future__ import annotations

import numpy as np

from bench.types import Forecast


class Drift:
    """Last value plus the mean change: a plain class with fit/update/predict, nothing else."""

    def __init__(self, shrink: float = 1.0) -> None:
        self.shrink = shrink

    def fit(self, z):
        self.z = np.asarray(z, dtype=float)
        return self

    def update(self, z):
        return self.fit(z)

    def predict(self, h):
        step = self.shrink * float(np.mean(np.diff(self.z))) if len(self.z) > 1 else 0.0
        return Forecast(mean=self.z[-1] + step * np.arange(1, h + 1))


class NoPredict:
    def fit(self, z):
        return self

    def update(self, z):
        return self


class NoUpdate(Drift):
    update = None  # type: ignore[assignment]


class ReturnsArray(Drift):
    def predict(self, h):
        return np.zeros(h)


class Offset:
    """A component built by Hydra from a nested ``_target_`` node."""

    def __init__(self, by: float = 0.0) -> None:
        self.by = by


class WithPart(Drift):
    """Takes an object built from its config's nested node (``part: {_target_: userland.Offset}``)."""

    def __init__(self, part: Offset) -> None:
        super().__init__()
        if not isinstance(part, Offset):
            raise TypeError(f"part must be an Offset object, got {type(part).__name__}")
        self.part = part

    def predict(self, h):
        fc = super().predict(h)
        return Forecast(mean=fc.mean + self.part.by)
