"""A CSV file read as text: every cell a string, blank lines dropped, each row's file line kept.

Its own module because reading is where most bad files fail (missing, a directory, wrong encoding,
wrong separator, empty, a column that is not there), each with a message naming the file and the
setting to change; the single-series (:mod:`bench.data.csv`) and panel loaders share it.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from bench.data.errors import DataError
from bench.errors import ConfigError

SETTING = "datasets.csv"  # the config prefix messages name; the panel loader passes its own


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
