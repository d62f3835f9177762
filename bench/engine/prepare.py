"""Datasets loaded and checked before any fit: every dataset a collection, every series its origins.

A dataset loader returns a single :class:`Dataset` or a :class:`Collection`. Either way the engine
works on a collection (a single series is a collection of one whose ``unique_id`` is the dataset
name). Origins are counted back from each series' own end. A series too short for the splits
themselves (or for ``split.min_train``) is skipped for every model; a series long enough for the
splits but not for one model's needs (:meth:`Prepared.with_needs`) is skipped for that model only,
with its reason, and the other models still score it. A single series that no model can use, or
a collection where no model can use any series, is an input error (nothing runs).
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
from bench.settings import DatasetSettings, Settings, SplitSettings, TransformSettings
from bench.types import Collection, Dataset, Split


@dataclass(frozen=True)
class Need:
    """What one model needs of a series: training points at its first origin, and why."""

    points: int
    why: str


@dataclass(frozen=True)
class Prepared:
    """A loaded collection, its settings and the series each model can be evaluated on (fixed before
    any fit)."""

    settings: DatasetSettings
    collection: Collection
    min_train: int  # the floor on the first training part: split.min_train, else 1
    single: bool  # the loader returned one series (its errors stop the run)
    skipped: dict[str, str] = field(default_factory=dict)  # unique_id → why no model can use it
    first_train: dict[str, int] = field(default_factory=dict)  # unique_id → points before its first origin
    lost: int = 0  # observations the shared transform may consume (``Chain.lost``)
    too_short: dict[str, dict[str, str]] | None = None  # model → {unique_id → why}; None: needs not set

    @property
    def name(self) -> str:
        return self.settings.name

    @property
    def spec(self) -> SplitSettings:
        """This dataset's split (the run's, layered with its own: ``bench.parse_datasets.layered``)."""
        return self.settings.split

    @property
    def pipeline(self) -> PipelineSpec:
        """This dataset's shared transform (``pipeline.build()`` once per fold)."""
        return PipelineSpec(self.settings.transform, self.collection.period)

    @property
    def ids(self) -> list[str]:
        return [u for u in self.collection.ids if u not in self.skipped]

    def ids_for(self, model: str) -> list[str]:
        """The series ``model`` is scored on: long enough for the splits and for its needs."""
        short = (self.too_short or {}).get(model, {})
        return [u for u in self.ids if u not in short]

    def skipped_for(self, model: str) -> dict[str, str]:
        """Every series ``model`` is not scored on, with the reason (collection order)."""
        short = {**(self.too_short or {}).get(model, {}), **self.skipped}
        return {u: short[u] for u in self.collection.ids if u in short}

    def with_needs(self, needs: dict[str, Need]) -> Prepared:
        """Each model's too-short series (training part at the first origin below its need).

        Raises :class:`SeriesTooShortError` when no model can use any series: a single series too
        short for every model, or a collection where that holds for every series.
        """
        too_short = {
            model: {
                u: f"{model} needs {need.points} training points at the first origin ({need.why}); "
                f"the series has {self.first_train[u]}"
                for u in self.ids
                if self.first_train[u] < need.points
            }
            for model, need in needs.items()
        }
        if needs and all(len(short) == len(self.ids) for short in too_short.values()):
            first = "; ".join(next(iter(s.values())) for s in too_short.values())
            what = "the series" if self.single else "every series"
            raise SeriesTooShortError(
                f"dataset {self.name!r} ({self.collection.source}): {what} is too short for every "
                f"model: {first}; use fewer folds or a smaller window, or a longer series"
            )
        return replace(self, too_short=too_short)

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


def non_seasonal_note(t: TransformSettings, period: int | None) -> str | None:
    """The dataset's note when seasonal settings meet data without a season (period 1 or none)."""
    if period and int(period) >= 2:
        return None
    parts = [
        text
        for text, on in (
            ("transform.seasonal_diff=auto means D = 0", t.seasonal_diff == "auto"),
            ("transform.deseasonalize=true does nothing", t.deseasonalize),
        )
        if on
    ]
    if not parts:
        return None
    return f"period {period or 1}: {' and '.join(parts)} (no season; R's nsdiffs answers 0)"


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
    note = non_seasonal_note(ds.transform, coll.period)
    if note:
        coll = replace(coll, notes=(*coll.notes, note))
    floor = ds.split.min_train or 1
    lengths = coll.frame.groupby("unique_id", sort=False).size()
    skipped, first_train = {}, {}
    for uid, n in lengths.items():
        try:
            train = next(rolling_origin(int(n), ds.split, floor)).train
            first_train[str(uid)] = train.stop - train.start
        except SeriesTooShortError as exc:
            if single:
                raise SeriesTooShortError(f"dataset {ds.name!r} ({coll.source}): {exc}") from exc
            skipped[str(uid)] = " ".join(str(exc).split())
    if len(skipped) == len(lengths):
        first = next(iter(skipped.values()))
        raise SeriesTooShortError(f"dataset {ds.name!r}: every series is too short, e.g. {first}")
    lost = PipelineSpec(ds.transform, coll.period).build().lost
    return Prepared(ds, coll, floor, single, skipped, first_train, lost)


def prepare(s: Settings) -> list[Prepared]:
    """Load every dataset and check its splits; raises (before any fit) on bad input."""
    return [prepare_one(s, ds) for ds in s.datasets]
