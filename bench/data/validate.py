"""Checks every loader runs before a series reaches the benchmark.

One place decides what a usable series is — sorted ascending by time, one value per timestamp, no
missing values (or repaired under an explicit policy, with a note), at least two values, not
constant — so the built-in datasets and a user's CSV fail or get repaired in the same way. Messages
name the source, the column and the first offending row, and say what to do.

Observations are used positionally (trading days, holidays and weekends are fine). A gap larger than
``GAP_FACTOR`` × the median spacing is reported as a note, not an error. Ten times is chosen so that
regular exchange closures on daily data pass silently (weekends: 3 days; Easter, Diwali or
Christmas weeks: 4–6; Golden Week: 8–9), while a missing fortnight of daily data, a quarter of
weekly data or most of a year of monthly data is pointed out. Lunar New Year closures (up to ~11
days) may be noted.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from bench.data.errors import DataError
from bench.errors import ConfigError
from bench.types import Dataset

GAP_FACTOR = 10.0
MISSING_POLICIES = ("error", "ffill", "interpolate", "drop")
_MAX_GAP_NOTES = 3


@dataclass(frozen=True)
class Where:
    """Where values come from, so a message can point at the file, the column and the row.

    ``lines`` holds each row's line number in the file (header = line 1), in the series' order;
    ``setting`` is the config prefix a message tells the user to change (``datasets.<name>``).
    """

    source: str
    column: str | None = None
    lines: np.ndarray | None = None
    setting: str = "datasets.csv"

    @property
    def label(self) -> str:
        return self.source if self.column is None else f"{self.source}, column {self.column!r}"

    def row(self, y: pd.Series, i: int) -> str:
        """Human description of row ``i`` of ``y``: line number and/or date."""
        parts = []
        if self.lines is not None:
            parts.append(f"line {int(self.lines[i])}")
        if isinstance(y.index, pd.DatetimeIndex):
            parts.append(f"date {fmt_time(y.index[i])}")
        if not parts:
            parts.append(f"observation {i + 1}")
        return " (".join(parts) + (")" if len(parts) > 1 else "")


def fmt_time(t: pd.Timestamp) -> str:
    return t.strftime("%Y-%m-%d") if t == t.normalize() else str(t)


def fmt_span(td: pd.Timedelta) -> str:
    """``12 days`` for whole days, pandas' own form (``0 days 01:30:00``) otherwise."""
    if td >= pd.Timedelta(days=1) and td == td.floor("D"):
        days = td.days
        return f"{days} day" if days == 1 else f"{days} days"
    return str(td)


def sort_by_time(y: pd.Series, where: Where) -> tuple[pd.Series, Where, list[str]]:
    """Ascending time order (exports are often newest first); the note says what was done."""
    idx = y.index
    if not isinstance(idx, pd.DatetimeIndex) or idx.is_monotonic_increasing:
        return y, where, []
    if idx.is_monotonic_decreasing:
        order = np.arange(len(y))[::-1]
        note = "rows were newest first: reversed to ascending time order"
    else:
        order = np.argsort(idx.asi8, kind="stable")
        note = "rows were not in time order: sorted ascending by time"
    lines = None if where.lines is None else np.asarray(where.lines)[order]
    return y.iloc[order], replace(where, lines=lines), [note]


def check_duplicates(y: pd.Series, where: Where) -> None:
    """One value per timestamp: a duplicate usually means two exports pasted together."""
    if not isinstance(y.index, pd.DatetimeIndex):
        return
    dup = np.flatnonzero(y.index.duplicated())
    if len(dup) == 0:
        return
    j = int(dup[0])
    first = int(np.flatnonzero(y.index == y.index[j])[0])
    both = (
        f"lines {int(where.lines[first])} and {int(where.lines[j])}"
        if where.lines is not None
        else f"observations {first + 1} and {j + 1}"
    )
    raise DataError(
        f"{where.label}: the timestamp {fmt_time(y.index[j])} appears more than once ({both}; "
        f"{int(y.index.duplicated().sum())} duplicate(s) in all). A series needs one value per "
        "timestamp: remove or aggregate the duplicate rows, or check time_col and date_format."
    )


def repair_missing(y: pd.Series, where: Where, policy: str) -> tuple[pd.Series, list[str]]:
    """Apply the missing-value policy (±inf count as missing); unfillable edges are dropped."""
    if policy not in MISSING_POLICIES:
        raise ConfigError(f"missing must be one of {', '.join(MISSING_POLICIES)}, not {policy!r}")
    na = ~np.isfinite(y.to_numpy(dtype="float64"))
    k = int(na.sum())
    if k == 0:
        return y, []
    y = y.where(~na)
    if policy == "error":
        i = int(np.flatnonzero(na)[0])
        raise DataError(
            f"{where.label}: {k} missing value(s), the first at {where.row(y, i)}. Fill them in "
            "the source, or choose a repair with missing=ffill (carry the last value forward), "
            "missing=interpolate (linear between neighbours) or missing=drop (skip those rows), "
            f"e.g. {where.setting}.missing=ffill."
        )
    if policy == "drop":
        return y[~na], [f"{k} missing value(s) dropped"]
    if policy == "ffill":
        y, verb = y.ffill(), "forward-filled"
    else:
        y, verb = y.interpolate(method="linear", limit_area="inside"), "linearly interpolated"
    edge = y.isna().to_numpy()
    notes = [f"{k - int(edge.sum())} missing value(s) {verb}"]
    if edge.any():
        notes.append(f"{int(edge.sum())} missing value(s) at the series' edge could not be {verb}: dropped")
    return y[~edge], notes


