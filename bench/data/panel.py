"""A user's long CSV of many series (``unique_id, ds, y``) as a :class:`~bench.types.Collection`.

The file is read, its numbers and dates parsed, and every message worded exactly as for the
single-series loader (:mod:`bench.data.csv`: investing.com formats, thousands separators, suffixes,
any strftime ``date_format``, encodings); then each series goes through the same checks of
:mod:`bench.data.validate` on its own — sorted by time, one value per timestamp (a duplicate names
the series and both lines), missing values repaired or rejected per series, at least two values,
not constant. Series may differ in length; those shorter than ``min_len`` are dropped with a note.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

from bench.data.csv_cells import parse_dates, parse_values, value_notes
from bench.data.csv_table import find_column, read_table
from bench.data.errors import DataError
from bench.data.validate import Where, check_usable, gap_notes, infer_freq, tidy
from bench.errors import ConfigError
from bench.types import Collection

_MAX_NOTES = 5  # per-series notes summarised in the collection's notes; all of them are in meta


def load_panel_csv(
    path: str,
    id_col: str | int = "unique_id",
    time_col: str | int | None = "ds",
    value_col: str | int = "y",
    sep: str = ",",
    decimal: str = ".",
    thousands: str | None = None,
    date_format: str | None = None,
    missing: str = "error",
    encoding: str = "utf-8",
    period: int | None = None,
    freq: str | None = None,
    min_len: int | None = None,
    name: str = "panel_csv",
) -> Collection:
    """Load one value column per series id (optionally by a time column) as a collection.

    Columns are header names or 0-based positions. Without ``time_col`` each series' rows are used
    in file order. ``name`` is the dataset's config key, used in messages (``datasets.<name>.<key>``).
    """
    setting = f"datasets.{name}"
    if min_len is not None and (isinstance(min_len, bool) or not isinstance(min_len, int) or min_len < 2):
        raise ConfigError(f"{setting}.min_len must be a whole number >= 2 or null, not {min_len!r}")
    table = read_table(path, sep, decimal, thousands, encoding, setting)
    file, frame, lines, thousands = table.file, table.frame, table.lines, table.thousands
    roles = {"id_col": id_col, "value_col": value_col} | ({} if time_col is None else {"time_col": time_col})
    cols = {role: find_column(frame, col, role, file, sep, setting) for role, col in roles.items()}
    if len(set(cols.values())) < len(cols):
        given = ", ".join(f"{setting}.{r}={c!r}" for r, c in cols.items())
        raise ConfigError(f"{given} name the same column twice; each role needs its own column")
    if frame.empty:
        raise DataError(
            f"{file.name}: has a header line ({', '.join(map(repr, frame.columns))}) but no data rows; "
            f"point {setting}.path at the file with the data."
        )
    ids = frame[cols["id_col"]].str.strip().to_numpy(dtype=object)
    blank = np.flatnonzero(ids == "")
    if len(blank):
        raise DataError(
            f"{file.name}, column {cols['id_col']!r}: line {int(lines[blank[0]])} has no series id "
            f"({len(blank)} row(s) without one); every row needs the id of its series ({setting}.id_col)."
        )
    vcol = cols["value_col"]
    values, kinds = parse_values(frame[vcol], Where(file.name, vcol, lines, setting), decimal, thousands)
    notes = value_notes(kinds)
    if time_col is None:
        dates = None
        notes.append("no time column: each series' rows used in file order")
    else:
        tcol = cols["time_col"]
        dates, date_notes = parse_dates(frame[tcol], Where(file.name, tcol, lines, setting), date_format)
        notes += date_notes
    kept, dropped, per_series = _series(ids, values, dates, lines, file, vcol, setting, missing, min_len)
    if not kept:
        raise DataError(
            f"{file.name}: all {len(dropped)} series are shorter than {setting}.min_len={min_len} "
            f"(longest: {max(dropped.values())} values); lower min_len or check the file."
        )
    if dropped:
        listed = ", ".join(f"{uid!r} ({n})" for uid, n in list(dropped.items())[:_MAX_NOTES])
        more = f" and {len(dropped) - _MAX_NOTES} more" if len(dropped) > _MAX_NOTES else ""
        notes.append(f"{len(dropped)} series shorter than min_len={min_len} dropped: {listed}{more}")
    freq, freq_notes = _freq(kept, freq)
    notes += freq_notes + _summary(per_series)
    uids = sorted(kept)
    frame_out = pd.DataFrame(
        {
            "unique_id": np.repeat(np.array(uids, dtype=object), [len(kept[u]) for u in uids]),
            "ds": np.concatenate([_positions(kept[u].index) for u in uids]),
            "y": np.concatenate([kept[u].to_numpy(dtype="float64") for u in uids]),
        }
    )
    meta = pd.DataFrame(
        {"n_obs": [len(kept[u]) for u in uids], "notes": ["; ".join(per_series.get(u, [])) for u in uids]},
        index=pd.Index(uids, name="unique_id"),
    )
    by = f" by {cols['time_col']!r}" if time_col is not None else ""
    return Collection(
        name=name,
        frame=frame_out,
        period=None if period is None else int(period),
        freq=freq,
        source=f"user panel CSV {file.name}: {len(uids)} series ({cols['id_col']!r}), column {vcol!r}{by}",
        notes=tuple(notes),
        meta=meta,
    )


def _series(
    ids: np.ndarray,
    values: np.ndarray,
    dates: pd.DatetimeIndex | None,
    lines: np.ndarray,
    file: Path,
    vcol: str,
    setting: str,
    missing: str,
    min_len: int | None,
) -> tuple[dict[str, pd.Series], dict[str, int], dict[str, list[str]]]:
    """Each id's rows checked on their own: kept series, dropped lengths, per-series notes."""
    codes, uniques = pd.factorize(ids)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(uniques) + 1))
    kept: dict[str, pd.Series] = {}
    dropped: dict[str, int] = {}
    notes: dict[str, list[str]] = {}
    for k, uid in enumerate(uniques):
        rows = order[bounds[k] : bounds[k + 1]]
        index = pd.RangeIndex(len(rows)) if dates is None else dates[rows]
        where = Where(f"{file.name}, series {uid!r}", vcol, lines[rows], setting)
        y, found = tidy(pd.Series(values[rows], index=index), where, missing)
        if min_len is not None and len(y) < min_len:
            dropped[uid] = len(y)
            continue
        check_usable(y, where)
        found += gap_notes(y.index)
        kept[uid] = y
        if found:
            notes[uid] = found
    return kept, dropped, notes


