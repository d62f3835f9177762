"""The fold loop — the only one in lagbench: split → fit transform → fit model → predict → invert.

Every run goes through :func:`run_folds`: a collection of series, all at their own fold i together
(origins are counted back from each series' own end, so every series has the same number of folds).
Who holds the models is a *fleet* (:mod:`bench.engine.fleets`): one model per member for a local model
(a single series is a collection of one; several seeds or series may train side by side), or one
model shared by every series for a global one. Each series gets its own transform, fitted on its own
training part only; the test values never reach a model. The loop is pure with respect to its inputs
(arrays, splits, factories in; records out) and can hand its complete state to a checkpoint callback
at every scheduled refit, so a killed run resumes from the last one with identical results.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from bench.engine.fleet_base import Fleet, FoldContext, Outcome
from bench.engine.fleets import fleet_of
from bench.engine.predictive import Predictive
from bench.prep.transforms import Chain
from bench.types import Split


@dataclass(frozen=True)
class FoldResult:
    """What happened at one origin: the forecast on the original scale, or why there is none."""

    fold: int
    origin: int
    refit: bool
    status: str  # "ok" | "failed"
    error: str = ""
    seconds: float = 0.0
    warnings: dict[str, int] = field(default_factory=dict)
    y_hat: np.ndarray | None = None
    y_var: np.ndarray | None = None
    y_lo: np.ndarray | None = None
    y_hi: np.ndarray | None = None
    info: dict = field(default_factory=dict)  # what the fit chose: transform orders, model spec
    dist: Predictive | None = None  # Student-t df or an ensemble: what the CRPS needs at record time


@dataclass
class LoopState:
    """Everything the loop needs to go on from fold ``fold``: the fleet (models and transforms as
    fitted so far) and the records of the folds before. Picklable: a checkpoint is this object."""

    fold: int
    fleet: Fleet
    results: list[list[FoldResult]]


def run_folds(
    ys: Sequence[np.ndarray],
    splits: Sequence[Sequence[Split]],
    fleet: Fleet,
    make_pipeline: Callable[[], Chain],
    horizon: int,
    refit_every: int = 1,
    level: float = 0.9,
    on_error: str = "record",
    checkpoint: Callable[[LoopState], None] | None = None,
    resume: LoopState | None = None,
    proxies: Sequence[np.ndarray | None] | None = None,
) -> list[list[FoldResult]]:
    """One list of :class:`FoldResult` per member of ``fleet`` (``fleet.series[k]`` is the index in
    ``ys`` member k forecasts), one record per fold. ``proxies`` (one per series, or None): the
    variance proxy of a returns series; a model that reads it (``SeesProxy``) gets its training
    part — up to and including the origin — before every fit and update.

    A model is refitted (transform and model, on the training part only) at every ``refit_every``-th
    fold and after a failure; in between it reads the longer history with its parameters and the
    transform's held. With warm starts a refit calls ``fit`` again on the same object, which may
    start from its previous estimates — made on earlier data only. A failure is recorded on that
    member's fold (unless ``on_error='raise'``) and never ends the loop. ``checkpoint`` receives the
    loop's state before each scheduled refit; ``resume`` continues from such a state.
    """
    ys = [np.asarray(y, dtype=float) for y in ys]
    splits = [list(s) for s in splits]  # any iterable of splits per series (generators too)
    if len(ys) != len(splits):
        raise ValueError(f"got {len(ys)} series but splits for {len(splits)}")
    n_folds = {len(s) for s in splits}
    if len(n_folds) > 1:
        raise ValueError(f"every series needs the same number of folds, got {sorted(n_folds)}")
    state = resume or LoopState(0, fleet, [[] for _ in fleet.series])
    ctx = FoldContext(make_pipeline, horizon, refit_every, level, on_error)
    if proxies is not None and all(p is None for p in proxies):
        proxies = None  # no returns series here: the fleets are called as without proxies
    for i in range(state.fold, n_folds.pop() if n_folds else 0):
        if checkpoint is not None and i > 0 and i % refit_every == 0:
            state.fold = i
            checkpoint(state)
        fold = [s[i] for s in splits]
        trains = [y[s.train] for y, s in zip(ys, fold, strict=True)]
        if proxies is None:
            outs = state.fleet.step(i, trains, ctx)
        else:
            seen = [p if p is None else p[s.train] for p, s in zip(proxies, fold, strict=True)]
            outs = state.fleet.step(i, trains, ctx, proxies=seen)
        for k, out in enumerate(outs):
            state.results[k].append(fold_result(fold[state.fleet.series[k]], out))
    return state.results


def backtest_many(
    ys: Sequence[np.ndarray],
    splits: Sequence[Sequence[Split]],
    make_model: Callable[[], object],
    make_pipeline: Callable[[], Chain],
    horizon: int,
    refit_every: int = 1,
    level: float = 0.9,
    on_error: str = "record",
    warm_start: bool = True,
    proxies: Sequence[np.ndarray | None] | None = None,
) -> list[list[FoldResult]]:
    """Every series of a collection with one model factory: one model per series for a local
    class, one shared model for a global one (read from the class's ``scope``)."""
    fleet = fleet_of(make_model, len(ys), warm_start)
    return run_folds(ys, splits, fleet, make_pipeline, horizon, refit_every, level, on_error, proxies=proxies)


def backtest(
    y: np.ndarray,
    splits: Sequence[Split],
    make_model: Callable[[], object],
    make_pipeline: Callable[[], Chain],
    horizon: int,
    refit_every: int = 1,
    level: float = 0.9,
    on_error: str = "record",
    warm_start: bool = True,
    proxy: np.ndarray | None = None,
) -> list[FoldResult]:
    """One series: a collection of one (see :func:`run_folds`); ``proxy``: its variance proxy."""
    return backtest_many(
        [y], [splits], make_model, make_pipeline, horizon, refit_every, level, on_error, warm_start,
        proxies=None if proxy is None else [np.asarray(proxy, dtype=float)],
    )[0]  # fmt: skip


def fold_result(split: Split, out: Outcome) -> FoldResult:
    """One origin's record from what the fleet did there."""
    fc = out.forecast
    arrays = (
        {}
        if fc is None
        else {"y_hat": fc.mean, "y_var": fc.var, "y_lo": fc.lo, "y_hi": fc.hi, "dist": fc.dist}
    )
    return FoldResult(
        fold=split.fold,
        origin=split.origin,
        refit=out.refit,
        status="failed" if out.error else "ok",
        error=out.error,
        seconds=out.seconds,
        warnings=dict(out.warnings),
        info=dict(out.info),
        **arrays,
    )
