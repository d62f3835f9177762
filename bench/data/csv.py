"""A user's own CSV as a benchmark dataset, with one clear message for every way it can be wrong.

Reads every cell as text and parses numbers and dates itself, so that exports from sites such as
investing.com load as they are: thousands separators (``"1,234.5"``, Indian ``"1,23,456"``),
volume suffixes (``12.3K``, ``4.5M``, ``2.1B``, ``T``; Chinese 万/亿), percentages (``0.77%`` →
0.77, kept in percent units), currency signs, Unicode minus, any header (Chinese 日期, 收盘 …)
and any strftime ``date_format`` (``%Y年%m月%d日``). Rows are always sorted ascending by time.

Line numbers in messages count the header as line 1 (a quoted field spanning several lines would
shift them; such files are rare for price data). The file is read by :mod:`bench.data.csv_table`
and its cells parsed by :mod:`bench.data.csv_cells`; this module puts the dataset together.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from bench.data.csv_cells import parse_dates, parse_values, value_notes
from bench.data.csv_table import SETTING, find_column, read_table
from bench.data.errors import DataError
from bench.data.numbers import parse_number
from bench.data.validate import Where, clean, finish, infer_freq, load_series
from bench.errors import ConfigError
from bench.types import Dataset

__all__ = ["load_csv", "parse_number", "parse_values"]  # tests import parse_number from here


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
