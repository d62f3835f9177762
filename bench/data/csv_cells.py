"""A column of text cells → numbers or dates, the first cell that is neither named by its file line.

Apart from reading the file because the formats are many (thousands separators, K/M/B suffixes,
percentages, any strftime pattern) and the number/date rules are shared by every CSV loader.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from bench.data.errors import DataError
from bench.data.numbers import KNOWN_FORMATS, parse_number
from bench.data.validate import Where

_PLAIN = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"  # what float() and parse_number agree on


def value_notes(kinds: set[str]) -> list[str]:
    """What number parsing did to the values, for the dataset's notes."""
    notes = []
    if "suffix" in kinds:
        notes.append("K/M/B-style suffixes expanded to plain numbers")
    if "percent" in kinds:
        notes.append("percent signs stripped: values are in percent")
    return notes


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