def check_usable(y: pd.Series, where: Where) -> None:
    """At least two values, not all equal (nothing to forecast; scaling would divide by zero)."""
    if len(y) < 2:
        raise DataError(
            f"{where.label}: only {len(y)} usable value(s); a series needs at least 2 (and the "
            "benchmark far more). Check value_col, the missing-value policy and the file's "
            "contents."
        )
    if np.ptp(y.to_numpy()) == 0:
        raise DataError(
            f"{where.label}: all {len(y)} values equal {y.iloc[0]:g}; a constant series has "
            "nothing to forecast and cannot be scaled. Check that value_col names the column you "
            "mean."
        )


def gap_notes(index: pd.Index, factor: float = GAP_FACTOR) -> list[str]:
    """Notes for gaps larger than ``factor`` × the median spacing (largest first, at most three)."""
    if not isinstance(index, pd.DatetimeIndex) or len(index) < 3:
        return []
    step = np.diff(index.as_unit("ns").asi8)  # numpy, not pandas: this runs once per series of a panel
    med = float(np.median(step))
    big = np.flatnonzero(step > factor * med)
    big = big[np.argsort(-step[big], kind="stable")]
    notes = [
        f"gap of {fmt_span(pd.Timedelta(int(step[i])))} between {fmt_time(index[i])} and "
        f"{fmt_time(index[i + 1])} (median spacing {fmt_span(pd.Timedelta(med))})"
        for i in big[:_MAX_GAP_NOTES]
    ]
    if len(big) > _MAX_GAP_NOTES:
        notes.append(f"{len(big) - _MAX_GAP_NOTES} more gap(s) longer than {factor:g}× the median spacing")
    return notes


def tidy(y: pd.Series, where: Where, missing: str = "error") -> tuple[pd.Series, list[str]]:
    """Sort, check duplicates, repair or reject missing values (the part before any length rule)."""
    y = pd.Series(np.asarray(y, dtype="float64"), index=y.index)
    if isinstance(y.index, pd.DatetimeIndex) and y.index.hasnans:
        raise DataError(f"{where.label}: some timestamps are missing (NaT); every row needs a time.")
    y, where, notes = sort_by_time(y, where)
    check_duplicates(y, where)
    y, repaired = repair_missing(y, where, missing)
    return y, notes + repaired


def clean(y: pd.Series, where: Where, missing: str = "error") -> tuple[pd.Series, list[str]]:
    """Sort, check duplicates, repair or reject missing values, check usability, note big gaps."""
    y, notes = tidy(y, where, missing)
    check_usable(y, where)
    return y, notes + gap_notes(y.index)


def infer_freq(index: pd.Index) -> str | None:
    """pandas' frequency alias when the index is regular, else None (e.g. trading days)."""
    if not isinstance(index, pd.DatetimeIndex) or len(index) < 3:
        return None
    try:
        with warnings.catch_warnings():
            # pandas 3 announces that infer_freq will return an offset; accept either form
            warnings.simplefilter("ignore")
            freq = pd.infer_freq(index)
    except (TypeError, ValueError):
        return None
    return freq if freq is None or isinstance(freq, str) else freq.freqstr


def finish(
    name: str,
    y: pd.Series,
    *,
    period: int | None,
    freq: str | None,
    source: str,
    notes: tuple[str, ...] | list[str] = (),
) -> Dataset:
    """Package a cleaned series: float64 values, index named ``ds`` (RangeIndex if no dates)."""
    values = np.asarray(y, dtype="float64")
    if isinstance(y.index, pd.DatetimeIndex):
        index = pd.DatetimeIndex(y.index, name="ds")
        if not index.is_monotonic_increasing or not index.is_unique:
            raise DataError(f"{source}: the time index is not strictly increasing after cleaning")
    else:
        index = pd.RangeIndex(len(values), name="ds")
    series = pd.Series(values, index=index, name=name)
    return Dataset(
        name=name,
        y=series,
        period=None if period is None else int(period),
        freq=freq,
        source=source,
        notes=tuple(notes),
    )


def load_series(
    name: str,
    y: pd.Series,
    where: Where,
    *,
    missing: str = "error",
    period: int | None = None,
    freq: str | None = None,
    source: str = "",
    notes: tuple[str, ...] | list[str] = (),
) -> Dataset:
    """``clean`` then ``finish``: the common tail of every loader."""
    y, found = clean(y, where, missing)
    freq = freq if freq is not None else infer_freq(y.index)
    return finish(name, y, period=period, freq=freq, source=source or where.label, notes=[*notes, *found])
