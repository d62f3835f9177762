"""Who holds the models of one fold loop: one per member (local) or one for all (global).

A *member* is one forecast stream: a series (and, for a local stochastic model, one seed of it).
``Local`` keeps a model and a transform per member; a member is refitted on the schedule and on its
own after a failure, and classes that train several instances at once (``batchable``, e.g. the
torch nets) are fitted in batches of ``batch_series`` members through ``cls.fit_batch``. ``Shared``
keeps one global model over every series; a series that cannot be used at a refit sits out until the
next one, and a failure of the shared fit fails every series at that fold. Both time each member's
work and count its warnings, so the records of both kinds read the same; the records and the
helpers both share live in :mod:`bench.engine.fleet_base`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from bench.engine.fit_memo import FitMemo, memoisable
from bench.engine.fleet_base import (
    FoldContext,
    Outcome,
    describe_error,
    differences,
    level_forecast,
    tell_differences,
    tell_proxy,
    timed,
)
from bench.models.base import ModelError, capabilities
from bench.prep.transforms import Chain


class Local:
    """One model per member, each made by its own factory (a member may be a series × seed)."""

    def __init__(
        self,
        makers: Sequence[Callable[[], Any]],
        series: Sequence[int],
        warm_start: bool = True,
        memo: FitMemo | None = None,
    ) -> None:
        if len(makers) != len(series):
            raise ValueError(f"{len(makers)} model factories for {len(series)} members")
        self.makers = list(makers)
        self.series = list(series)
        self.warm_start = warm_start
        self.memo = memo  # fresh fits of a deterministic class, remembered across runs (fit_memo)
        self.models: list[Any] = [None] * len(makers)
        self.pipes: list[Chain | None] = [None] * len(makers)

    def step(
        self, i: int, trains: Sequence[np.ndarray], ctx: FoldContext, proxies: Sequence | None = None
    ) -> list[Outcome]:
        outs = [Outcome() for _ in self.makers]
        zs: dict[int, np.ndarray] = {}
        fitted_pipes: dict[int, tuple[Chain, np.ndarray] | BaseException] = {}  # per series, this fold
        for k, out in enumerate(outs):
            out.refit = self.models[k] is None or i % ctx.refit_every == 0
            with self._member(k, out, ctx):
                train = trains[self.series[k]]
                if not out.refit:
                    tell_proxy(self.models[k], self.pipes[k], proxies, self.series[k])
                    self.models[k].update(self.pipes[k].transform(train))
                    continue
                fresh = self.models[k] is None or not self.warm_start
                if fresh:
                    self.models[k] = self.makers[k]()
                model = self.models[k]
                if capabilities(type(model)).levels:
                    self.pipes[k], zs[k] = Chain([]), np.asarray(train, dtype=float)
                else:
                    self.pipes[k], zs[k] = self._pipe(self.series[k], train, ctx, fitted_pipes)
                tell_differences(model, self.pipes[k])
                tell_proxy(model, self.pipes[k], proxies, self.series[k])
                if self._batch(k) > 1:
                    continue  # batched ones are fitted after the loop
                if fresh and self.memo is not None and memoisable(model):
                    self.models[k] = self.memo.fit(model, zs.pop(k), differences(self.pipes[k]), out)
                else:
                    model.fit(zs.pop(k))
        self._fit_batches(zs, outs, ctx)
        for k, out in enumerate(outs):
            if out.error:
                continue
            with self._member(k, out, ctx):
                fc = self.models[k].predict(ctx.horizon)
                out.info = {**self.pipes[k].info(), **fc.info}
                out.forecast = level_forecast(
                    fc, self.pipes[k], trains[self.series[k]], ctx.horizon, ctx.level
                )
        return outs

    @staticmethod
    def _pipe(
        s: int, train: np.ndarray, ctx: FoldContext, done: dict[int, tuple[Chain, np.ndarray] | BaseException]
    ) -> tuple[Chain, np.ndarray]:
        """The series' transform fitted on this fold's training part, once for all its members."""
        if s not in done:
            try:
                pipe = ctx.make_pipeline()
                done[s] = (pipe, pipe.fit_transform(train))
            except Exception as exc:  # noqa: BLE001 - re-raised for every member of the series
                done[s] = exc
        got = done[s]
        if isinstance(got, BaseException):
            raise got
        return got

    def _batch(self, k: int) -> int:
        """How many members this member's class trains at once (1: fitted on its own)."""
        model = self.models[k]
        return int(getattr(model, "batch_series", 1)) if capabilities(type(model)).batchable else 1

    def _fit_batches(self, zs: dict[int, np.ndarray], outs: list[Outcome], ctx: FoldContext) -> None:
        """Members due for a batched fit, ``batch_series`` at a time, in member order."""
        ks = [k for k in zs if not outs[k].error]
        while ks:
            size = self._batch(ks[0])
            group, ks = ks[:size], ks[size:]
            cls = type(self.models[group[0]])
            with timed([outs[k] for k in group]):
                try:
                    errors = cls.fit_batch([self.models[k] for k in group], [zs[k] for k in group])
                except Exception as exc:  # noqa: BLE001 - the batch as a whole failed
                    if ctx.on_error == "raise":
                        raise
                    errors = [exc] * len(group)
            for k, exc in zip(group, errors, strict=True):
                if exc is not None:
                    if ctx.on_error == "raise":
                        raise exc
                    self._fail(k, outs[k], exc)

    @contextmanager
    def _member(self, k: int, out: Outcome, ctx: FoldContext) -> Iterator[None]:
        with timed([out]):
            try:
                yield
            # Any model error must become a recorded failure so one bad fold never ends the run.
            except Exception as exc:  # noqa: BLE001
                if ctx.on_error == "raise":
                    raise
                self._fail(k, out, exc)

    def _fail(self, k: int, out: Outcome, exc: BaseException) -> None:
        """Record the failure; the member is rebuilt from scratch at its next fold."""
        self.models[k], self.pipes[k] = None, None
        out.forecast, out.error = None, describe_error(exc)


