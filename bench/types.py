"""Frozen records passed between the splitter, the models and the runner."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

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
    differencing and logs exactly. ``df`` (per step, > 2, needs ``var``) makes the predictive a
    Student-t with that variance instead of a Gaussian, so its intervals, CRPS and NLL use t tails.
    """

    mean: np.ndarray
    var: np.ndarray | None = None
    paths: np.ndarray | None = None
    df: np.ndarray | None = None
    info: Mapping[str, Any] = field(default_factory=dict)  # what the fit chose (orders, components …)


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
    unique_id: str = ""  # the series' id inside its collection; "" means the dataset's name
    ohlc: pd.DataFrame | None = None  # open, high, low prices on y's index (y is the close)
    proxy: pd.Series | None = None  # the variance proxy per observation (returns series only)

    @property
    def uid(self) -> str:
        return self.unique_id or self.name


@dataclass(frozen=True)
class Collection:
    """A dataset of one or more series, packed in one long frame (``unique_id, ds, y``).

    Series may differ in length; each is cut into its own origins counted back from its own end.
    ``meta`` has one row per ``unique_id`` (index) with loader metadata such as ``category`` or
    ``n_test`` (the competition's own test length). Per-series :class:`Dataset` objects are built
    only while a chunk of series is processed (``series``), so memory stays bounded.
    """

    name: str
    frame: pd.DataFrame  # unique_id (str), ds, y (float) [+ open, high, low, y_proxy]; by unique_id, ds
    period: int | None = None
    freq: str | None = None
    source: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)
    returns: bool = False
    meta: pd.DataFrame | None = None

    @property
    def ids(self) -> list[str]:
        return list(pd.unique(self.frame["unique_id"]))

    def series(self, ids: Sequence[str] | None = None) -> Iterator[Dataset]:
        """Each series (or those in ``ids``, in that order) as a single-series :class:`Dataset`."""
        groups = dict(tuple(self.frame.groupby("unique_id", sort=False)))
        for uid in self.ids if ids is None else ids:
            g = groups[uid]
            index = pd.Index(g["ds"])
            y = pd.Series(g["y"].to_numpy(dtype="float64"), index=index, name="y")
            proxy = pd.Series(g["y_proxy"].to_numpy(dtype="float64"), index=index) if "y_proxy" in g else None
            yield Dataset(
                name=self.name, y=y, period=self.period, freq=self.freq, source=self.source,
                notes=self.notes, returns=self.returns, unique_id=str(uid), proxy=proxy,
            )  # fmt: skip

    @classmethod
    def of(cls, ds: Dataset) -> Collection:
        """A single series as a collection of one (its id: the dataset's name unless set)."""
        frame = pd.DataFrame({"unique_id": ds.uid, "ds": ds.y.index, "y": ds.y.to_numpy(dtype="float64")})
        if ds.ohlc is not None:  # price columns ride along for the range-based variance proxies
            frame = frame.assign(**{c: ds.ohlc[c].to_numpy(dtype="float64") for c in ("open", "high", "low")})
        return cls(ds.name, frame, ds.period, ds.freq, ds.source, ds.notes, ds.returns)


@dataclass(frozen=True)
class DatasetInfo:
    """What one dataset of a run held and how it was cut (``run.json``'s ``datasets``, fev-style
    provenance): written with ``dataclasses.asdict``, read back by the report with :meth:`from_dict`."""

    n: int  # observations: the series' own, or the collection's in all
    n_series: int
    n_evaluated: int
    n_skipped: int  # too short for the splits
    min_length: int
    max_length: int
    start: str
    end: str
    period: int | None
    freq: str | None
    source: str
    returns: bool
    notes: tuple[str, ...]
    pipeline: str  # the shared transform's steps, e.g. "diff → scale(standard)"
    folds: int  # origins per series
    horizon: int
    first_cutoff: str  # of the first series
    last_cutoff: str
    scored: dict[str, int] = field(default_factory=dict)  # model → series it was scored on (its needs)
    window: int | None = None  # look-back of the models that follow the run's window, on this dataset

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> DatasetInfo:
        """Inverse of ``asdict`` (keys of older ``run.json`` files beyond these fields are ignored;
        fields they lack take their defaults)."""
        values = {f.name: d[f.name] for f in fields(cls) if f.name in d}
        return cls(**{**values, "notes": tuple(values["notes"])})
