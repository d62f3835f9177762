"""The fold loop of a global model: every series of a collection at its own fold i, one shared fit.

For fold index i each series uses its own fold-i split (origins are counted back from each
series' own end, so all series have the same number of folds). Each series gets its own pipeline
fitted on its own training part — scales become comparable and nothing crosses from one series'
future into another's — and one model is fitted on all transformed training parts. Forecasts are
inverted per series and recorded with the local loop's :class:`~bench.engine.runner.FoldResult`.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Sequence

import numpy as np

from bench.engine.predictive import LevelForecast
from bench.engine.runner import FoldResult, describe_error, fold_result, level_forecast
from bench.models.base import ModelError
from bench.models.global_base import GlobalForecaster
from bench.prep.transforms import Chain
from bench.types import Split


def backtest_global(
    ys: Sequence[np.ndarray],
    splits: Sequence[Sequence[Split]],
    make_model: Callable[[], GlobalForecaster],
    make_pipeline: Callable[[], Chain],
    horizon: int,
    refit_every: int = 1,
    level: float = 0.9,
    on_error: str = "record",
    warm_start: bool = True,
) -> list[list[FoldResult]]:
    """Results per series (same order as ``ys``), one :class:`FoldResult` per fold.

    At a refit fold (every ``refit_every``-th, and after a failed fit) the pipelines are refitted
    and the model is fitted on the series that pass ``model.check``; a series failing its pipeline
    or check is recorded failed for that fold and sits out until the next refit. With
    ``warm_start`` the same model object is fitted again (it may start from its previous weights).
    In between, the model reads every series' longer history with parameters held. A failure of
    the shared fit fails every series at that fold. ``seconds`` is the fold's time divided evenly
    among the series; ``warnings`` are those of the whole fold.
    """
    ys = [np.asarray(y, dtype=float) for y in ys]
    if len(ys) != len(splits):
        raise ValueError(f"got {len(ys)} series but splits for {len(splits)}")
    n_folds = {len(s) for s in splits}
    if len(n_folds) > 1:
        raise ValueError(f"every series needs the same number of folds, got {sorted(n_folds)}")
    results: list[list[FoldResult]] = [[] for _ in ys]
    model: GlobalForecaster | None = None
    fitted = False
    pipes: list[Chain | None] = [None] * len(ys)
    sat_out: dict[int, str] = {}  # series left out of the last fit → why
    for i in range(n_folds.pop() if n_folds else 0):
        fold = [s[i] for s in splits]
        trains = [y[s.train] for y, s in zip(ys, fold, strict=True)]
        refit = not fitted or i % refit_every == 0
        start = time.perf_counter()
        outs: list[LevelForecast | None] = [None] * len(ys)
        errors = [""] * len(ys)
        infos: list[dict] = [{} for _ in ys]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                if refit:
                    if model is None or not warm_start:
                        model = make_model()
                    fitted = False
                    pipes, sat_out = _prepare(model, trains, make_pipeline, on_error)
                    active = [k for k in range(len(ys)) if k not in sat_out]
                    if not active:
                        raise ModelError("no series is usable at this fold")
                    model.fit([pipes[k].transform(trains[k]) for k in active])
                    fitted = True
                else:
                    active = [k for k in range(len(ys)) if k not in sat_out]
                    model.update([pipes[k].transform(trains[k]) for k in active])
                for k, fc in zip(active, model.predict(horizon), strict=True):
                    try:
                        infos[k] = {**pipes[k].info(), **fc.info}
                        outs[k] = level_forecast(fc, pipes[k], trains[k], horizon, level)
                    except Exception as exc:  # noqa: BLE001 - one series' bad forecast fails alone
                        if on_error == "raise":
                            raise
                        errors[k] = describe_error(exc)
            except Exception as exc:  # noqa: BLE001 - the shared fit failed: every series fails here
                if on_error == "raise":
                    raise
                model, fitted, outs = None, False, [None] * len(ys)
                errors = [errors[k] or describe_error(exc) for k in range(len(ys))]
            for k, why in sat_out.items():
                errors[k] = why if refit else f"left out since the last refit: {why}"
        seconds = (time.perf_counter() - start) / max(1, len(ys))
        for k, split in enumerate(fold):
            results[k].append(fold_result(split, refit, outs[k], errors[k], seconds, caught, infos[k]))
    return results


def _prepare(
    model: GlobalForecaster, trains: list[np.ndarray], make_pipeline: Callable[[], Chain], on_error: str
) -> tuple[list[Chain | None], dict[int, str]]:
    """Fit each series' own pipeline on its own training part; list the series that cannot be used."""
    pipes: list[Chain | None] = []
    sat_out: dict[int, str] = {}
    for k, train in enumerate(trains):
        try:
            pipe = Chain([]) if model.levels else make_pipeline()
            model.check(pipe.fit_transform(train))
            pipes.append(pipe)
        except Exception as exc:  # noqa: BLE001 - a too-short series fails alone
            if on_error == "raise":
                raise
            pipes.append(None)
            sat_out[k] = describe_error(exc)
    return pipes, sat_out
