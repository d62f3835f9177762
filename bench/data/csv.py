"""A user's own CSV as a benchmark dataset, with one clear message for every way it can be wrong.

Reads every cell as text and parses numbers and dates itself, so that exports from sites such as
investing.com load as they are: thousands separators (``"1,234.5"``, Indian ``"1,23,456"``),
volume suffixes (``12.3K``, ``4.5M``, ``2.1B``, ``T``; Chinese 万/亿), percentages (``0.77%`` →
0.77, kept in percent units), currency signs, Unicode minus, any header (Chinese 日期, 收盘 …)
and any strftime ``date_format`` (``%Y年%m月%d日``). Rows are always sorted ascending by time.

Line numbers in messages count the header as line 1 (a quoted field spanning several lines would
shift them; such files are rare for price data).
"""

from __future__ import annotations

import difflib
import warnings
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from bench.data.errors import DataError
from bench.data.numbers import KNOWN_FORMATS, parse_number
from bench.data.validate import Where, clean, finish, infer_freq, load_series
from bench.errors import ConfigError
from bench.types import Dataset

SETTING = "datasets.csv"  # the config prefix messages name; the panel loader passes its own
_PLAIN = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"  # what float() and parse_number agree on


def _default_thousands(decimal: str, thousands: str | None) -> str | None:
    if thousands is not None:
        if thousands == decimal:
            raise ConfigError(f"thousands and decimal must differ (both are {decimal!r})")
        return thousands or None
    return {".": ",", ",": "."}.get(decimal)


@dataclass(frozen=True)
class Table:
    """A CSV read as text: its non-blank rows, their line numbers, the thousands separator in force."""

    file: Path
    frame: pd.DataFrame
    lines: np.ndarray
    thousands: str | None


def read_table(
    path: str | Path,
    sep: str,
    decimal: str,
    thousands: str | None,
    encoding: str,
    setting: str = SETTING,
) -> Table:
    """Read every cell as text, strip header names, drop blank lines (keeping file line numbers)."""
    file = Path(str(path)).expanduser()
    if sep == decimal:
        raise ConfigError(f"sep and decimal must differ (both are {sep!r}); e.g. sep=';' decimal=','")
    thousands = _default_thousands(decimal, thousands)
    frame = read_cells(file, sep, encoding, setting)
    frame.columns = [str(c).strip() for c in frame.columns]
    lines = np.arange(len(frame)) + 2
    blank = np.ones(len(frame), dtype=bool)
    for col in frame.columns:  # later columns only where the row is still blank: one pass, not n
        rows = np.flatnonzero(blank)
        if len(rows) == 0:
            break
        blank[rows] = (frame[col].iloc[rows].str.strip() == "").to_numpy()
    return Table(file, frame[~blank], lines[~blank], thousands)


def value_notes(kinds: set[str]) -> list[str]:
    """What number parsing did to the values, for the dataset's notes."""
    notes = []
    if "suffix" in kinds:
        notes.append("K/M/B-style suffixes expanded to plain numbers")
    if "percent" in kinds:
        notes.append("percent signs stripped: values are in percent")
    return notes


def read_cells(path: Path, sep: str, encoding: str, setting: str = SETTING) -> pd.DataFrame:
    """Every cell as text; blank lines kept so row positions map to file lines."""
    if not path.exists():
        raise DataError(
            f"the CSV file {str(path)!r} does not exist (looked in {path.resolve().parent}); "
            f"check {setting}.path — a relative path is taken from the directory you ran the "
            "command in."
        )
    if path.is_dir():
        raise DataError(f"{str(path)!r} is a directory, not a CSV file; point {setting}.path at a file.")
    enc = "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
    try:
        return pd.read_csv(path, sep=sep, dtype=str, na_filter=False, encoding=enc, skip_blank_lines=False)
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{path.name}: the file is not valid {encoding} text (byte {exc.start}: {exc.reason}); "
            f"set {setting}.encoding to the file's encoding, e.g. gbk, cp1252 or utf-16."
        ) from exc
    except LookupError as exc:
        raise ConfigError(f"unknown encoding {encoding!r} for {path.name}") from exc
    except pd.errors.EmptyDataError as exc:
        raise DataError(f"{path.name}: the file is empty; it needs a header line and data rows.") from exc
    except pd.errors.ParserError as exc:
        raise DataError(
            f"{path.name}: cannot be split into columns with sep={sep!r} "
            f"({' '.join(str(exc).split())}); check {setting}.sep and that fields containing "
            "the separator are quoted."
        ) from exc


