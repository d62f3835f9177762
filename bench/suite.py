"""One benchmark run: datasets × models × seeds through the fold loop, then the result files.

Validation happens up front (every dataset loaded, every split checked) so a bad input fails before
any model is fitted and before anything is written.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf
from tqdm.auto import tqdm

from bench.errors import ConfigError, InputDataError
from bench.runner import FoldResult, backtest
from bench.splits import SplitSpec, rolling_origin
from bench.store import write_csv, write_parquet, write_text
from bench.transforms import build_pipeline
from bench.types import Dataset, Split

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Prepared:
    """A loaded dataset with its splits: everything the fold loop needs, fixed before any fit."""

    dataset: Dataset
    spec: SplitSpec
    splits: list[Split]


def split_spec(s: DictConfig) -> SplitSpec:
    return SplitSpec(
        folds=int(s.folds),
        horizon=int(s.horizon),
        step=int(s.step),
        kind=str(s.kind),
        train_size=None if s.train_size is None else int(s.train_size),
        refit_every=int(s.refit_every),
    )


def to_target(ds: Dataset, target: str) -> Dataset:
    """``returns``: log differences × 100 of a positive price level (the usual GARCH scale)."""
    if target == "level":
        return ds
    if target != "returns":
        raise ConfigError(f"target must be 'level' or 'returns', not {target!r}")
    if (ds.y <= 0).any():
        raise InputDataError(f"target=returns needs a positive series; dataset {ds.name!r} has values <= 0")
    r = 100.0 * np.log(ds.y).diff().iloc[1:]
    return replace(ds, y=r, notes=ds.notes + ("target: log returns × 100",))


def with_dates(ds: Dataset) -> Dataset:
    """Give position-indexed series a nominal daily DatetimeIndex so every result shares one schema."""
    if isinstance(ds.y.index, pd.DatetimeIndex):
        return ds
    idx = pd.date_range("2000-01-01", periods=len(ds.y), freq="D", name="ds")
    note = "no timestamps: observations shown as nominal days from 2000-01-01"
    return replace(ds, y=pd.Series(ds.y.to_numpy(), index=idx), notes=ds.notes + (note,))


def min_train(cfg: DictConfig, spec: SplitSpec, lost: int) -> int:
    """Shortest training part: the configured floor, and enough for one window after differencing."""
    return max(int(cfg.split.min_train), lost + int(cfg.window) + spec.horizon + 1)


def prepare(cfg: DictConfig) -> list[Prepared]:
    """Load every dataset and cut its splits; raises (before any fit) on bad input."""
    out = []
    for name, node in cfg.datasets.items():
        # A dataset may carry its own `split:` overrides (a 45-point series cannot hold 20 origins);
        # the rest of its node is the loader's arguments.
        args = OmegaConf.to_container(node, resolve=True)
        spec = split_spec(OmegaConf.merge(cfg.split, args.pop("split", None) or {}))
        ds = instantiate(args)
        ds = with_dates(to_target(replace(ds, name=str(name)), str(cfg.target)))
        pipe = build_pipeline(**transform_args(cfg, ds))
        if cfg.transform.log and (ds.y <= 0).any():
            raise InputDataError(
                f"transform.log needs positive data, but dataset {ds.name!r} has values <= 0 "
                f"(first at {ds.y.index[int((ds.y <= 0).to_numpy().argmax())]}); use transform.log=false"
            )
        splits = list(rolling_origin(len(ds.y), spec, min_train(cfg, spec, pipe.lost)))
        out.append(Prepared(ds, spec, splits))
    return out


def transform_args(cfg: DictConfig, ds: Dataset) -> dict:
    t = cfg.transform
    return dict(
        diff=int(t.diff),
        scale=str(t.scale),
        log=bool(t.log),
        seasonal_diff=int(t.seasonal_diff),
        period=ds.period,
    )


def model_runs(cfg: DictConfig) -> list[tuple[str, int, object]]:
    """(model name, seed, factory): stochastic models (a ``seed`` key) once per seed, others once."""
    seeds = [int(s) for s in cfg.seeds]
    runs = []
    for name, node in cfg.models.items():
        factory = instantiate(node)
        if "seed" in node:
            runs += [(str(name), s, _with_seed(factory, s)) for s in seeds]
        else:
            runs.append((str(name), seeds[0], factory))
    return runs


def _with_seed(factory, seed: int):
    return lambda: factory(seed=seed)


def run_suite(cfg: DictConfig, out_dir: Path) -> dict[str, pd.DataFrame]:
    """Run the whole suite and write forecasts, folds, series and metrics into ``out_dir``."""
    prepared = prepare(cfg)
    runs = model_runs(cfg)
    fc_rows, fold_rows, series = [], [], []
    total = sum(len(p.splits) for p in prepared) * len(runs)
    with tqdm(total=total, desc="folds", unit="fold", disable=None, leave=False) as bar:
        for p in prepared:
            ds, spec = p.dataset, p.spec
            series.append(pd.DataFrame({"dataset": ds.name, "ds": ds.y.index, "y": ds.y.to_numpy()}))
            targs = transform_args(cfg, ds)
            for model, seed, factory in runs:
                bar.set_postfix_str(f"{ds.name} × {model} (seed {seed})")
                results = backtest(
                    ds.y.to_numpy(),
                    p.splits,
                    factory,
                    lambda targs=targs: build_pipeline(**targs),
                    horizon=spec.horizon,
                    refit_every=spec.refit_every,
                    level=float(cfg.interval_level),
                    on_error=str(cfg.on_error),
                )
                bar.update(len(results))
                fc_rows += forecast_rows(ds, model, seed, results, spec.horizon)
                fold_rows += fold_records(ds, model, seed, results)
    tables = {
        "forecasts": pd.DataFrame(fc_rows, columns=FORECAST_COLUMNS),
        "folds": pd.DataFrame(fold_rows),
        "series": pd.concat(series, ignore_index=True),
    }
    out_dir = Path(out_dir)
    for name, df in tables.items():
        write_parquet(df, out_dir / f"{name}.parquet")
    write_text(json.dumps(run_info(cfg, prepared), indent=2, ensure_ascii=False), out_dir / "run.json")
    tables["metrics"] = score(tables, cfg)
    write_csv(tables["metrics"], out_dir / "metrics.csv")
    return tables


def score(tables: dict[str, pd.DataFrame], cfg: DictConfig) -> pd.DataFrame:
    """Metrics from the stored frames, plus run accounting (time, failures, warnings) per model."""
    from bench.scoring import score as score_frames  # statsmodels-heavy: imported only here

    metrics = score_frames(tables["forecasts"], tables["series"], alpha=float(cfg.alpha))
    return metrics.merge(fold_summary(tables["folds"]), on=["dataset", "model"], how="outer")


def fold_summary(folds: pd.DataFrame) -> pd.DataFrame:
    """fit_seconds (fit + forecast over all origins, mean over seeds), failed folds, warnings."""
    per_seed = folds.groupby(["dataset", "model", "seed"], sort=False).agg(
        fit_seconds=("seconds", "sum"),
        failed=("status", lambda s: int((s != "ok").sum())),
        warnings=("n_warnings", "sum"),
    )
    return (
        per_seed.groupby(["dataset", "model"], sort=False)
        .agg(fit_seconds=("fit_seconds", "mean"), failed=("failed", "sum"), warnings=("warnings", "sum"))
        .reset_index()
    )


def run_info(cfg: DictConfig, prepared: list[Prepared]) -> dict:
    """A flat record of what was run on what, stored beside the results (fev-style provenance)."""
    import importlib.metadata as md

    versions = {}
    for pkg in ("lagbench", "numpy", "pandas", "statsmodels", "arch", "torch", "scikit-learn"):
        try:
            versions[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            versions[pkg] = None
    datasets = {}
    for p in prepared:
        ds = p.dataset
        datasets[ds.name] = {
            "n": len(ds.y),
            "start": str(ds.y.index[0]),
            "end": str(ds.y.index[-1]),
            "period": ds.period,
            "freq": ds.freq,
            "source": ds.source,
            "notes": list(ds.notes),
            "pipeline": build_pipeline(**transform_args(cfg, ds)).describe(),
            "folds": len(p.splits),
            "horizon": p.spec.horizon,
            "first_cutoff": str(ds.y.index[p.splits[0].origin]),
            "last_cutoff": str(ds.y.index[p.splits[-1].origin]),
        }
    return {
        "config": OmegaConf.to_container(cfg, resolve=True),
        "datasets": datasets,
        "versions": versions,
    }


FORECAST_COLUMNS = [
    "dataset", "model", "seed", "fold", "cutoff", "ds", "h",
    "y", "y_hat", "y_origin", "y_var", "y_lo", "y_hi",
]  # fmt: skip


def forecast_rows(ds: Dataset, model: str, seed: int, results: list[FoldResult], h: int) -> list:
    """One row per origin × step: long format, original scale, truth attached only here."""
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
