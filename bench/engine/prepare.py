"""Datasets loaded and checked before any fit: every dataset a collection, every series its origins.

A dataset loader returns a single :class:`Dataset` or a :class:`Collection`. Either way the engine
works on a collection (a single series is a collection of one whose ``unique_id`` is the dataset
name). Origins are counted back from each series' own end. A single series too short for its
splits is an input error (nothing runs); in a collection such a series is skipped with its reason
and the run goes on.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from hydra.utils import get_object

from bench.errors import ConfigError, InputDataError
from bench.prep.proxy import with_proxy
from bench.prep.splits import SeriesTooShortError, rolling_origin
from bench.prep.transforms import PipelineSpec, first_non_positive
from bench.settings import DatasetSettings, Settings, SplitSettings
from bench.types import Collection, Dataset, Split


@dataclass(frozen=True)
class Prepared:
    """A loaded collection, its settings and the series that can be evaluated (fixed before any fit)."""

    settings: DatasetSettings
    collection: Collection
    min_train: int
    single: bool  # the loader returned one series (its errors stop the run)
    skipped: dict[str, str] = field(default_factory=dict)  # unique_id → why it cannot be evaluated

    @property
    def name(self) -> str:
        return self.settings.name

    @property
    def spec(self) -> SplitSettings:
        """This dataset's split (the run's, layered with its own: ``bench.parse.layered``)."""
        return self.settings.split

    @property
    def pipeline(self) -> PipelineSpec:
        """This dataset's shared transform (``pipeline.build()`` once per fold)."""
        return PipelineSpec(self.settings.transform, self.collection.period)

    @property
    def ids(self) -> list[str]:
        return [u for u in self.collection.ids if u not in self.skipped]

    def splits(self, n: int) -> list[Split]:
        return list(rolling_origin(n, self.spec, self.min_train))


def load(ds: DatasetSettings) -> Collection | Dataset:
    """Call the dataset's loader (its ``_target_``) with its parameters."""
    try:
        loader = get_object(ds.target)
    except Exception as exc:  # noqa: BLE001 - an unknown loader path is a settings error
        raise ConfigError(f"datasets.{ds.name}._target_={ds.target} cannot be imported: {exc}") from exc
    return loader(**ds.params)


def to_target(coll: Collection, target: str) -> Collection:
    """``returns``: log differences × 100 of each positive price series (the usual GARCH scale)."""
    if target == "level":
        return coll
    require_positive(coll, "target=returns", "target=level")
    f = coll.frame
    r = 100.0 * np.log(f["y"]).groupby(f["unique_id"], sort=False).diff()
    frame = f.assign(y=r).dropna(subset=["y"]).reset_index(drop=True)
    return replace(coll, frame=frame, notes=coll.notes + ("target: log returns × 100",), returns=True)


def require_positive(coll: Collection, setting: str, instead: str) -> None:
    """Logs need positive data: say which dataset, series and where, before any fold fails on it."""
    bad = first_non_positive(coll.frame["y"].to_numpy())
    if bad is not None:
        row = coll.frame.iloc[bad]
        where = (
            f"series {row['unique_id']!r} at {row['ds']}"
            if coll.frame["unique_id"].nunique() > 1
            else (f"at {row['ds']}")
        )
        raise InputDataError(
            f"{setting} needs positive data, but dataset {coll.name!r} has {row['y']} {where} "
            f"(the first value <= 0); use {instead}"
        )


def with_dates(coll: Collection) -> Collection:
    """Give position-indexed series a nominal calendar (the dataset's freq, else daily) so every
    result file shares one schema."""
    f = coll.frame
    if pd.api.types.is_datetime64_any_dtype(f["ds"]):
        return coll
    freq = coll.freq or "D"
    pos = f.groupby("unique_id", sort=False).cumcount().to_numpy()
    calendar = pd.date_range("2000-01-01", periods=int(pos.max()) + 1, freq=freq)
    note = f"no timestamps: observations shown on a nominal calendar from 2000-01-01 (freq {freq})"
    return replace(coll, frame=f.assign(ds=calendar[pos]), notes=coll.notes + (note,))


def as_collection(loaded: Collection | Dataset, name: str) -> tuple[Collection, bool]:
    if isinstance(loaded, Dataset):
        return Collection.of(replace(loaded, name=name, unique_id=loaded.unique_id or name)), True
    if isinstance(loaded, Collection):
        return replace(loaded, name=name), False
    raise ConfigError(f"datasets.{name}: the loader returned {type(loaded).__name__}, not a dataset")


def min_train(s: Settings, ds: DatasetSettings, lost: int) -> int:
    """Shortest training part: the configured floor, and enough for one window after differencing."""
    return max(ds.split.min_train, lost + s.window + ds.split.horizon + 1)


def without_returns_only(s: Settings, ds: DatasetSettings, coll: Collection) -> Collection:
    """A level dataset notes the run's ``returns_only`` models it does not get; one left with nothing
    but the baseline is a settings error (the models asked for would silently not run)."""
    left_out = [m.name for m in s.models if not s.runs_on(m.name, coll.returns)]
    if not left_out:
        return coll
    names = ", ".join(left_out)
    if all(m.name in left_out or m.name == s.scoring.baseline for m in s.models):
        raise ConfigError(
            f"dataset {ds.name!r} is not returns and returns_only=[{', '.join(s.returns_only)}] keeps "
            f"{names} off level series, so only the baseline would run on it; use target=returns "
            f"(prices) or a returns dataset, or returns_only=[] to fit every model everywhere"
        )
    return replace(coll, notes=coll.notes + (f"not run on this level series: {names} (returns_only)",))


def prepare_one(s: Settings, ds: DatasetSettings) -> Prepared:
    coll, single = as_collection(load(ds), ds.name)
    coll = with_dates(to_target(with_proxy(coll, ds.y_target, ds.variance_proxy), ds.y_target))
    coll = without_returns_only(s, ds, coll)
    if ds.transform.log:
        require_positive(coll, "transform.log", "transform.log=false")
    if ds.transform.boxcox:
        require_positive(coll, f"transform.boxcox={ds.transform.boxcox}", "transform.boxcox=false")
    floor = min_train(s, ds, PipelineSpec(ds.transform, coll.period).build().lost)
    lengths = coll.frame.groupby("unique_id", sort=False).size()
    skipped = {}
    for uid, n in lengths.items():
        try:
            next(rolling_origin(int(n), ds.split, floor))
        except SeriesTooShortError as exc:
            if single:
                raise SeriesTooShortError(f"dataset {ds.name!r} ({coll.source}): {exc}") from exc
            skipped[str(uid)] = " ".join(str(exc).split())
    if len(skipped) == len(lengths):
        first = next(iter(skipped.values()))
        raise SeriesTooShortError(f"dataset {ds.name!r}: every series is too short, e.g. {first}")
    return Prepared(ds, coll, floor, single, skipped)


def prepare(s: Settings) -> list[Prepared]:
    """Load every dataset and check its splits; raises (before any fit) on bad input."""
    return [prepare_one(s, ds) for ds in s.datasets]
