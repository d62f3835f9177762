"""Flat records of a run, built as columns: forecast rows, fold rows, skipped series, the series.

The key columns are defined once here (``FORECAST_COLUMNS``, ``FOLD_COLUMNS``, ``SERIES_COLUMNS``)
and every frame carries ``dataset`` and ``unique_id``; scoring and the report read these names.
Forecast rows also carry what proper scores need, fixed where the truth is attached: ``y_df``
(Student-t degrees of freedom, NaN for other forecasts), ``crps`` (per row, from the inverted
paths or the closed form: paths are never stored, ``bench.engine.crps``) and ``y_interval``
("model" where the model's own distribution gave the interval, "" where there is none; the
conformal step, ``bench.engine.conformal``, fills the rest and marks them "conformal").
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from bench.engine.crps import fold_crps
from bench.engine.runner import FoldResult
from bench.types import Collection, Dataset

FORECAST_COLUMNS = [
    "dataset", "unique_id", "model", "seed", "fold", "cutoff", "ds", "h",
    "y", "y_hat", "y_origin", "y_var", "y_lo", "y_hi", "y_df", "crps", "y_interval", "y_proxy",
]  # fmt: skip
MODEL, CONFORMAL, NONE = "model", "conformal", ""  # y_interval: where a row's interval came from
FOLD_COLUMNS = [
    "dataset", "unique_id", "model", "seed", "fold", "cutoff", "refit", "status", "error",
    "seconds", "n_warnings", "warnings", "choices",
]  # fmt: skip
SERIES_COLUMNS = ["dataset", "unique_id", "ds", "y", "period", "returns", "y_proxy"]
SKIPPED = "skipped"  # status of a series too short to evaluate (one row per model and seed)


def forecast_frame(ds: Dataset, model: str, seed: int, results: list[FoldResult], h: int) -> pd.DataFrame:
    """One row per origin × step: long format, original scale; the truth is attached only here."""
    ok = [r for r in results if r.status == "ok"]
    if not ok:
        return pd.DataFrame(columns=FORECAST_COLUMNS)
    # Plain arrays: an index slice can keep its freq, and 2-D datetime blocks with a freq do not
    # survive pickling between worker processes (pandas' NDArrayBacked.__setstate__).
    idx, y = ds.y.index.to_numpy(), ds.y.to_numpy(dtype=float)
    origin = np.repeat([r.origin for r in ok], h)
    target = origin + 1 + np.tile(np.arange(h), len(ok))
    stack = {k: np.concatenate([getattr(r, k) for r in ok]) for k in ("y_hat", "y_var", "y_lo", "y_hi")}
    truth = y[target].reshape(len(ok), h)
    crps = np.concatenate([fold_crps(t, r.y_hat, r.y_var, r.dist) for t, r in zip(truth, ok, strict=True)])
    df = np.concatenate([_df(r, h) for r in ok])
    has_interval = np.isfinite(stack["y_lo"]) & np.isfinite(stack["y_hi"])
    return pd.DataFrame(
        {
            "dataset": ds.name,
            "unique_id": ds.uid,
            "model": model,
            "seed": seed,
            "fold": np.repeat([r.fold for r in ok], h),
            "cutoff": idx[origin],
            "ds": idx[target],
            "h": np.tile(np.arange(1, h + 1), len(ok)),
            "y": y[target],
            **{"y_hat": stack["y_hat"]},
            "y_origin": y[origin],
            "y_var": stack["y_var"],
            "y_lo": stack["y_lo"],
            "y_hi": stack["y_hi"],
            "y_df": df,
            "crps": crps,
            "y_interval": np.where(has_interval, MODEL, NONE),
            # The variance proxy at the target (returns only): the truth of a variance forecast.
            "y_proxy": np.nan if ds.proxy is None else ds.proxy.to_numpy(dtype=float)[target],
        }  # fmt: skip
    )[FORECAST_COLUMNS]


def _df(r: FoldResult, h: int) -> np.ndarray:
    """The fold's Student-t degrees of freedom per step (NaN when its forecast is not a t)."""
    df = None if r.dist is None else r.dist.df
    return np.full(h, np.nan) if df is None else np.asarray(df, dtype=float)


def fold_frame(ds: Dataset, model: str, seed: int, results: list[FoldResult]) -> pd.DataFrame:
    """One row per origin, failed ones included: what a resumable run or a post-mortem needs."""
    return pd.DataFrame(
        {
            "dataset": ds.name,
            "unique_id": ds.uid,
            "model": model,
            "seed": seed,
            "fold": [r.fold for r in results],
            "cutoff": ds.y.index.to_numpy()[[r.origin for r in results]],
            "refit": [r.refit for r in results],
            "status": [r.status for r in results],
            "error": [r.error for r in results],
            "seconds": [r.seconds for r in results],
            "n_warnings": [sum(r.warnings.values()) for r in results],
            "warnings": [json.dumps(r.warnings, sort_keys=True) for r in results],
            "choices": [json.dumps(r.info, sort_keys=True, default=str) for r in results],
        },  # fmt: skip
        columns=FOLD_COLUMNS,
    )


def skipped_frame(dataset: str, reasons: dict[str, str], model: str, seed: int) -> pd.DataFrame:
    """Series of a collection that cannot be evaluated: one row each, with the reason as error."""
    n = len(reasons)
    return pd.DataFrame(
        {
            "dataset": dataset,
            "unique_id": list(reasons),
            "model": model,
            "seed": seed,
            "fold": -1,
            "cutoff": pd.NaT,
            "refit": False,
            "status": SKIPPED,
            "error": list(reasons.values()),
            "seconds": 0.0,
            "n_warnings": 0,
            "warnings": "{}",
            "choices": "{}",
        },  # fmt: skip
        index=range(n),
        columns=FOLD_COLUMNS,
    )


def series_frame(coll: Collection) -> pd.DataFrame:
    """The observed series with what scoring needs of each (its period, whether it is returns)."""
    f = coll.frame
    return pd.DataFrame(
        {
            "dataset": coll.name,
            "unique_id": f["unique_id"].astype(str),
            "ds": f["ds"],
            "y": f["y"].astype(float),
            "period": coll.period or 1,
            "returns": coll.returns,
            "y_proxy": f["y_proxy"].astype(float) if "y_proxy" in f else np.nan,
        },  # fmt: skip
        columns=SERIES_COLUMNS,
    )