def find_column(
    frame: pd.DataFrame, col: str | int, role: str, path: Path, sep: str, setting: str = SETTING
) -> str:
    """Resolve a column given by header name or by 0-based position."""
    names = [str(c) for c in frame.columns]
    if isinstance(col, int) and not isinstance(col, bool):
        if 0 <= col < len(names):
            return names[col]
        problem = f"has no column at position {col} (positions count from 0)"
    elif str(col).strip() in names:
        return str(col).strip()
    else:
        problem = f"has no column {str(col)!r}"
        close = difflib.get_close_matches(str(col), names, n=1)
        if close:
            problem += f" (did you mean {close[0]!r}?)"
    listed = ", ".join(f"{i}: {n!r}" for i, n in enumerate(names))
    hint = ""
    if len(names) == 1:
        for cand in (";", "\t", "|", ","):
            if cand != sep and cand in names[0]:
                hint = f" The header looks separated by {cand!r}: set {setting}.sep={cand!r}."
                break
    raise DataError(
        f"{path.name} {problem}; its columns are {listed}. Set {setting}.{role} to one of these "
        f"names or a 0-based position.{hint}"
    )


def parse_values(
    raw: pd.Series, where: Where, decimal: str, thousands: str | None
) -> tuple[np.ndarray, set[str]]:
    """Every cell parsed by :func:`parse_number`; the first bad cell is named by its line.

    Cells that are plain numbers (``-12.5``, ``3e4``) are converted in one vectorised step (the same
    floats :func:`parse_number` gives); only the others go through it cell by cell.
    """
    values = np.empty(len(raw))
    plain = np.zeros(len(raw), dtype=bool)
    if decimal == "." and len(raw):
        plain = raw.str.fullmatch(_PLAIN).to_numpy(dtype=bool)
        values[plain] = raw[plain].astype("float64").to_numpy()
    kinds: set[str] = {"plain"} if plain.any() else set()
    for i in np.flatnonzero(~plain):
        text = raw.iloc[i]
        try:
            values[i], kind = parse_number(text, decimal, thousands)
        except ValueError:
            raise DataError(
                f"{where.label}: line {int(where.lines[i])} has the value {text!r}, which is not a "
                f"number in any known format ({KNOWN_FORMATS}; decimal={decimal!r}, "
                f"thousands={thousands!r}). Fix or remove that row, point value_col at a numeric "
                f"column, or set {where.setting}.decimal / thousands to match the file."
            ) from None
        kinds.add(kind)
    huge = np.flatnonzero(np.isinf(values))
    if len(huge):  # e.g. 1e400: a number, but no float holds it (it would read as missing)
        i = int(huge[0])
        raise DataError(
            f"{where.label}: line {int(where.lines[i])} has the value {raw.iloc[i]!r}, which is too "
            "large for a 64-bit float (beyond ±1.8e308); fix or remove that row."
        )
    return values, kinds


def parse_dates(raw: pd.Series, where: Where, date_format: str | None) -> tuple[pd.DatetimeIndex, list[str]]:
    """Dates in one format (given, or inferred from the first row); the first bad row is named."""
    text = raw.str.strip()
    notes = []
    fmt = date_format
    if fmt is None and (text != "").any():
        fmt = pd.tseries.api.guess_datetime_format(text[text != ""].iloc[0])
        if fmt:
            notes.append(f"dates read with the format {fmt} inferred from the first row")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            parsed = pd.to_datetime(text, format=fmt, errors="coerce")
    except (ValueError, TypeError) as exc:
        raise DataError(
            f"{where.label}: the dates cannot be read ({' '.join(str(exc).split())}); set "
            f"{where.setting}.date_format to a strftime pattern matching the file."
        ) from exc
    bad = np.flatnonzero(parsed.isna().to_numpy())
    if len(bad):
        i = int(bad[0])
        given = f"date_format {date_format!r}" if date_format else f"the format {fmt!r} of the first row"
        what = (
            "has no date"
            if text.iloc[i] == ""
            else f"has the date {raw.iloc[i]!r}, which does not match {given}"
        )
        raise DataError(
            f"{where.label}: line {int(where.lines[i])} {what}. Set {where.setting}.date_format to "
            "a strftime pattern that matches every row (e.g. %d/%m/%Y or %Y年%m月%d日), or fix "
            "that row."
        )
    index = pd.DatetimeIndex(parsed)
    if index.tz is not None:
        index = index.tz_localize(None)
        notes.append("time zone dropped: local wall-clock times kept")
    return index, notes


