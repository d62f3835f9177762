"""The fold loop — the only one in lagbench: split → fit transform → fit model → predict → invert.

Pure with respect to its inputs: it takes a value array, the splits and two factories and returns
records, so the same loop serves the CLI, the tests and (later) parallel or resumable sweeps.
"""

from __future__ import annotations

import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from bench.engine.predictive import LevelForecast, invert
from bench.models.base import Forecaster, ModelError, SeesDifferencing, SeesProxy, check_forecast
from bench.prep.proxy import proxy_history
from bench.prep.transforms import Chain
from bench.types import Forecast, Split


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


def backtest(
    y: np.ndarray,
    splits: Iterable[Split],
    make_model: Callable[[], Forecaster],
    make_pipeline: Callable[[], Chain],
    horizon: int,
    refit_every: int = 1,
    level: float = 0.9,
    on_error: str = "record",
    warm_start: bool = False,
    proxy: np.ndarray | None = None,
) -> list[FoldResult]:
    """Forecast ``horizon`` steps from every split's origin using only ``y[split.train]``.

    The transform and the model are (re)fitted at every ``refit_every``-th fold; in between, the
    model is conditioned on the longer history with its parameters and the transform's held. With
    ``warm_start`` a refit calls ``fit`` again on the same model object, which may start from its
    previous estimates — made on earlier data only, so nothing leaks. A model that raises, diverges
    or returns non-finite values is recorded as failed (unless ``on_error='raise'``) and is rebuilt
    from scratch at the next origin. A model that reads the variance proxy (``SeesProxy``) is
    given ``proxy`` up to and including the origin, on the transformed scale, before every fit
    and update.
    """
    y = np.asarray(y, dtype=float)
    results: list[FoldResult] = []
    model: Forecaster | None = None
    pipe: Chain | None = None
    for i, split in enumerate(splits):
        train = y[split.train]
        refit = model is None or i % refit_every == 0
        start = time.perf_counter()
        out, error, info = None, "", {}
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                if refit:
                    if model is None or not warm_start:
                        model = make_model()
                    pipe = Chain([]) if model.levels else make_pipeline()
                    z = pipe.fit_transform(train)
                    if isinstance(model, SeesDifferencing):
                        model.set_differences(len(pipe.lags), pipe.zero_change)
                if proxy is not None and isinstance(model, SeesProxy):
                    model.set_proxy(proxy_history(proxy, split.train, pipe.steps))
                if refit:
                    model.fit(z)
                else:
                    model.update(pipe.transform(train))
                fc = model.predict(horizon)
                info = {**pipe.info(), **fc.info}
                out = level_forecast(fc, pipe, train, horizon, level)
            # Any model error must become a recorded failure so one bad fold never ends the run.
            except Exception as exc:  # noqa: BLE001
                if on_error == "raise":
                    raise
                model, pipe, out = None, None, None
                error = describe_error(exc)
        results.append(fold_result(split, refit, out, error, time.perf_counter() - start, caught, info))
    return results


def level_forecast(fc: Forecast, pipe: Chain, train: np.ndarray, horizon: int, level: float) -> LevelForecast:
    """Check a model's forecast and invert it to the original scale; non-finite anywhere raises."""
    out = invert(check_forecast(fc, horizon), pipe, train, level)
    if not np.all(np.isfinite(out.mean)):
        raise ModelError("forecast is not finite after inverting the transform")
    return out


def describe_error(exc: BaseException) -> str:
    """The failure text stored in a record: exception type and message, bounded."""
    return f"{type(exc).__name__}: {exc}"[:500]


def fold_result(
    split: Split,
    refit: bool,
    out: LevelForecast | None,
    error: str,
    seconds: float,
    caught: list[warnings.WarningMessage],
    info: dict | None = None,
) -> FoldResult:
    """One origin's record (shared by the local and the global fold loops)."""
    arrays = {} if out is None else {"y_hat": out.mean, "y_var": out.var, "y_lo": out.lo, "y_hi": out.hi}
    return FoldResult(
        fold=split.fold,
        origin=split.origin,
        refit=refit,
        status="failed" if error else "ok",
        error=error,
        seconds=seconds,
        warnings=_count(caught),
        info=dict(info or {}),
        **arrays,
    )


def _count(caught: list[warnings.WarningMessage]) -> dict[str, int]:
    return dict(Counter(w.category.__name__ for w in caught))
