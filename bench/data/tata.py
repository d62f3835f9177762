"""TATA Global Beverages daily Open prices: the training and test files of the RNN stock tutorial.

The files are third-party data kept outside the project (``../shared/data/tata/`` from the repository
root, see its README) and read in place, never copied. Both files list the newest day first; they
are sorted by date and joined, so the tutorial's 16 test days are the series' last 16 values. When
the files are absent the S&P 500 (``arch.data.sp500``, shipped with arch) stands in, and the
dataset says so in its notes.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd

from bench.data.package import sp500
from bench.data.validate import Where, load_series
from bench.types import Dataset

ROOT = Path(__file__).resolve().parents[2]
TRAIN, TEST = "NSE-TATAGLOBAL.csv", "tatatest.csv"


def resolve(path: str | Path) -> Path:
    """A relative path is taken from the repository root (not from the working directory)."""
    p = Path(path).expanduser()
    return p if p.is_absolute() else ROOT / p


def _read(path: Path, column: str) -> pd.Series:
    frame = pd.read_csv(path, parse_dates=["Date"])
    return frame.set_index("Date")[column].astype("float64").sort_index()


def tata(path: str = "../shared/data/tata", column: str = "Open", fallback_tail: int = 2051) -> Dataset:
    """Training + test file sorted by date; the S&P 500 close (last ``fallback_tail`` days) if absent."""
    where = resolve(path)
    if not (where / TRAIN).is_file() or not (where / TEST).is_file():
        ds = sp500(tail=fallback_tail)
        note = f"TATA files not found in {where}: the S&P 500 stands in (same length as train + test)"
        return replace(ds, name="tata", notes=(note, *ds.notes))
    train, test = _read(where / TRAIN, column), _read(where / TEST, column)
    y = pd.concat([train, test])
    return load_series(
        "tata",
        y,
        Where(str(where), column, setting="datasets.tata"),
        freq="B",
        source=(
            f"TATA Global Beverages (NSE) daily {column}: {TRAIN} ({len(train)} days) + {TEST} "
            f"({len(test)} days)"
        ),
        notes=["trading days used positionally", f"the last {len(test)} values are the tutorial's test file"],
    )
