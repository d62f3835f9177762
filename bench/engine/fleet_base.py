"""What every fleet (:mod:`bench.engine.fleets`) shares: the loop's settings, the per-member record.

Kept apart so the fold loop (:mod:`bench.engine.runner`) reads the records without the fleets'
refit logic, and so local and shared fleets time members, count warnings, check and invert
forecasts and tell models about the transform in one way.
"""

from __future__ import annotations

import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from bench.engine.predictive import LevelForecast, invert
from bench.models.base import ModelError, SeesDifferencing, SeesProxy, check_forecast
from bench.prep.proxy import variance_factor
from bench.prep.transforms import Chain
from bench.types import Forecast


@dataclass(frozen=True)
class FoldContext:
    """The loop's fixed settings, handed to a fleet at every fold."""

    make_pipeline: Callable[[], Chain]
    horizon: int
    refit_every: int
    level: float
    on_error: str


@dataclass
class Outcome:
    """One member at one fold: its forecast on the original scale, or the error; time and warnings."""

    refit: bool = False
    forecast: LevelForecast | None = None
    error: str = ""
    info: dict = field(default_factory=dict)
    seconds: float = 0.0
    warnings: Counter = field(default_factory=Counter)


class Fleet(Protocol):
    """The models of one fold loop; ``series[k]`` is the series member k forecasts."""

    series: list[int]

    def step(
        self, i: int, trains: Sequence[np.ndarray], ctx: FoldContext, proxies: Sequence | None = None
    ) -> list[Outcome]: ...


def describe_error(exc: BaseException) -> str:
    """The failure text stored in a record: exception type and message, bounded."""
    return f"{type(exc).__name__}: {exc}"[:500]


def level_forecast(fc: Forecast, pipe: Chain, train: np.ndarray, horizon: int, level: float) -> LevelForecast:
    """Check a model's forecast and invert it to the original scale; non-finite anywhere raises."""
    out = invert(check_forecast(fc, horizon), pipe, train, level)
    if not np.all(np.isfinite(out.mean)):
        raise ModelError("forecast is not finite after inverting the transform")
    return out


@contextmanager
def timed(outs: Sequence[Outcome]) -> Iterator[None]:
    """Add the block's seconds (split evenly) and warnings to every outcome in ``outs``."""
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield
        finally:
            share = (time.perf_counter() - start) / max(1, len(outs))
            kinds = Counter(w.category.__name__ for w in caught)
            for out in outs:
                out.seconds += share
                out.warnings.update(kinds)


def differences(pipe: Chain) -> tuple[int, float]:
    """What a fitted transform tells a model (``SeesDifferencing``): differences applied, and where
    a change of zero lands after them."""
    return len(pipe.lags), pipe.zero_change


def tell_differences(model: Any, pipe: Chain) -> None:
    if isinstance(model, SeesDifferencing):
        model.set_differences(*differences(pipe))


def tell_proxy(model: Any, pipe: Chain, proxies: Sequence | None, s: int) -> None:
    """A model that reads the variance proxy gets series ``s``'s training part of it, on the
    transformed scale (the scalers' factor²), so its variance forecast is on the scale inverted."""
    if proxies is not None and proxies[s] is not None and isinstance(model, SeesProxy):
        model.set_proxy(proxies[s] * variance_factor(pipe.steps))
