"""Frozen records passed between the splitter, the models and the runner."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Split:
    """One rolling origin: positional slices into the series.

    ``train`` ends at the origin (inclusive); ``test`` holds the next ``horizon`` observations and is
    only ever used for scoring, never handed to a model.
    """

    fold: int
    train: slice
    test: slice

    @property
    def origin(self) -> int:
        """Position of the last observation a forecast made here may use."""
        return self.train.stop - 1


@dataclass(frozen=True)
class Forecast:
    """A model's h-step forecast on the *transformed* scale.

    ``var`` is the per-step predictive variance of the transformed series; ``paths`` (n_paths × h)
    are optional simulated future paths, which let the pipeline map multi-step intervals through
    differencing and logs exactly.
    """

    mean: np.ndarray
    var: np.ndarray | None = None
    paths: np.ndarray | None = None


@dataclass(frozen=True)
class Dataset:
    """A univariate series ready for benchmarking: float values, strictly increasing index."""

    name: str
    y: pd.Series
    period: int | None = None
    freq: str | None = None
    source: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)
    returns: bool = False  # a (near zero-mean) return series: QLIKE of variance forecasts applies
