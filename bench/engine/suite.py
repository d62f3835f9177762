"""One benchmark run: datasets × models × seeds through the fold loop, then the result files.

Validation happens up front (every dataset loaded, every split checked) so a bad input fails before
any model is fitted and before anything is written.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
from hydra.utils import instantiate
from joblib import Parallel, delayed
from omegaconf import DictConfig, OmegaConf
from tqdm.auto import tqdm

from bench.engine.records import FORECAST_COLUMNS, fold_records, fold_summary, forecast_rows, versions
from bench.engine.runner import FoldResult, backtest
from bench.errors import ConfigError, InputDataError
from bench.models.base import Forecaster
from bench.prep.splits import SeriesTooShortError, SplitSpec, rolling_origin
from bench.prep.transforms import build_pipeline, first_non_positive
from bench.scoring.frame import per_horizon
from bench.scoring.frame import score as score_frames
from bench.store import write_csv, write_parquet, write_text
from bench.types import Dataset, Split


@dataclass(frozen=True)
class Prepared:
    """A loaded dataset with its splits and transform: all the fold loop needs, fixed before any fit."""

    dataset: Dataset
    spec: SplitSpec
    splits: list[Split]
    transform: dict


@dataclass(frozen=True)
class ModelRun:
    """One model at one seed; ``period_from_data`` models get the dataset's period at build time."""

    name: str
    seed: int
    factory: Callable[..., Forecaster]
    kwargs: dict
    period_from_data: bool

    def make(self, ds: Dataset) -> Callable[[], Forecaster]:
        kwargs = dict(self.kwargs)
        if self.period_from_data:
            if not ds.period:
                raise ConfigError(
                    f"model {self.name!r} takes its period from the dataset, but {ds.name!r} has "
                    f"none; set models.{self.name}.period=<int>"
                )
            kwargs["period"] = int(ds.period)
        return lambda: self.factory(**kwargs)


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
    require_positive(ds, "target=returns", "target=level")
    r = 100.0 * np.log(ds.y).diff().iloc[1:]
    return replace(ds, y=r, notes=ds.notes + ("target: log returns × 100",), returns=True)


def require_positive(ds: Dataset, setting: str, instead: str) -> None:
    """Logs need positive data: say which dataset and where, before any fold fails on it."""
    bad = first_non_positive(ds.y.to_numpy())
    if bad is not None:
        raise InputDataError(
            f"{setting} needs positive data, but dataset {ds.name!r} has {ds.y.iloc[bad]} at "
            f"{ds.y.index[bad]} (the first value <= 0); use {instead}"
        )


def with_dates(ds: Dataset) -> Dataset:
    """Give position-indexed series a nominal DatetimeIndex (the dataset's freq, else daily) so every
    result file shares one schema."""
    if isinstance(ds.y.index, pd.DatetimeIndex):
        return ds
    freq = ds.freq or "D"
    idx = pd.date_range("2000-01-01", periods=len(ds.y), freq=freq, name="ds")
    note = f"no timestamps: observations shown on a nominal calendar from 2000-01-01 (freq {freq})"
    return replace(ds, y=pd.Series(ds.y.to_numpy(), index=idx), notes=ds.notes + (note,))


def min_train(cfg: DictConfig, spec: SplitSpec, lost: int) -> int:
    """Shortest training part: the configured floor, and enough for one window after differencing."""
    return max(int(cfg.split.min_train), lost + int(cfg.window) + spec.horizon + 1)


def prepare(cfg: DictConfig) -> list[Prepared]:
    """Load every dataset and cut its splits; raises (before any fit) on bad input.

    A dataset node may carry its own ``split:`` and ``transform:`` overrides (a 45-point series
    cannot hold 20 origins; a return series needs no differencing); all models still share them.
    The rest of the node is the loader's arguments.
    """
    out = []
    for name, node in cfg.datasets.items():
        args, own = loader_args(node)
        spec = split_spec(OmegaConf.merge(cfg.split, own["split"]))
        tcfg = OmegaConf.merge(cfg.transform, own["transform"])
        ds = instantiate(args)
        ds = with_dates(to_target(replace(ds, name=str(name)), str(cfg.target)))
        targs = transform_args(tcfg, ds)
        if targs["log"]:
            require_positive(ds, "transform.log", "transform.log=false")
        lost = build_pipeline(**targs).lost
        try:
            splits = list(rolling_origin(len(ds.y), spec, min_train(cfg, spec, lost)))
        except SeriesTooShortError as exc:
            raise SeriesTooShortError(f"dataset {ds.name!r} ({ds.source}): {exc}") from exc
        out.append(Prepared(ds, spec, splits, targs))
    return out


def loader_args(node: DictConfig) -> tuple[dict, dict[str, dict]]:
    """Split a dataset node into the loader's arguments and the dataset's own suite overrides."""
    require_all(node)
    args = OmegaConf.to_container(node, resolve=True)
    own = {key: args.pop(key, None) or {} for key in ("split", "transform")}
    return args, own


def require_all(node: DictConfig) -> None:
    """Name every required setting (``???``) that was not given, by its full command-line key."""
    missing = sorted(OmegaConf.missing_keys(node))
    if missing:
        raise ConfigError(
            f"required setting(s) not given: {', '.join(missing)}; pass them on the command line, "
            f"e.g. {' '.join(f'{k}=...' for k in missing)}"
        )


def transform_args(t: DictConfig, ds: Dataset) -> dict:
    return dict(
        diff=int(t.diff),
        scale=str(t.scale),
        log=bool(t.log),
        seasonal_diff=int(t.seasonal_diff),
        period=ds.period,
    )


