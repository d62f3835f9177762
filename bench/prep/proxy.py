"""The variance proxy: an observable stand-in for each day's unobservable return variance.

Volatility forecasts are scored against a proxy (Patton 2011), and some models (HAR, LSTM-RV)
forecast the proxy from its own history. On the returns scale (100 × log returns) every proxy here
is in the units of the returns' variance:

- ``squared``: (r_t − r̄_{<t})², the squared return demeaned with the mean of the returns *before*
  t (0 for the first). Causal by construction: the proxy at t uses r_1..r_t only, so a model that
  reads the proxy up to an origin sees nothing after it, and one fixed value per day can be stored.
- ``parkinson``: o_t² + (ln H_t/L_t)² / (4 ln 2) × 100²  (Parkinson 1980).
- ``garman_klass``: o_t² + [½ (ln H_t/L_t)² − (2 ln 2 − 1)(ln C_t/O_t)²] × 100²  (Garman & Klass 1980).

o_t = 100 · ln(O_t / C_{t−1}) is the overnight return: the range estimators measure the trading
day only, and the target is the close-to-close return, so the overnight jump is added (0 when the
open is the previous close; on arch's NASDAQ data it is a quarter of the return variance).
Range proxies need prices: a series of prices with open/high/low (close = the series) evaluated
as returns (``target=returns``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Literal

import numpy as np
import pandas as pd

from bench.errors import ConfigError
from bench.prep.steps import Scale
from bench.types import Collection

VarianceProxy = Literal["squared", "parkinson", "garman_klass"]
OHLC = ("open", "high", "low")
PROXY = "y_proxy"
_GK = 2.0 * np.log(2.0) - 1.0


def squared(r: np.ndarray) -> np.ndarray:
    """(r_t − mean(r_{<t}))²: demeaned with the returns before t only (no look-ahead)."""
    r = np.asarray(r, dtype=float)
    before = np.r_[0.0, np.cumsum(r)[:-1] / np.arange(1, r.size)] if r.size else r
    return (r - before) ** 2


def parkinson(prev_close, open_, high, low, close) -> np.ndarray:
    """Overnight² + Parkinson's range variance, ×100² (log-return percent units)."""
    on, hl, _ = _logs(prev_close, open_, high, low, close)
    return on**2 + hl**2 / (4.0 * np.log(2.0))


def garman_klass(prev_close, open_, high, low, close) -> np.ndarray:
    """Overnight² + Garman–Klass' open-high-low-close variance, ×100² (never negative: |C/O| ≤ H/L)."""
    on, hl, co = _logs(prev_close, open_, high, low, close)
    return on**2 + 0.5 * hl**2 - _GK * co**2


def _logs(prev_close, open_, high, low, close) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    pc, o, h, lo, c = (np.asarray(x, dtype=float) for x in (prev_close, open_, high, low, close))
    return 100.0 * np.log(o / pc), 100.0 * np.log(h / lo), 100.0 * np.log(c / o)


RANGE = {"parkinson": parkinson, "garman_klass": garman_klass}


def with_proxy(coll: Collection, target: str, kind: str, setting: str = "variance_proxy") -> Collection:
    """``coll`` with a ``y_proxy`` column when it will be scored as returns; unchanged otherwise.

    Called before ``to_target``: with ``target=returns`` the series holds prices (the close), so
    the row of each return gets its proxy here and the first row (no return) gets NaN and is then
    dropped with the return. A series that already holds returns (``returns`` loaders) supports
    ``squared`` only.
    """
    if kind not in ("squared", *RANGE):
        raise ConfigError(f"{setting}={kind} is not allowed; choose one of: squared, parkinson, garman_klass")
    f = coll.frame
    if target != "returns" and not coll.returns:
        return coll
    prices = target == "returns"
    if prices and not (f["y"] > 0).all():
        return coll  # not prices: ``to_target`` refuses them with its own message
    by = f.groupby("unique_id", sort=False)
    note = (f"variance proxy: {kind} (the truth variance forecasts are scored against)",)
    if kind == "squared":
        r = 100.0 * np.log(f["y"]).groupby(f["unique_id"], sort=False).diff() if prices else f["y"]
        proxy = r.groupby(f["unique_id"], sort=False).transform(_squared_after_first if prices else squared)
        return replace(coll, frame=f.assign(**{PROXY: proxy.to_numpy(float)}), notes=coll.notes + note)
    missing = [c for c in OHLC if c not in f]
    if missing or not prices:
        have = "is already returns (no prices)" if not prices else f"has no {', '.join(missing)} column(s)"
        raise ConfigError(
            f"{setting}={kind} needs the open, high and low prices of each day, but dataset "
            f"{coll.name!r} {have}. Load prices with their open/high/low columns (a CSV: set "
            "datasets.csv.open_col, high_col and low_col; value_col is the close) and use "
            f"target=returns, or use {setting}=squared."
        )
    prev = by["y"].shift()
    proxy = RANGE[kind](prev, f["open"], f["high"], f["low"], f["y"])
    return replace(coll, frame=f.assign(**{PROXY: np.asarray(proxy, dtype=float)}), notes=coll.notes + note)


def _squared_after_first(r: pd.Series) -> np.ndarray:
    """``squared`` of a series' returns whose first row (the first price: no return) is NaN."""
    out = np.full(len(r), np.nan)
    out[1:] = squared(r.to_numpy(float)[1:])
    return out


def variance_factor(steps: Sequence[object]) -> float:
    """Transformed units per original unit, squared: a proxy × this is on the transformed scale.

    Only an affine chain (scalers, or nothing) maps a variance by one factor; differencing, logs
    and Box-Cox do not, so a model that reads the proxy refuses them (``check_affine``).
    """
    factor = 1.0
    for step in steps:
        if not isinstance(step, Scale):
            raise ConfigError(f"the variance proxy cannot be mapped through the transform step {step!r}")
        factor /= step.factor**2
    return factor


def check_affine(model: str, dataset: str, describe: str, steps: Sequence[object], has_proxy: bool) -> None:
    """A model that reads the proxy needs one (a returns dataset) and a chain that only scales."""
    if not has_proxy:
        raise ConfigError(
            f"model {model!r} forecasts the variance proxy, which only returns datasets have; "
            f"dataset {dataset!r} is not returns: use target=returns (prices) or a returns dataset, "
            f"or drop {model} for it"
        )
    bad = [s for s in steps if not isinstance(s, Scale)]
    if bad:
        raise ConfigError(
            f"model {model!r} reads the variance proxy of returns, which only a chain that scales "
            f"maps onto the transformed scale, but dataset {dataset!r} uses {describe}; set "
            "transform.diff=0 and transform.log=false (transform.scale may stay) for returns"
        )
