"""Execute a run: dataset × series-chunk × model × seeds tasks through the fold loop → tables.

Pure with respect to its inputs (settings and prepared datasets in, frames out); writing files and
scoring happen elsewhere (``bench.benchmark``). Every task is independent and seeded, so worker
processes give the same numbers as one, and results are assembled in task order either way. A task
is cached under a key made of everything that decides its numbers (data, settings, seeds, package
versions, the code of the fold loop and of the model), and checkpoints its fold loop while it runs,
so a killed run resumes inside a long task.
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm.auto import tqdm

from bench.engine.backends import parallel_map
from bench.engine.build import ModelRun, check_protocol, model_capabilities, model_class
from bench.engine.cache import Checkpoint, TaskCache
from bench.engine.code_keys import code_fingerprint, model_code, targets_of
from bench.engine.fit_memo import FitMemo, memo_for
from bench.engine.fleets import Local, Shared
from bench.engine.needs import on_dataset, with_needs
from bench.engine.prepare import Prepared
from bench.engine.records import (
    FOLD_COLUMNS,
    FORECAST_COLUMNS,
    fold_frame,
    forecast_frame,
    series_frame,
    skipped_frame,
)
from bench.engine.runner import FoldResult, LoopState, run_folds
from bench.engine.task_keys import data_fingerprint, package_versions, task_key
from bench.errors import ConfigError
from bench.models.base import SeesProxy
from bench.prep.proxy import PROXY, check_affine
from bench.settings import ModelSettings, Settings


def check_models(s: Settings, prepared: list[Prepared], names: set[str] | None = None) -> None:
    """Build each model (or those in ``names``) once per dataset and check its protocol, so a bad
    setting or a class the fold loop cannot use fails before any fit — not at every fold."""
    for m in s.models:
        if names is not None and m.name not in names:
            continue
        cls = model_class(m)
        for p in prepared:
            if not s.runs_on(m.name, p.collection.returns):
                continue
            model = built(on_dataset(m, p), p, s.seeds[0])
            check_protocol(m.name, cls, model, model_capabilities(m), p.spec.horizon, p.spec.refit_every > 1)
            if isinstance(model, SeesProxy):
                chain = p.pipeline.build()
                check_affine(m.name, p.name, chain.describe(), chain.steps, PROXY in p.collection.frame)


def model_runs(s: Settings, prepared: list[Prepared]) -> list[ModelSettings]:
    """Every model, each checked against every dataset (``validate=true`` stops here)."""
    check_models(s, prepared)
    return list(s.models)


@dataclass(frozen=True)
class Task:
    """One chunk of a dataset's series for one model at one or more seeds: a picklable unit of work.

    Seeds share a task when the model trains several nets at once (``batchable``), so three seeds
    cost little more than one; otherwise each seed is its own task.
    """

    prepared: Prepared  # its collection holds only this chunk's series
    model: ModelSettings
    seeds: tuple[int, ...]
    level: float
    on_error: str
    checkpoint: Path | None = None  # where the task's fold loop saves its state while it runs
    memo: FitMemo | None = None  # fresh fits remembered across runs (fit_memo; None: cache off)

    @property
    def n_series(self) -> int:
        return len(self.prepared.ids)

    @property
    def name(self) -> str:
        return self.model.name


def chunks(p: Prepared, size: int, model: str | None = None) -> list[Prepared]:
    """The series ``model`` can be scored on (every evaluable one when None), cut into chunks of
    ``size`` (frames sliced, ids in order); a chunk lists no skipped series of its own."""
    ids = p.ids if model is None else p.ids_for(model)
    frame = p.collection.frame
    out = []
    for start in range(0, len(ids), size):
        part = ids[start : start + size]
        sub = frame[frame["unique_id"].isin(part)]
        out.append(replace(p, collection=replace(p.collection, frame=sub), skipped={}, too_short={}))
    return out


def built(m: ModelSettings, p: Prepared, seed: int) -> Any:
    """One model as the suite builds it for dataset ``p``; a constructor error is a settings error."""
    factory = ModelRun(m, seed).make(p.collection.period, p.name)
    try:
        return factory()
    except ConfigError:
        raise
    except Exception as exc:  # noqa: BLE001 - any constructor error is a settings error
        raise ConfigError(f"model {m.name!r} cannot be built from its settings: {exc}") from exc


def batch_size(m: ModelSettings, p: Prepared, seed: int) -> int:
    """How many members a model trains at once on this dataset (1 unless its class is batchable)."""
    if not model_capabilities(m).batchable:
        return 1
    return max(1, int(getattr(built(m, p, seed), "batch_series", 1)))


def tasks(s: Settings, prepared: list[Prepared]) -> list[Task]:
    """One task per chunk of the series each model can be scored on (a global model: all at once),
    its window the dataset's own where the model follows the run's."""
    level, on_error = s.scoring.interval_level, s.execution.on_error
    out = []
    for p in with_needs(s, prepared):
        for m in s.models:
            if not s.runs_on(m.name, p.collection.returns):
                continue
            caps, ids = model_capabilities(m), p.ids_for(m.name)
            seeds = s.seeds if caps.stochastic else s.seeds[:1]
            m = on_dataset(m, p)
            if caps.scope == "global":  # a global model sees every series at once
                whole = chunks(p, max(1, len(ids)), m.name)
                out += [Task(c, m, (seed,), level, on_error) for seed in seeds for c in whole]
                continue
            batch = batch_size(m, p, seeds[0])
            size = (
                max(s.execution.chunk_size, -(-batch // len(seeds))) if batch > 1 else s.execution.chunk_size
            )
            groups = [tuple(seeds)] if batch > 1 else [(seed,) for seed in seeds]
            out += [Task(c, m, g, level, on_error) for g in groups for c in chunks(p, size, m.name)]
    return out


def run_task(task: Task) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every series of the chunk through the fold loop: (forecasts, folds) frames.

    Members are series × seeds. A global model runs every series in one loop per seed; a local one
    runs each member alone, or ``batch_series`` members side by side when its class trains several
    at once. Finished groups and the running loop's state go to the task's checkpoint, so a rerun
    after a kill continues from the last scheduled refit with identical results.
    """
    p, m = task.prepared, task.model
    coll = p.collection
    series = list(coll.series(p.ids))
    ys = [ds.y.to_numpy() for ds in series]
    proxies = [None if ds.proxy is None else ds.proxy.to_numpy(dtype=float) for ds in series]
    splits = [p.splits(len(y)) for y in ys]
    make_pipe = p.pipeline.build
    makers = {seed: ModelRun(m, seed).make(coll.period, p.name) for seed in task.seeds}
    warm = p.settings.split.warm_start
    members = [(k, seed) for k in range(len(series)) for seed in task.seeds]
    if model_capabilities(m).scope == "global":
        groups = [[(k, seed) for k in range(len(series))] for seed in task.seeds]
    else:
        size = batch_size(m, p, task.seeds[0])
        groups = [members[i : i + size] for i in range(0, len(members), size)]
    ckpt = Checkpoint(task.checkpoint)
    saved = ckpt.load() or {"done": {}, "group": None, "loop": None}
    done: dict[int, list[list[FoldResult]]] = saved["done"]
    for g, group in enumerate(groups):
        if g in done:
            continue
        ks = sorted({k for k, _ in group})
        if model_capabilities(m).scope == "global":
            fleet = Shared(makers[group[0][1]], len(ks), warm)
        else:
            series_of = [ks.index(k) for k, _ in group]
            fleet = Local([makers[seed] for _, seed in group], series_of, warm, task.memo)
        resume: LoopState | None = saved["loop"] if saved["group"] == g else None

        def save(state: LoopState, g: int = g) -> None:
            ckpt.save({"done": done, "group": g, "loop": state})

        done[g] = run_folds(
            [ys[k] for k in ks], [splits[k] for k in ks], fleet, make_pipe, p.spec.horizon,
            refit_every=p.spec.refit_every, level=task.level, on_error=task.on_error,
            checkpoint=save if task.checkpoint else None, resume=resume,
            proxies=[proxies[k] for k in ks],
        )  # fmt: skip
        ckpt.save({"done": done, "group": None, "loop": None})
    results = {member: r for g, group in enumerate(groups) for member, r in zip(group, done[g], strict=True)}
    fcs, folds = [], []
    for k, seed in members:
        ds, r = series[k], results[(k, seed)]
        fcs.append(forecast_frame(ds, m.name, seed, r, p.spec.horizon))
        folds.append(fold_frame(ds, m.name, seed, r))
    return _concat(fcs, FORECAST_COLUMNS), _concat(folds, FOLD_COLUMNS)


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
    seeds, interval level, package versions, the code of the fold loop and of the model (its
    ``_target_`` modules and what they import from their own package) — never n_jobs or paths."""
    p, m = task.prepared, task.model
    f = p.collection.frame
    index = pd.MultiIndex.from_frame(f[["unique_id", "ds"]])
    stochastic = model_capabilities(m).stochastic
    return {
        "schema": 2,
        "data": data_fingerprint(f["y"].to_numpy(dtype=float), index),
        # The proxy is stored with the forecasts and read by HAR / LSTM-RV: part of the data.
        "proxy": data_fingerprint(f[PROXY].to_numpy(dtype=float)) if PROXY in f else None,
        "period": p.collection.period,
        # select_origins only decides which origins a sweep report picks on: not a task's numbers
        "split": {k: v for k, v in asdict(p.settings.split).items() if k != "select_origins"},
        # A levels model is handed the raw series (the fleets give it an empty chain): the shared
        # transform cannot move its numbers, so runs that differ only there share its tasks (the M3
        # pages' Naive 2, SES, Theta and ETS are fitted once per make reproduce, not three times).
        "transform": None if model_capabilities(m).levels else asdict(p.settings.transform),
        "min_train": p.min_train,
        "model": {"target": m.target, "params": {k: v for k, v in m.params.items() if k != "seed"}},
        "seeds": list(task.seeds) if stochastic else None,
        "level": task.level,
        "on_error": task.on_error,
        "versions": package_versions(),
        "code": code_fingerprint(),
        "model_code": model_code([m.target, *targets_of(m.params)]),
    }


def dispatch_order(todo: list[Task], missing: list[int]) -> list[int]:
    """``missing``, global models' tasks first: one holds a whole collection (m3_monash's LSTM, 41 s),
    so dispatched last it could run alone at the end. Tables are assembled in task order regardless."""
    return sorted(missing, key=lambda i: model_capabilities(todo[i].model).scope != "global")


def execute(s: Settings, prepared: list[Prepared]) -> tuple[dict[str, pd.DataFrame], dict[str, int]]:
    """Run every task not already in the cache; the tables ``forecasts``, ``folds`` (skipped
    series included) and ``series``, and what the cache did.

    Each finished task is stored as it arrives, and a running one checkpoints its fold loop, so an
    interrupted run loses little. A bad model setting still fails before any fit (``check_models``).
    """
    prepared = with_needs(s, prepared)
    ex = s.execution
    cache = TaskCache(Path(ex.cache_dir), enabled=ex.cache)
    todo = tasks(s, prepared)
    parts = [task_parts(t) if ex.cache else None for t in todo]
    keys = [None if p is None else task_key(p) for p in parts]
    fits = cache.root / "fits"
    todo = [
        t
        if p is None
        else replace(t, checkpoint=cache.checkpoint_path(k), memo=memo_for(model_class(t.model), fits, p))
        for t, k, p in zip(todo, keys, parts, strict=True)
    ]
    done = {i: r for i, k in enumerate(keys) if k is not None and (r := cache.get(k)) is not None}
    missing = [i for i in range(len(todo)) if i not in done]
    # A cached task was checked when it was computed (same key, same settings): build only the rest.
    check_models(s, prepared, {todo[i].name for i in missing})
    with tqdm(
        total=sum(t.n_series * len(t.seeds) for t in todo), desc="series", unit="series", disable=None
    ) as bar:
        bar.update(sum(todo[i].n_series * len(todo[i].seeds) for i in done))
        order = dispatch_order(todo, missing)
        results = parallel_map(run_task, [todo[i] for i in order], ex.n_jobs, ex.backend, ex.ray_address)
        for i, result in zip(order, results, strict=True):
            task = todo[i]
            bar.set_postfix_str(f"{task.prepared.name} × {task.name}")
            bar.update(task.n_series * len(task.seeds))
            if keys[i] is not None and cache.put(keys[i], result):
                result = cache.get(keys[i], count=False) or result  # another job may have stored it first
            cache.drop_checkpoint(keys[i])
            done[i] = result
    fcs = [done[i][0] for i in range(len(todo))]
    folds = [done[i][1] for i in range(len(todo))]
    for p in prepared:  # series too short for the splits, or for one model's needs
        for m in (m for m in s.models if s.runs_on(m.name, p.collection.returns)):
            why = p.skipped_for(m.name)
            seeds = s.seeds if model_capabilities(m).stochastic else s.seeds[:1]
            folds += [skipped_frame(p.name, why, m.name, seed) for seed in seeds if why]
    tables = {
        "forecasts": _concat(fcs, FORECAST_COLUMNS),
        "folds": _concat(folds, FOLD_COLUMNS),
        "series": pd.concat([series_frame(p.collection) for p in prepared], ignore_index=True),
    }
    return tables, {"tasks": len(todo), "computed": len(missing), **asdict(cache.stats)}
