"""Score a run from its stored frames: the one scoring path shared by the run, ``make report`` and
the sweep report, so re-scoring stored files gives exactly the run's metrics.

``metrics_by_series`` has one row per dataset × series × model (seeds aggregated);
``metrics`` one row per dataset × model — the series' row for a single-series dataset
(``kind=series``), the across-series aggregate for a collection (``kind=collection``, see
``bench.scoring.aggregate``); ``metrics_by_h`` the per-step errors.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from bench.scoring.aggregate import aggregate
from bench.scoring.frame import per_horizon, returns_series, score, with_ids
from bench.scoring.multiple import tries
from bench.scoring.volatility import with_volatility
from bench.settings import ScoringSettings, Settings
from bench.store import read_run, write_csv

METRIC_FILES = ("metrics", "metrics_by_series", "metrics_by_h")
RANK_BY = "smape"  # the M-competition papers rank methods by sMAPE

SKIPPED = "skipped"


def fold_summary(folds: pd.DataFrame) -> pd.DataFrame:
    """Per series × model: fit_seconds (all origins, mean over seeds), failed folds, warnings."""
    folds = with_ids(folds)
    run = folds[folds["status"] != SKIPPED]
    per_seed = run.groupby(["dataset", "unique_id", "model", "seed"], sort=False).agg(
        fit_seconds=("seconds", "sum"),
        failed=("status", lambda s: int((s != "ok").sum())),
        warnings=("n_warnings", "sum"),
    )
    return (
        per_seed.groupby(["dataset", "unique_id", "model"], sort=False)
        .agg(fit_seconds=("fit_seconds", "mean"), failed=("failed", "sum"), warnings=("warnings", "sum"))
        .reset_index()
    )


def with_skipped(agg: pd.DataFrame, folds: pd.DataFrame) -> pd.DataFrame:
    """``n_skipped`` per dataset × model: the series that model was not scored on (too short for
    the splits or for its needs); a model skipped on every series gets a row with n_series 0."""
    folds = with_ids(folds)
    skipped = folds[folds["status"] == SKIPPED]
    skipped = skipped.groupby(["dataset", "model"], sort=False)["unique_id"].nunique()
    have = set(zip(agg["dataset"], agg["model"], strict=True))
    datasets = set(agg["dataset"])
    extra = [
        {"dataset": d, "model": m, "n_series": 0}
        for d, m in skipped.index
        if d in datasets and (d, m) not in have
    ]
    out = pd.concat([agg, pd.DataFrame(extra, columns=agg.columns)], ignore_index=True) if extra else agg
    counts = [int(skipped.get((d, m), 0)) for d, m in zip(out["dataset"], out["model"], strict=True)]
    return out.assign(n_skipped=counts).astype({"n_series": int})


def score_run(
    tables: dict[str, pd.DataFrame], sc: ScoringSettings, n_jobs: int = 1
) -> dict[str, pd.DataFrame]:
    """``metrics``, ``metrics_by_series`` and ``metrics_by_h`` from forecasts, folds and series
    (``n_jobs``: processes for the SPA/MCS bootstraps of a collection; the numbers never depend on it)."""
    by_series = score(tables["forecasts"], tables["series"], sc)
    by_series = by_series.merge(
        fold_summary(tables["folds"]), on=["dataset", "unique_id", "model"], how="outer"
    )
    counted = tries(tables["forecasts"], returns_series(tables["series"]), sc, n_jobs)  # SPA, MCS
    by_series = by_series.merge(counted, on=["dataset", "unique_id", "model"], how="left")
    by_series = with_volatility(by_series, tables, sc)  # returns series: variance vs the proxy
    n_series = with_ids(tables["series"]).groupby("dataset", sort=False)["unique_id"].nunique()
    single = by_series["dataset"].map(n_series).fillna(1).eq(1)
    parts = [by_series[single]]
    if (~single).any():
        agg = aggregate(
            by_series[~single], baseline=sc.baseline, reference=sc.reference, alpha=sc.alpha, rank_by=RANK_BY
        )
        parts.append(with_skipped(agg, tables["folds"]).assign(kind="collection"))
    metrics = pd.concat([parts[0].assign(kind="series"), *parts[1:]], ignore_index=True)
    order = list(dict.fromkeys(by_series["dataset"]))
    metrics = metrics.sort_values("dataset", key=lambda d: d.map(order.index), kind="stable")
    return {
        "metrics": metrics.reset_index(drop=True),
        "metrics_by_series": by_series,
        "metrics_by_h": per_horizon(tables["forecasts"], baseline=sc.baseline),
    }


def run_settings(run_dir: Path) -> Settings:
    """The settings a stored run was made with (``run.json``), through the same types."""
    info = json.loads((Path(run_dir) / "run.json").read_text(encoding="utf-8"))
    return Settings.from_dict(info["settings"])


def score_dir(run_dir: Path) -> dict[str, pd.DataFrame]:
    """(Re-)score a run directory from its stored frames and write the metrics files."""
    run_dir = Path(run_dir)
    s = run_settings(run_dir)
    scored = score_run(read_run(run_dir), s.scoring, s.execution.n_jobs)
    for name in METRIC_FILES:
        write_csv(scored[name], run_dir / f"{name}.csv")
    return scored
