"""The shared, invertible preprocessing every model goes through.

Each step learns its parameters in ``fit`` from a fold's training data only. Inversion is pure: it
takes the step's own input history up to the origin (the levels to re-integrate from), never
anything remembered from a longer series, so data after an origin cannot reach a forecast made there.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from bench.errors import ConfigError
from bench.prep.autodiff import AutoDifference, AutoSeasonalDifference
from bench.prep.boxcox import METHODS as BOXCOX_METHODS
from bench.prep.boxcox import BoxCox
from bench.prep.deseasonalize import Deseasonalize
from bench.prep.steps import (
    Difference,
    Log,
    Scale,
    Transform,
    apply_steps,
    first_non_positive,
    invert_steps,
)

__all__ = ["Chain", "Difference", "Log", "Scale", "Transform", "build_pipeline", "first_non_positive"]


def _step_lags(step: object) -> list[int]:
    """The difference lags one step applied: a fixed ``Difference`` or an automatic one's choice."""
    return [step.lag] if isinstance(step, Difference) else list(getattr(step, "lags", []))


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
        return apply_steps(self.steps, y)

    def inverse_forecast(self, z_hat: np.ndarray, history: np.ndarray) -> np.ndarray:
        return invert_steps(self.steps, z_hat, history)

    @property
    def lost(self) -> int:
        """Most observations the steps may consume at the start (a safe bound, also before fit)."""
        return sum(_max_lost(s) for s in self.steps)

    @property
    def lags(self) -> list[int]:
        """Lags of the differences actually applied (after ``fit`` for automatic orders)."""
        return [lag for s in self.steps for lag in _step_lags(s)]

    @property
    def zero_change(self) -> float:
        """A change of zero after the steps that follow the last applied difference (after ``fit``):
        0 on the differenced scale means "no drift", and a centring scaler moves it (to −mean/sd)."""
        last = [i for i, s in enumerate(self.steps) if _step_lags(s)]
        if not last:
            return 0.0
        return float(apply_steps(self.steps[last[-1] + 1 :], np.zeros(1))[0])

    def info(self) -> dict:
        """What the fit chose, e.g. ``{"d": 1, "D": 0, "lambda": 0.31, "seasonal": True}``."""
        out: dict = {}
        if any(isinstance(s, Difference) or hasattr(s, "lags") for s in self.steps):
            lags = self.lags
            out = {"d": sum(lag == 1 for lag in lags), "D": sum(lag > 1 for lag in lags)}
        for s in self.steps:
            if hasattr(s, "info"):
                out.update({k: v for k, v in s.info().items() if k not in ("d", "D")})
        return out

    def describe(self) -> str:
        if not self.steps:
            return "identity"
        names = []
        for s in self.steps:
            if hasattr(s, "describe"):
                names.append(s.describe())
            elif isinstance(s, Difference):
                names.append("diff" if s.lag == 1 else f"seasonal_diff({s.lag})")
            elif isinstance(s, Scale):
                names.append(f"scale({s.kind})")
            else:
                names.append(type(s).__name__.lower())
        return " → ".join(names)


def _max_lost(step: Transform) -> int:
    if isinstance(step, Difference):
        return step.lag
    return int(getattr(step, "max_lost", 0))


def _allowed(key: str, value: object, allowed: tuple) -> ConfigError:
    shown = ", ".join(repr(a) if isinstance(a, str) else str(a) for a in allowed)
    return ConfigError(f"transform.{key} must be one of {shown}, not {value!r}")


def _is(value: object, options: tuple) -> bool:
    # bool is an int in Python: keep True from passing for 1 where a mode name is expected.
    return any(value == o and type(value) is type(o) for o in options)


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
    ``period`` (STL seasonal strength ≥ 0.64); ``boxcox`` ∈ {False, "guerrero", "mle"} (True means
    "guerrero"); ``deseasonalize``: classical multiplicative indices where the 90 % test says
    seasonal. Automatic choices are made per series at every refit, on its training part.
    Without a period (or period 1) ``seasonal_diff="auto"`` is D = 0 and ``deseasonalize`` does
    nothing (the dataset's notes say so once: ``bench.engine.prepare``).
    """
    if not _is(diff, (0, 1, 2, "auto")):
        raise _allowed("diff", diff, (0, 1, 2, "auto"))
    if not _is(seasonal_diff, (0, 1, "auto")) and seasonal_diff is not False:
        raise _allowed("seasonal_diff", seasonal_diff, (0, 1, "auto"))
    if boxcox is True:
        boxcox = "guerrero"
    if boxcox is not False and boxcox not in BOXCOX_METHODS and boxcox is not None:
        raise _allowed("boxcox", boxcox, (False, *BOXCOX_METHODS))
    if log and boxcox:
        raise ConfigError("transform.log and transform.boxcox exclude each other; set one of them")
    if not isinstance(deseasonalize, bool):
        raise _allowed("deseasonalize", deseasonalize, (False, True))
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
