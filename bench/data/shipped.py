"""Small series shipped inside the package (``bench/data/files/``), each with its provenance."""

from __future__ import annotations

from importlib.resources import files

import pandas as pd

from bench.data.validate import Where, load_series
from bench.types import Dataset

SALES_SOURCE = (
    "45 monthly sales values quoted in the LSTM-vs-ARIMA sales article (seed 004), "
    "shipped as bench/data/files/sales.csv"
)


def shipped_path(filename: str):
    """Path of a shipped file; works from a source checkout and from an installed package."""
    return files("bench.data") / "files" / filename


def sales(period: int = 12) -> Dataset:
    """The seed article's 45 monthly sales figures (it gives no dates: months are numbered)."""
    path = shipped_path("sales.csv")
    with path.open(encoding="utf-8") as fh:
        frame = pd.read_csv(fh, comment="#")
    y = pd.Series(frame["sales"].to_numpy(dtype="float64"))
    return load_series(
        "sales",
        y,
        Where("bench/data/files/sales.csv", "sales"),
        period=period,
        freq="MS",
        source=SALES_SOURCE,
        notes=["the article gives no calendar dates: observations are months numbered 1–45"],
    )
