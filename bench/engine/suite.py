"""Execute a run: dataset × series-chunk × model × seed tasks through the fold loop → tables.

Pure with respect to its inputs (settings and prepared datasets in, frames out); writing files and
scoring happen elsewhere (``bench.benchmark``). Every task is independent and seeded, so worker
processes give the same numbers as one, and results are assembled in task order either way.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, replace
from functools import partial
from pathlib import Path

import pandas as pd
from hydra.utils import get_object
from tqdm.auto import tqdm

from bench.engine.backends import parallel_map
from bench.engine.cache import TaskCache, code_fingerprint, data_fingerprint, package_versions, task_key
from bench.engine.global_runner import backtest_global
from bench.engine.prepare import Prepared, pipeline_args
from bench.engine.records import (
    FOLD_COLUMNS,
    FORECAST_COLUMNS,
    fold_frame,
    forecast_frame,
    series_frame,
    skipped_frame,
)
from bench.engine.runner import FoldResult, backtest
from bench.errors import ConfigError
from bench.models.base import Forecaster, SeesProxy
from bench.prep.proxy import PROXY, check_affine
from bench.prep.transforms import build_pipeline
from bench.settings import ModelSettings, Settings
from bench.types import Dataset


@dataclass(frozen=True)
class ModelRun:
    """One model at one seed; ``period_from_data`` models get the dataset's period at build time."""

    settings: ModelSettings
    seed: int

    @property
    def name(self) -> str:
        return self.settings.name

    def make(self, period: int | None, dataset: str = "") -> Callable[[], Forecaster]:
        m = self.settings
        kwargs = dict(m.params)
        if m.seeded:
            kwargs["seed"] = self.seed
        cls = get_object(m.target)
        if m.period_from_data:
            if not period and not getattr(cls, "period_optional", False):
                raise ConfigError(
                    f"model {m.name!r} takes its period from the dataset, but {dataset!r} has "
                    f"none; set models.{m.name}.period=<int>"
                )
            kwargs["period"] = int(period) if period else None
        return partial(cls, **kwargs)


def runs_of(s: Settings) -> list[ModelRun]:
    """Seeded models once per seed, others once."""
    return [ModelRun(m, seed) for m in s.models for seed in (s.seeds if m.seeded else s.seeds[:1])]


def check_models(s: Settings, prepared: list[Prepared], names: set[str] | None = None) -> None:
    """Build each model (or those in ``names``) once per dataset, so a bad setting fails before any
    fit instead of being recorded as a failure at every fold."""
    for m in s.models:
        if names is not None and m.name not in names:
            continue
        for p in prepared:
            try:
                model = ModelRun(m, s.seeds[0]).make(p.collection.period, p.name)()
            except ConfigError:
                raise
            except Exception as exc:  # noqa: BLE001 - any constructor error is a settings error
                raise ConfigError(f"model {m.name!r} cannot be built from its settings: {exc}") from exc
            if isinstance(model, SeesProxy):
                chain = build_pipeline(**pipeline_args(p.settings.transform, p.collection.period))
                check_affine(m.name, p.name, chain.describe(), chain.steps, PROXY in p.collection.frame)


def model_runs(s: Settings, prepared: list[Prepared]) -> list[ModelRun]:
    """Every model run, each model checked against every dataset."""
    check_models(s, prepared)
    return runs_of(s)


@dataclass(frozen=True)
class Task:
    """One chunk of a dataset's series for one model at one seed: a picklable unit of work."""

    prepared: Prepared  # its collection holds only this chunk's series
    run: ModelRun
    level: float
    on_error: str

    @property
    def n_series(self) -> int:
        return len(self.prepared.ids)


def chunks(p: Prepared, size: int) -> Iterator[Prepared]:
    """The dataset cut into chunks of ``size`` evaluable series (frames sliced, ids in order)."""
    ids = p.ids
    frame = p.collection.frame
    for start in range(0, len(ids), size):
        part = ids[start : start + size]
        sub = frame[frame["unique_id"].isin(part)]
        yield replace(p, collection=replace(p.collection, frame=sub), skipped={})


def tasks(s: Settings, prepared: list[Prepared], runs: list[ModelRun]) -> list[Task]:
    level, on_error = s.scoring.interval_level, s.execution.on_error
    out = []
    for p in prepared:
        local = list(chunks(p, s.execution.chunk_size))
        whole = list(chunks(p, max(1, len(p.ids))))  # a global model sees every series at once
        for run in runs:
            out += [
                Task(c, run, level, on_error) for c in (whole if run.settings.scope == "global" else local)
            ]
    return out


