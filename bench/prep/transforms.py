"""The shared, invertible preprocessing every model goes through.

Each step learns its parameters in ``fit`` from a fold's training data only. Inversion is pure: it
takes the step's own input history up to the origin (the levels to re-integrate from), never
anything remembered from a longer series, so data after an origin cannot reach a forecast made there.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from bench.errors import ConfigError
from bench.prep.steps import Difference, Log, Scale, Transform, first_non_positive

__all__ = ["Chain", "Difference", "Log", "Scale", "Transform", "build_pipeline", "first_non_positive"]


@dataclass
class Chain:
    """Steps applied in order; inversion runs backwards, each step re-anchored on its own input."""

    steps: list = field(default_factory=list)

    def fit(self, y: np.ndarray) -> Chain:
        x = np.asarray(y, dtype=float)
        for step in self.steps:
            x = step.fit(x).transform(x)
        return self

    def fit_transform(self, y: np.ndarray) -> np.ndarray:
        return self.fit(y).transform(y)

    def transform(self, y: np.ndarray) -> np.ndarray:
        x = np.asarray(y, dtype=float)
        for step in self.steps:
            x = step.transform(x)
        return x

    def inverse_forecast(self, z_hat: np.ndarray, history: np.ndarray) -> np.ndarray:
        # inputs[i] is what step i saw: the history pushed through the steps before it.
        inputs = [np.asarray(history, dtype=float)]
        for step in self.steps[:-1]:
            inputs.append(step.transform(inputs[-1]))
        inputs = inputs[: len(self.steps)]
        x = np.asarray(z_hat, dtype=float)
        for step, hist in zip(reversed(self.steps), reversed(inputs), strict=True):
            x = step.inverse_forecast(x, hist)
        return x

    @property
    def lost(self) -> int:
        """Observations consumed at the start of the series (by differencing)."""
        return sum(s.lag for s in self.steps if isinstance(s, Difference))

    def describe(self) -> str:
        if not self.steps:
            return "identity"
        names = []
        for s in self.steps:
            if isinstance(s, Difference):
                names.append("diff" if s.lag == 1 else f"seasonal_diff({s.lag})")
            elif isinstance(s, Scale):
                names.append(f"scale({s.kind})")
            else:
                names.append(type(s).__name__.lower())
        return " → ".join(names)


def build_pipeline(
    diff: int = 1,
    scale: str = "standard",
    log: bool = False,
    seasonal_diff: int = 0,
    period: int | None = None,
) -> Chain:
    """Build the shared chain: log → seasonal difference → d-fold difference → scale.

    ``seasonal_diff`` is the seasonal differencing order (0 or 1) at lag ``period``.
    """
    if diff not in (0, 1, 2):
        raise ConfigError(f"transform.diff must be 0, 1 or 2, not {diff}")
    steps: list = [Log()] if log else []
    if seasonal_diff:
        if not period or period < 2:
            raise ConfigError("transform.seasonal_diff needs the dataset's period (>= 2)")
        steps += [Difference(lag=int(period)) for _ in range(int(seasonal_diff))]
    steps += [Difference(lag=1) for _ in range(diff)]
    if scale and str(scale).lower() not in ("none", "null"):
        steps.append(Scale(kind=str(scale)))
    return Chain(steps)
