"""Real series that ship inside installed packages (arch, statsmodels): nothing is downloaded.

Daily prices are used positionally (one observation per trading day); ``tail`` keeps the default
suite fast while leaving the full history one override away (``tail: null``).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from bench.data.errors import DataError
from bench.data.validate import Where, fmt_time, load_series
from bench.errors import ConfigError
from bench.types import Dataset


def _tail(y: pd.Series, tail: int | None) -> tuple[pd.Series, list[str]]:
    if tail is None or tail >= len(y):
        return y, []
    if tail < 2:
        raise ConfigError(f"tail must be >= 2 or null, not {tail}")
    out = y.iloc[-int(tail) :]
    span = f"{fmt_time(out.index[0])} … {fmt_time(out.index[-1])}"
    return out, [f"last {len(out)} of {len(y)} observations ({span})"]


def _arch_prices(module: str, column: str) -> pd.Series:
    import importlib

    frame = importlib.import_module(f"arch.data.{module}").load()
    if column not in frame.columns:
        raise DataError(f"arch.data.{module} has no column {column!r}; it has: {', '.join(frame.columns)}")
    return frame[column].astype("float64")


def _price(name: str, module: str, label: str, column: str, tail: int | None, period: int) -> Dataset:
    y, notes = _tail(_arch_prices(module, column), tail)
    ds = load_series(
        name,
        y,
        Where(f"arch.data.{module}", column),
        freq="B",
        source=f"{label} daily {column}, arch.data.{module} (Yahoo Finance via the arch package)",
        notes=[*notes, "trading days used positionally (weekends and holidays are not gaps)"],
    )
    return replace(ds, period=period)


def sp500(tail: int | None = 1000, column: str = "Adj Close", period: int = 5) -> Dataset:
    """S&P 500 daily adjusted close: a price level where persistence is hard to beat.

    ``period`` 5 is the trading week (what seasonal naive and seasonal differencing use)."""
    return _price("sp500", "sp500", "S&P 500", column, tail, period)


def nasdaq(tail: int | None = 1000, column: str = "Adj Close", period: int = 5) -> Dataset:
    """NASDAQ Composite daily adjusted close: a second, more volatile price level (period: trading week)."""
    return _price("nasdaq", "nasdaq", "NASDAQ Composite", column, tail, period)


def sp500_returns(tail: int | None = 1000, column: str = "Adj Close", period: int = 5) -> Dataset:
    """S&P 500 daily log returns × 100 (the GARCH scale): where volatility models matter."""
    prices = _arch_prices("sp500", column)
    r = (100.0 * np.log(prices).diff()).iloc[1:]
    r, notes = _tail(r, tail)
    ds = load_series(
        "sp500_returns",
        r,
        Where("arch.data.sp500", column),
        freq="B",
        source=f"S&P 500 daily log returns × 100 of {column}, arch.data.sp500",
        notes=[*notes, "already returns: use target=level with this dataset"],
    )
    return replace(ds, returns=True, period=period)


def _ohlc(name: str, module: str, label: str, tail: int | None, period: int) -> Dataset:
    """Daily close with the day's open, high and low: prices for ``target: returns`` and the
    range-based variance proxies. ``tail`` counts prices (one more than the returns they give)."""
    import importlib

    frame = importlib.import_module(f"arch.data.{module}").load().astype("float64")
    close, notes = _tail(frame["Close"], tail)
    ds = load_series(
        name,
        close,
        Where(f"arch.data.{module}", "Close"),
        freq="B",
        source=f"{label} daily open/high/low/close, arch.data.{module} (Yahoo Finance via the arch package)",
        notes=[*notes, "trading days used positionally (weekends and holidays are not gaps)"],
    )
    ohlc = frame.loc[close.index, ["Open", "High", "Low"]].set_axis(["open", "high", "low"], axis=1)
    return replace(ds, period=period, ohlc=ohlc.set_axis(ds.y.index))


def sp500_ohlc(tail: int | None = 2001, period: int = 5) -> Dataset:
    """S&P 500 daily close with open/high/low (index: Close = Adj Close), for the volatility duel."""
    return _ohlc("sp500_ohlc", "sp500", "S&P 500", tail, period)


def nasdaq_ohlc(tail: int | None = 2001, period: int = 5) -> Dataset:
    """NASDAQ Composite daily close with open/high/low, for the volatility duel (large overnight gaps)."""
    return _ohlc("nasdaq_ohlc", "nasdaq", "NASDAQ Composite", tail, period)


def sunspots(period: int = 11) -> Dataset:
    """Yearly sunspot numbers 1700–2008: a classic nonlinear, roughly 11-year cycle."""
    import statsmodels.api as sm

    frame = sm.datasets.sunspots.load_pandas().data
    idx = pd.to_datetime(frame["YEAR"].astype(int).astype(str), format="%Y")
    y = pd.Series(frame["SUNACTIVITY"].to_numpy(dtype="float64"), index=pd.DatetimeIndex(idx))
    return load_series(
        "sunspots",
        y,
        Where("statsmodels.datasets.sunspots", "SUNACTIVITY"),
        period=period,
        freq="YS",
        source="yearly sunspot activity 1700–2008, statsmodels.datasets.sunspots",
        notes=["the cycle is about 11 years but irregular: period 11 is approximate"],
    )


def co2(period: int = 12, tail: int | None = None) -> Dataset:
    """Mauna Loa CO2, weekly averaged to monthly means: trend plus a strong yearly season.

    Weeks with no reading are skipped by the monthly mean; months with no reading at all are
    linearly interpolated — a documented repair, noted on the dataset.
    """
    import statsmodels.api as sm

    weekly = sm.datasets.co2.load_pandas().data["co2"].astype("float64")
    monthly = weekly.resample("MS").mean()
    y, tail_notes = _tail(monthly, tail)
    missing_weeks = int(weekly.isna().sum())
    notes = [f"weekly readings averaged per month ({missing_weeks} weeks without a reading)"]
    return load_series(
        "co2",
        y,
        Where("statsmodels.datasets.co2", "co2"),
        missing="interpolate",
        period=period,
        freq="MS",
        source="Mauna Loa atmospheric CO2 (ppm), statsmodels.datasets.co2, weekly → monthly mean",
        notes=notes + tail_notes,
    )


MACRO_LABELS = {"realgdp": "US real GDP (billions of chained 2005 dollars)", "cpi": "US CPI"}


def macrodata(column: str = "realgdp", period: int = 4, name: str | None = None) -> Dataset:
    """A quarterly US macro series 1959Q1–2009Q3 from statsmodels' macrodata (default real GDP)."""
    import statsmodels.api as sm

    frame = sm.datasets.macrodata.load_pandas().data
    if column not in frame.columns:
        raise DataError(f"statsmodels macrodata has no column {column!r}; it has: {', '.join(frame.columns)}")
    idx = pd.PeriodIndex.from_fields(
        year=frame["year"].astype(int), quarter=frame["quarter"].astype(int), freq="Q"
    ).to_timestamp(how="start")
    y = pd.Series(frame[column].to_numpy(dtype="float64"), index=idx)
    label = MACRO_LABELS.get(column, column)
    return load_series(
        name or f"macro_{column}",
        y,
        Where("statsmodels.datasets.macrodata", column),
        period=period,
        freq="QS",
        source=f"{label}, quarterly 1959–2009, statsmodels.datasets.macrodata",
    )
