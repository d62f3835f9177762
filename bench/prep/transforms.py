"""The shared, invertible preprocessing every model goes through.

Each step learns its parameters in ``fit`` from a fold's training data only. Inversion is pure: it
takes the step's own input history up to the origin (the levels to re-integrate from), never
anything remembered from a longer series, so data after an origin cannot reach a forecast made there.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from bench.errors import ConfigError
from bench.prep.autodiff import AutoDifference, AutoSeasonalDifference
from bench.prep.boxcox import BoxCox
from bench.prep.deseasonalize import Deseasonalize
from bench.prep.steps import (
    Difference,
    Log,
    Scale,
    Step,
    Transform,
    apply_steps,
    first_non_positive,
    invert_steps,
)
from bench.settings import TransformSettings

__all__ = [
    "Chain",
    "Difference",
    "Log",
    "PipelineSpec",
    "Scale",
    "Step",
    "Transform",
    "build_pipeline",
    "first_non_positive",
]


@dataclass
class Chain:
    """Steps applied in order; inversion runs backwards, each step re-anchored on its own input."""

    steps: list[Step] = field(default_factory=list)

    def fit(self, y: np.ndarray) -> Chain:
        x = np.asarray(y, dtype=float)
        for step in self.steps:
            x = step.fit(x).transform(x)
        return self

    def fit_transform(self, y: np.ndarray) -> np.ndarray:
        return self.fit(y).transform(y)

    def transform(self, y: np.ndarray) -> np.ndarray:
        return apply_steps(self.steps, y)

    def inverse_forecast(self, z_hat: np.ndarray, history: np.ndarray) -> np.ndarray:
        return invert_steps(self.steps, z_hat, history)

    @property
    def lost(self) -> int:
        """Most observations the steps may consume at the start (a safe bound, also before fit)."""
        return sum(s.max_lost for s in self.steps)

    @property
    def lags(self) -> list[int]:
        """Lags of the differences actually applied (after ``fit`` for automatic orders)."""
        return [lag for s in self.steps for lag in s.lags]

    @property
    def zero_change(self) -> float:
        """A change of zero after the steps that follow the last applied difference (after ``fit``):
        0 on the differenced scale means "no drift", and a centring scaler moves it (to −mean/sd)."""
        last = [i for i, s in enumerate(self.steps) if s.lags]
        if not last:
            return 0.0
        return float(apply_steps(self.steps[last[-1] + 1 :], np.zeros(1))[0])

    def info(self) -> dict:
        """What the fit chose, e.g. ``{"d": 1, "D": 0, "lambda": 0.31, "seasonal": True}``."""
        out: dict = {}
        if any(s.differences for s in self.steps):
            lags = self.lags
            out = {"d": sum(lag == 1 for lag in lags), "D": sum(lag > 1 for lag in lags)}
        for s in self.steps:
            out.update({k: v for k, v in s.info().items() if k not in ("d", "D")})
        return out

    def describe(self) -> str:
        return " → ".join(s.describe() for s in self.steps) or "identity"


def build_pipeline(
    diff: int | str = 1,
    scale: str = "standard",
    log: bool = False,
    seasonal_diff: int | str = 0,
    period: int | None = None,
    boxcox: bool | str = False,
    deseasonalize: bool = False,
) -> Chain:
    """Build the shared chain: log/boxcox → deseasonalize → seasonal diff → diff → scale.

    ``diff`` ∈ {0, 1, 2, "auto"} (KPSS at 5 %, up to 2); ``seasonal_diff`` ∈ {0, 1, "auto"} at lag
    ``period`` (STL seasonal strength ≥ 0.64); ``boxcox`` ∈ {False, "guerrero", "mle"};
    ``deseasonalize``: classical multiplicative indices where the 90 % test says seasonal. Automatic
    choices are made per series at every refit, on its training part. The values are checked once,
    by ``bench.parse``; only what needs the dataset (its period) is checked here. Without a period
    (or period 1) ``seasonal_diff="auto"`` is D = 0 and ``deseasonalize`` does nothing (the
    dataset's notes say so once: ``bench.engine.prepare``).
    """
    if not period or int(period) < 2:
        # No season to test (R's nsdiffs answers D = 0 for period 1); an explicit D = 1 is refused.
        if seasonal_diff == 1:
            raise ConfigError(f"transform.seasonal_diff=1 needs the dataset's period (>= 2), got {period}")
        seasonal_diff, deseasonalize = 0, False
    steps: list = [Log()] if log else []
    if boxcox:
        steps.append(BoxCox(method=str(boxcox), period=period))
    if deseasonalize:
        steps.append(Deseasonalize(period=int(period)))
    if seasonal_diff == "auto":
        steps.append(AutoSeasonalDifference(lag=int(period)))
    elif seasonal_diff:
        steps.append(Difference(lag=int(period)))
    if diff == "auto":
        steps.append(AutoDifference())
    else:
        steps += [Difference(lag=1) for _ in range(int(diff))]
    if scale and str(scale).lower() not in ("none", "null"):
        steps.append(Scale(kind=str(scale)))
    return Chain(steps)


@dataclass(frozen=True)
class PipelineSpec:
    """One dataset's shared transform: its parsed settings and the dataset's period. ``build()``
    makes a fresh, unfitted chain (once per fold); picklable, so it travels to worker processes."""

    transform: TransformSettings
    period: int | None = None

    def build(self) -> Chain:
        return build_pipeline(**asdict(self.transform), period=self.period)