class Shared:
    """One global model over every series; each series keeps its own transform."""

    def __init__(self, make: Callable[[], Any], n_series: int, warm_start: bool = True) -> None:
        self.make = make
        self.series = list(range(n_series))
        self.warm_start = warm_start
        self.model: Any = None
        self.fitted = False
        self.pipes: list[Chain | None] = [None] * n_series
        self.sat_out: dict[int, str] = {}  # series left out of the last fit → why

    def step(
        self, i: int, trains: Sequence[np.ndarray], ctx: FoldContext, proxies: Sequence | None = None
    ) -> list[Outcome]:
        """``proxies`` are not read: no global model forecasts the variance proxy (yet)."""
        n = len(self.series)
        refit = not self.fitted or i % ctx.refit_every == 0
        outs = [Outcome(refit=refit) for _ in range(n)]
        with timed(outs):
            try:
                if refit:
                    if self.model is None or not self.warm_start:
                        self.model = self.make()
                    self.fitted = False
                    self._prepare(trains, ctx)
                    active = [k for k in range(n) if k not in self.sat_out]
                    if not active:
                        raise ModelError("no series is usable at this fold")
                    self.model.fit([self.pipes[k].transform(trains[k]) for k in active])
                    self.fitted = True
                else:
                    active = [k for k in range(n) if k not in self.sat_out]
                    self.model.update([self.pipes[k].transform(trains[k]) for k in active])
                for k, fc in zip(active, self.model.predict(ctx.horizon), strict=True):
                    try:
                        outs[k].info = {**self.pipes[k].info(), **fc.info}
                        outs[k].forecast = level_forecast(
                            fc, self.pipes[k], trains[k], ctx.horizon, ctx.level
                        )
                    except Exception as exc:  # noqa: BLE001 - one series' bad forecast fails alone
                        if ctx.on_error == "raise":
                            raise
                        outs[k].error = describe_error(exc)
            except Exception as exc:  # noqa: BLE001 - the shared fit failed: every series fails here
                if ctx.on_error == "raise":
                    raise
                self.model, self.fitted = None, False
                for out in outs:
                    out.forecast, out.error = None, out.error or describe_error(exc)
            for k, why in self.sat_out.items():
                outs[k].error = why if refit else f"left out since the last refit: {why}"
        return outs

    def _prepare(self, trains: Sequence[np.ndarray], ctx: FoldContext) -> None:
        """Fit each series' own transform on its own training part; list the series that cannot be used."""
        levels = capabilities(type(self.model)).levels
        self.pipes, self.sat_out = [], {}
        for k, train in enumerate(trains):
            try:
                pipe = Chain([]) if levels else ctx.make_pipeline()
                self.model.check(pipe.fit_transform(train))
                self.pipes.append(pipe)
            except Exception as exc:  # noqa: BLE001 - a too-short series fails alone
                if ctx.on_error == "raise":
                    raise
                self.pipes.append(None)
                self.sat_out[k] = describe_error(exc)


class _FirstThen:
    """A model factory that hands out an already built model first (built to read its class), so
    asking which fleet a factory needs costs no extra model. Picklable, unlike a closure."""

    def __init__(self, first: Any, make: Callable[[], Any]) -> None:
        self.first, self.make = first, make

    def __call__(self) -> Any:
        first, self.first = self.first, None
        return first if first is not None else self.make()


def fleet_of(make_model: Callable[[], Any], n_series: int, warm_start: bool = True) -> Local | Shared:
    """The fleet a model factory calls for: one shared model (global class) or one per series."""
    first = make_model()
    make = _FirstThen(first, make_model)
    if capabilities(type(first)).scope == "global":
        return Shared(make, n_series, warm_start)
    return Local([make] * n_series, range(n_series), warm_start)
