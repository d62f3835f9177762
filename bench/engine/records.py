"""Flat records of a run: forecast rows, fold rows, accounting and provenance."""

from __future__ import annotations

import importlib.metadata as md
import json

import pandas as pd

from bench.engine.runner import FoldResult
from bench.types import Dataset

FORECAST_COLUMNS = [
    "dataset", "model", "seed", "fold", "cutoff", "ds", "h",
    "y", "y_hat", "y_origin", "y_var", "y_lo", "y_hi",
]  # fmt: skip


def forecast_rows(ds: Dataset, model: str, seed: int, results: list[FoldResult], h: int) -> list:
    """One row per origin × step: long format, original scale; the truth is attached only here."""
    idx, y = ds.y.index, ds.y.to_numpy()
    rows = []
    for r in results:
        if r.status != "ok":
            continue
        for k in range(h):
            t = r.origin + 1 + k
            rows.append([
                ds.name, model, seed, r.fold, idx[r.origin], idx[t], k + 1,
                y[t], r.y_hat[k], y[r.origin], r.y_var[k], r.y_lo[k], r.y_hi[k],
            ])  # fmt: skip
    return rows


def fold_records(ds: Dataset, model: str, seed: int, results: list[FoldResult]) -> list[dict]:
    """One row per origin, failed ones included: what a resumable sweep or a post-mortem needs."""
    return [
        {
            "dataset": ds.name,
            "model": model,
            "seed": seed,
            "fold": r.fold,
            "cutoff": ds.y.index[r.origin],
            "refit": r.refit,
            "status": r.status,
            "error": r.error,
            "seconds": r.seconds,
            "n_warnings": sum(r.warnings.values()),
            "warnings": json.dumps(r.warnings, sort_keys=True),
        }
        for r in results
    ]


def fold_summary(folds: pd.DataFrame) -> pd.DataFrame:
    """fit_seconds (fit + forecast over all origins, mean over seeds), failed folds, warnings."""
    per_seed = folds.groupby(["dataset", "model", "seed"], sort=False).agg(
        fit_seconds=("seconds", "sum"),
        failed=("status", lambda s: int((s != "ok").sum())),
        warnings=("n_warnings", "sum"),
    )
    return (
        per_seed.groupby(["dataset", "model"], sort=False)
        .agg(
            fit_seconds=("fit_seconds", "mean"),
            failed=("failed", "sum"),
            warnings=("warnings", "sum"),
        )
        .reset_index()
    )


def versions() -> dict[str, str | None]:
    out = {}
    for pkg in ("lagbench", "numpy", "pandas", "statsmodels", "arch", "torch", "scikit-learn"):
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            out[pkg] = None
    return out