def model_runs(cfg: DictConfig, prepared: list[Prepared]) -> list[ModelRun]:
    """Stochastic models (a ``seed`` key) once per seed, others once; ``period: null`` means
    "the dataset's period". Each model is built once per dataset here, so a bad setting fails
    before any fit instead of being recorded as a failure at every fold."""
    seeds = [int(s) for s in cfg.seeds]
    runs = []
    for name, node in cfg.models.items():
        require_all(node)
        factory = instantiate(node)
        from_data = "period" in node and node.period is None
        for seed in seeds if "seed" in node else seeds[:1]:
            kwargs = {"seed": seed} if "seed" in node else {}
            runs.append(ModelRun(str(name), seed, factory, kwargs, from_data))
    # The seed never decides whether settings are valid: build each model once per dataset.
    for run in {r.name: r for r in runs}.values():
        for p in prepared:
            try:
                run.make(p.dataset)()
            except ConfigError:
                raise
            except Exception as exc:  # noqa: BLE001 - any constructor error is a settings error
                raise ConfigError(f"model {run.name!r} cannot be built from its settings: {exc}") from exc
    return runs


def run_suite(cfg: DictConfig, out_dir: Path) -> dict[str, pd.DataFrame]:
    """Run the whole suite and write forecasts, folds, series and metrics into ``out_dir``.

    Each dataset × model × seed is an independent, seeded task, so ``n_jobs`` worker processes
    give the same numbers as one; results are assembled in task order either way.
    """
    prepared = prepare(cfg)
    runs = model_runs(cfg, prepared)
    tasks = [(p, run) for p in prepared for run in runs]
    level, on_error = float(cfg.interval_level), str(cfg.on_error)
    fc_rows, fold_rows = [], []
    total = sum(len(p.splits) for p, _ in tasks)
    with tqdm(total=total, desc="folds", unit="fold", disable=None, leave=False) as bar:
        for (p, run), results in zip(tasks, _execute(tasks, level, on_error, int(cfg.n_jobs)), strict=True):
            bar.set_postfix_str(f"{p.dataset.name} × {run.name} (seed {run.seed})")
            bar.update(len(results))
            fc_rows += forecast_rows(p.dataset, run.name, run.seed, results, p.spec.horizon)
            fold_rows += fold_records(p.dataset, run.name, run.seed, results)
    series = [pd.DataFrame({"dataset": p.dataset.name, "ds": p.dataset.y.index, "y": p.dataset.y.to_numpy()})
              for p in prepared]  # fmt: skip
    tables = {
        "forecasts": pd.DataFrame(fc_rows, columns=FORECAST_COLUMNS),
        "folds": pd.DataFrame(fold_rows),
        "series": pd.concat(series, ignore_index=True),
    }
    out_dir = Path(out_dir)
    for name, df in tables.items():
        write_parquet(df, out_dir / f"{name}.parquet")
    write_text(json.dumps(run_info(cfg, prepared), indent=2, ensure_ascii=False), out_dir / "run.json")
    tables["metrics"] = score(tables, cfg, prepared)
    write_csv(tables["metrics"], out_dir / "metrics.csv")
    tables["metrics_by_h"] = per_horizon(tables["forecasts"])
    write_csv(tables["metrics_by_h"], out_dir / "metrics_by_h.csv")
    return tables


def backtest_task(p: Prepared, run: ModelRun, level: float, on_error: str) -> list[FoldResult]:
    """One dataset × model × seed over all its origins: a pure, picklable unit of work."""
    return backtest(
        p.dataset.y.to_numpy(),
        p.splits,
        run.make(p.dataset),
        partial(build_pipeline, **p.transform),
        horizon=p.spec.horizon,
        refit_every=p.spec.refit_every,
        level=level,
        on_error=on_error,
    )


def _execute(tasks: list, level: float, on_error: str, n_jobs: int) -> Iterator[list[FoldResult]]:
    if n_jobs == 1 or len(tasks) < 2:
        return (backtest_task(p, run, level, on_error) for p, run in tasks)
    # Worker processes inherit the one-thread BLAS/OpenMP pinning from the environment.
    parallel = Parallel(n_jobs=n_jobs, return_as="generator")
    return parallel(delayed(backtest_task)(p, run, level, on_error) for p, run in tasks)


def score(tables: dict[str, pd.DataFrame], cfg: DictConfig, prepared: list[Prepared]) -> pd.DataFrame:
    """Metrics from the stored frames, plus run accounting (time, failures, warnings) per model."""
    metrics = score_frames(
        tables["forecasts"],
        tables["series"],
        alpha=float(cfg.alpha),
        max_shift=int(cfg.max_shift),
        echo_threshold=float(cfg.echo_threshold),
    )
    # QLIKE compares a variance forecast with the squared value: meaningful for returns only.
    returns = {p.dataset.name for p in prepared if p.dataset.returns}
    metrics.loc[~metrics["dataset"].isin(returns), ["qlike", "qlike_std"]] = np.nan
    return metrics.merge(fold_summary(tables["folds"]), on=["dataset", "model"], how="outer")


def run_info(cfg: DictConfig, prepared: list[Prepared]) -> dict:
    """A flat record of what was run on what, stored beside the results (fev-style provenance)."""
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
            "returns": ds.returns,
            "notes": list(ds.notes),
            "pipeline": build_pipeline(**p.transform).describe(),
            "folds": len(p.splits),
            "horizon": p.spec.horizon,
            "first_cutoff": str(ds.y.index[p.splits[0].origin]),
            "last_cutoff": str(ds.y.index[p.splits[-1].origin]),
        }
    return {
        "config": OmegaConf.to_container(cfg, resolve=True),
        "datasets": datasets,
        "versions": versions(),
    }