def load_csv(
    path: str,
    value_col: str | int,
    time_col: str | int | None = None,
    sep: str = ",",
    decimal: str = ".",
    thousands: str | None = None,
    date_format: str | None = None,
    missing: str = "error",
    encoding: str = "utf-8",
    period: int | None = None,
    freq: str | None = None,
    name: str = "csv",
    open_col: str | int | None = None,
    high_col: str | int | None = None,
    low_col: str | int | None = None,
) -> Dataset:
    """Load one value column of a CSV (optionally indexed by a time column) as a benchmark dataset.

    ``thousands`` defaults to ``,`` when ``decimal`` is ``.`` and to ``.`` when it is ``,`` (set
    ``""`` to disallow). Without ``time_col`` rows are used in file order. ``open_col``,
    ``high_col`` and ``low_col`` (all three or none) load the day's prices beside the close
    (``value_col``) for the range-based variance proxies (``variance_proxy=garman_klass``).
    """
    table = read_table(path, sep, decimal, thousands, encoding)
    file, frame, lines, thousands = table.file, table.frame, table.lines, table.thousands
    vcol = find_column(frame, value_col, "value_col", file, sep)
    tcol = None if time_col is None else find_column(frame, time_col, "time_col", file, sep)
    where = Where(file.name, vcol, lines)
    values, kinds = parse_values(frame[vcol], where, decimal, thousands)
    notes = value_notes(kinds)
    if tcol is None:
        index: pd.Index = pd.RangeIndex(len(values))
        notes.append("no time column: rows used in file order")
    else:
        index, date_notes = parse_dates(frame[tcol], Where(file.name, tcol, lines), date_format)
        notes += date_notes
    cols = {"open": open_col, "high": high_col, "low": low_col}
    if any(c is not None for c in cols.values()):
        raw = ohlc_columns(frame, cols, file, sep, lines, decimal, thousands)
        return with_ohlc(name, values, index, raw, where, missing, period, freq, file, vcol, tcol, notes)
    return load_series(
        name,
        pd.Series(values, index=index),
        where,
        missing=missing,
        period=period,
        freq=freq,
        source=f"user CSV {file.name}, column {vcol!r}" + (f" by {tcol!r}" if tcol else ""),
        notes=notes,
    )


def ohlc_columns(
    frame: pd.DataFrame, cols: dict, file: Path, sep: str, lines: np.ndarray, decimal: str,
    thousands: str | None,
) -> pd.DataFrame:  # fmt: skip
    """The open, high and low columns parsed like the value column (all three are needed)."""
    absent = [f"{SETTING}.{role}_col" for role, c in cols.items() if c is None]
    if absent:
        raise ConfigError(
            f"{', '.join(absent)} not given: the day's prices need open_col, high_col and low_col "
            f"together (value_col is the close), or none of them"
        )
    out = {}
    for role, col in cols.items():
        name = find_column(frame, col, f"{role}_col", file, sep)
        out[role], _ = parse_values(frame[name], Where(file.name, name, lines), decimal, thousands)
    return pd.DataFrame(out)


def with_ohlc(
    name: str, close: np.ndarray, index: pd.Index, raw: pd.DataFrame, where: Where, missing: str,
    period: int | None, freq: str | None, file: Path, vcol: str, tcol: str | None, notes: list[str],
) -> Dataset:  # fmt: skip
    """The close cleaned as any value column, the open/high/low rows following it (same rows kept,
    same order); a kept row must have all three, each positive, with low ≤ open, close ≤ high."""
    labels = index if tcol is not None else pd.Index(np.arange(len(close)))
    y, found = clean(pd.Series(close, index=labels), where, missing)
    pos = labels.get_indexer(y.index)
    ohlc = raw.iloc[pos].reset_index(drop=True)
    (o, h, lo), c = (ohlc[k].to_numpy() for k in ("open", "high", "low")), y.to_numpy()
    bad = ~(np.isfinite(o) & np.isfinite(h) & np.isfinite(lo)) | (lo <= 0) | (lo > np.minimum(o, c))
    bad |= h < np.maximum(o, c)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        line = int(where.lines[pos[i]]) if where.lines is not None else pos[i] + 2
        raise DataError(
            f"{file.name}: line {line} has open {o[i]:g}, high {h[i]:g}, low {lo[i]:g}, close "
            f"{c[i]:g}; each day needs positive prices with low <= open, close <= high. Fix or "
            "remove that row, or check open_col, high_col, low_col and value_col."
        )
    ds = finish(
        name, y, period=period, freq=freq if freq is not None else infer_freq(y.index),
        source=f"user CSV {file.name}, close {vcol!r} with open/high/low" + (f" by {tcol!r}" if tcol else ""),
        notes=[*notes, *found],
    )  # fmt: skip
    return replace(ds, ohlc=ohlc.set_axis(ds.y.index))