def _positions(index: pd.Index) -> np.ndarray:
    return index.to_numpy() if isinstance(index, pd.DatetimeIndex) else np.arange(len(index))


def _freq(kept: dict[str, pd.Series], freq: str | None) -> tuple[str | None, list[str]]:
    """The given frequency, else the one every regular series shares (None when they disagree)."""
    if freq is not None:
        return freq, []
    found = Counter(infer_freq(y.index) for y in kept.values())
    if len(found) == 1:
        return next(iter(found)), []
    shown = ", ".join(f"{f or 'irregular'} ({n})" for f, n in found.most_common(3))
    return None, [f"series differ in frequency ({shown}): freq left unset; set it if they share one"]


def _summary(per_series: dict[str, list[str]]) -> list[str]:
    """Per-series notes folded into a few collection notes (identical notes counted once)."""
    counts = Counter(n for found in per_series.values() for n in found)
    first: dict[str, str] = {}
    for uid, found in per_series.items():
        for n in found:
            first.setdefault(n, uid)
    out = [
        f"{k} series: {n}" if k > 1 else f"series {first[n]!r}: {n}"
        for n, k in counts.most_common(_MAX_NOTES)
    ]
    if len(counts) > _MAX_NOTES:
        out.append(f"{len(counts) - _MAX_NOTES} more kind(s) of note per series: see meta['notes']")
    return out