def run_task(task: Task) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every series of the chunk through the fold loop: (forecasts, folds) frames."""
    p, run = task.prepared, task.run
    coll = p.collection
    make_model = run.make(coll.period, p.name)
    make_pipe = partial(build_pipeline, **pipeline_args(p.settings.transform, coll.period))
    series = list(coll.series(p.ids))
    if run.settings.scope == "global":
        ys = [ds.y.to_numpy() for ds in series]
        per_series = backtest_global(
            ys, [p.splits(len(y)) for y in ys], make_model, make_pipe, horizon=p.spec.horizon,
            refit_every=p.spec.refit_every, level=task.level, on_error=task.on_error,
            warm_start=p.settings.split.warm_start,
        )  # fmt: skip
    else:
        per_series = [local_backtest(ds, p, make_model, make_pipe, task) for ds in series]
    pairs = list(zip(series, per_series, strict=True))
    fcs = [forecast_frame(ds, run.name, run.seed, r, p.spec.horizon) for ds, r in pairs]
    folds = [fold_frame(ds, run.name, run.seed, r) for ds, r in pairs]
    return _concat(fcs, FORECAST_COLUMNS), _concat(folds, FOLD_COLUMNS)


def local_backtest(
    ds: Dataset, p: Prepared, make_model: Callable, make_pipe: Callable, task: Task
) -> list[FoldResult]:
    """One series through the fold loop with its own model (and the series' variance proxy)."""
    return backtest(
        ds.y.to_numpy(),
        p.splits(len(ds.y)),
        make_model,
        make_pipe,
        horizon=p.spec.horizon,
        refit_every=p.spec.refit_every,
        level=task.level,
        on_error=task.on_error,
        warm_start=p.settings.split.warm_start,
        proxy=None if ds.proxy is None else ds.proxy.to_numpy(dtype=float),
    )


def _concat(frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=columns)
    # Models without a variance give all-NaN interval columns; their dtype is float either way.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return pd.concat(frames, ignore_index=True)


def task_parts(task: Task) -> dict:
    """Everything that decides a task's numbers (its cache key): data, split, transform, model,
    seed, interval level and the code and package versions — never n_jobs, backend or paths."""
    p, m = task.prepared, task.run.settings
    f = p.collection.frame
    index = pd.MultiIndex.from_frame(f[["unique_id", "ds"]])
    return {
        "schema": 1,
        "data": data_fingerprint(f["y"].to_numpy(dtype=float), index),
        # The proxy is stored with the forecasts and read by HAR / LSTM-RV: part of the data.
        "proxy": data_fingerprint(f[PROXY].to_numpy(dtype=float)) if PROXY in f else None,
        "period": p.collection.period,
        "split": asdict(p.settings.split),
        "transform": asdict(p.settings.transform),
        "min_train": p.min_train,
        "model": {"target": m.target, "params": {k: v for k, v in m.params.items() if k != "seed"}},
        "seed": task.run.seed if m.seeded else None,
        "level": task.level,
        "on_error": task.on_error,
        "versions": package_versions(),
        "code": code_fingerprint(),
    }


def execute(s: Settings, prepared: list[Prepared]) -> tuple[dict[str, pd.DataFrame], dict[str, int]]:
    """Run every task not already in the cache; the tables ``forecasts``, ``folds`` (skipped
    series included) and ``series``, and what the cache did.

    Each finished task is stored as it arrives, so an interrupted run loses only unfinished tasks.
    A bad model setting still fails before any fit (``check_models``).
    """
    runs = runs_of(s)
    todo = tasks(s, prepared, runs)
    ex = s.execution
    cache = TaskCache(Path(ex.cache_dir), enabled=ex.cache)
    keys = [task_key(task_parts(t)) if ex.cache else None for t in todo]
    done = {i: r for i, k in enumerate(keys) if k is not None and (r := cache.get(k)) is not None}
    missing = [i for i in range(len(todo)) if i not in done]
    # A cached task was checked when it was computed (same key, same settings): build only the rest.
    check_models(s, prepared, {todo[i].run.name for i in missing})
    with tqdm(total=sum(t.n_series for t in todo), desc="series", unit="series", disable=None) as bar:
        bar.update(sum(todo[i].n_series for i in done))
        results = parallel_map(run_task, [todo[i] for i in missing], ex.n_jobs, ex.backend, ex.ray_address)
        for i, result in zip(missing, results, strict=True):
            task = todo[i]
            bar.set_postfix_str(f"{task.prepared.name} × {task.run.name} (seed {task.run.seed})")
            bar.update(task.n_series)
            if keys[i] is not None and cache.put(keys[i], result):
                result = cache.get(keys[i], count=False) or result  # another job may have stored it first
            done[i] = result
    fcs = [done[i][0] for i in range(len(todo))]
    folds = [done[i][1] for i in range(len(todo))]
    for p in prepared:
        if p.skipped:
            folds += [skipped_frame(p.name, p.skipped, r.name, r.seed) for r in runs]
    tables = {
        "forecasts": _concat(fcs, FORECAST_COLUMNS),
        "folds": _concat(folds, FOLD_COLUMNS),
        "series": pd.concat([series_frame(p.collection) for p in prepared], ignore_index=True),
    }
    return tables, {"tasks": len(todo), "computed": len(missing), **asdict(cache.stats)}
