"""Hyperparameter search inside a refit, on the training part only (Optuna's TPE, seeded).

A tuned model searches its own settings at a refit: every trial is a candidate model trained on the
training part and scored on that part's chronological validation tail (what early stopping already
holds out), so no origin ahead — and no test value — ever decides a choice. Trials are asked from
Optuna in rounds of ``batch`` (TPE with the constant liar, so a round's trials spread out) and each
round is evaluated side by side, e.g. by the batched trainer. The shared window, differencing and
scaling are never searched: they are the same for every model of a run, the point of the benchmark.
Optuna is imported only when a search runs.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from bench.models.halving import Halving

# Settings a search may never touch: they are shared by every model of a run (or are the seed).
FORBIDDEN = frozenset({"window", "seed", "device", "tune", "batch_series", "likelihood", "n_paths"})


@dataclass(frozen=True)
class Dim:
    """One searched setting: a list of choices, or a float / int range (log-uniform with ``log``)."""

    kind: Literal["choice", "float", "int"]
    choices: tuple[Any, ...] = ()
    low: float = 0.0
    high: float = 0.0
    log: bool = False

    def distribution(self) -> Any:
        from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

        if self.kind == "choice":
            return CategoricalDistribution(list(self.choices))
        if self.kind == "int":
            return IntDistribution(int(self.low), int(self.high), log=self.log)
        return FloatDistribution(float(self.low), float(self.high), log=self.log)

    def holds(self, value: Any) -> bool:
        """Is ``value`` one of this dimension's values (so it can be tried as it is)?"""
        if self.kind == "choice":
            return any(_same(value, c) for c in self.choices)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        return self.low <= value <= self.high and (self.kind == "float" or float(value).is_integer())

    def describe(self) -> str:
        if self.kind == "choice":
            return "{" + ", ".join(map(str, self.choices)) + "}"
        return (
            f"[{self.low:g}, {self.high:g}]{' log' if self.log else ''}{' int' if self.kind == 'int' else ''}"
        )


def parse_dim(key: str, node: Any) -> Dim:
    """``[a, b, c]`` → choices; ``{low, high, log?, int?}`` → a range. ValueError says what is allowed."""
    if isinstance(node, Sequence) and not isinstance(node, str):  # a list, or OmegaConf's ListConfig
        if not node:
            raise ValueError(f"tune.space.{key} lists no choices")
        return Dim(
            "choice",
            tuple(tuple(c) if isinstance(c, Sequence) and not isinstance(c, str) else c for c in node),
        )
    if (
        isinstance(node, Mapping)
        and {"low", "high"} <= set(node)
        and set(node) <= {"low", "high", "log", "int"}
    ):
        lo, hi, log, is_int = (
            node["low"],
            node["high"],
            bool(node.get("log", False)),
            bool(node.get("int", False)),
        )
        if not (isinstance(lo, (int, float)) and isinstance(hi, (int, float)) and lo < hi):
            raise ValueError(
                f"tune.space.{key}: low and high must be numbers with low < high, got {lo!r}, {hi!r}"
            )
        if log and lo <= 0:
            raise ValueError(f"tune.space.{key}: a log range needs low > 0, got {lo!r}")
        return Dim("int" if is_int else "float", low=lo, high=hi, log=log)
    raise ValueError(
        f"tune.space.{key}={node!r} is not a search dimension; write a list of choices ([16, 32, 64]) or "
        "a range ({low: 1.0e-4, high: 1.0e-2, log: true}, int: true for whole numbers)"
    )


@dataclass(frozen=True)
class TuneSpec:
    """``trials`` candidates per search, ``batch`` of them trained side by side per round, a search at
    the first fit and at every ``every``-th refit after it (``None``: the first fit only; later refits
    warm-start the chosen configuration). ``halving``: successive halving over epochs (None: every
    trial trained in full). ``try_defaults``: the net's own settings are the first trial, so a search
    can always keep what the untuned net would have used."""

    trials: int = 20
    space: Mapping[str, Dim] = field(default_factory=dict)
    every: int | None = None
    batch: int = 5
    startup: int = 10  # random trials before TPE models the scores (Optuna's default)
    halving: Halving | None = None
    try_defaults: bool = True

    @classmethod
    def from_config(cls, node: Mapping[str, Any], settings: Sequence[str] = ()) -> TuneSpec:
        """Parse ``tune: {trials, every, batch, startup, space}``; ``settings`` are the keys a candidate
        may set (the model's constructor), so a typo in the space is refused before any fit."""
        extra = set(node) - {"trials", "every", "batch", "startup", "space", "halving", "try_defaults"}
        if extra:
            raise ValueError(
                f"unknown tune setting {sorted(extra)[0]}; tune takes: trials, every, batch, startup, "
                "halving, try_defaults, space"
            )
        space = dict(node.get("space") or {})
        if not space:
            raise ValueError(
                "tune.space is empty: list the settings to search, e.g. {hidden_size: [16, 32, 64]}"
            )
        bad = sorted(set(space) & FORBIDDEN)
        if bad:
            raise ValueError(
                f"tune.space.{bad[0]} cannot be searched: the window, transforms and seeds are the same for "
                "every model of a run (searchable: the model's own training and architecture settings)"
            )
        unknown = sorted(set(space) - set(settings)) if settings else []
        if unknown:
            raise ValueError(
                f"tune.space.{unknown[0]} is not a setting of this model; it takes: {', '.join(settings)}"
            )
        spec = cls(
            trials=int(node.get("trials", cls.trials)),
            space={k: parse_dim(k, v) for k, v in space.items()},
            every=None if node.get("every") is None else int(node["every"]),
            batch=int(node.get("batch", cls.batch)),
            startup=int(node.get("startup", cls.startup)),
            halving=Halving.from_config(node.get("halving")),
            try_defaults=bool(node.get("try_defaults", cls.try_defaults)),
        )
        if (
            spec.trials < 1
            or spec.batch < 1
            or spec.startup < 0
            or (spec.every is not None and spec.every < 1)
        ):
            raise ValueError(
                "tune.trials and tune.batch must be >= 1, tune.every >= 1 (or null), tune.startup >= 0"
            )
        return spec

    def due(self, refits_done: int) -> bool:
        """Search at this refit? (``refits_done`` refits happened before it: 0 at the first fit)."""
        return refits_done == 0 or (self.every is not None and refits_done % self.every == 0)

    def rungs(self) -> list[int]:
        """Candidates per rung: the halving's rungs, or one rung of every trial in full."""
        return self.halving.counts(self.trials) if self.halving else [self.trials]

    def epoch_cap(self, rung: int) -> int | None:
        """The most epochs a candidate trains at ``rung`` (None: its own — the last rung, or no halving)."""
        return None if self.halving is None else self.halving.cap(rung, len(self.rungs()))

    def span(self, rung: int) -> int | None:
        """The most training values a candidate sees at ``rung`` (None: the whole training part)."""
        return None if self.halving is None else self.halving.span(rung, len(self.rungs()))

    def default_trial(self, settings: Mapping[str, Any]) -> dict[str, Any]:
        """The net's own values of the searched settings that lie inside the space (the first trial)."""
        return {k: settings[k] for k, d in self.space.items() if k in settings and d.holds(settings[k])}


@dataclass(frozen=True)
class Search:
    """What a search tried and chose: ``best`` indexes ``trials`` (params, validation score)."""

    trials: tuple[tuple[dict[str, Any], float], ...]
    best: int
    rungs: tuple[int, ...] = ()  # candidates per successive-halving rung (() or one: no halving)

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.trials[self.best][0])


class Searcher:
    """One seeded TPE study asked in rounds of ``spec.batch`` candidates (constant liar, so a round's
    trials spread out); :func:`search_many` runs several in lockstep so their rounds train together."""

    def __init__(self, spec: TuneSpec, seed: int, first: Mapping[str, Any] | None = None) -> None:
        from optuna.samplers import TPESampler

        self.spec = spec
        self.study = _quiet_study(
            TPESampler(seed=int(seed), n_startup_trials=spec.startup, constant_liar=True)
        )
        if first:  # e.g. the untuned settings: tried first, the rest of a partial trial sampled
            self.study.enqueue_trial(dict(first))
        self.dists = {k: d.distribution() for k, d in spec.space.items()}
        self.tried: list[tuple[dict[str, Any], float]] = []
        self._asked: list[Any] = []

    @property
    def done(self) -> bool:
        return len(self.tried) >= self.spec.trials

    def ask(self) -> list[dict[str, Any]]:
        """The next round's candidates (settings to try)."""
        n = min(self.spec.batch, self.spec.trials - len(self.tried))
        self._asked = [self.study.ask(self.dists) for _ in range(n)]
        return [_plain(t.params) for t in self._asked]

    def tell(self, scores: Sequence[float]) -> None:
        """Scores of the last round, in order (lower is better; non-finite = a failed trial)."""
        from optuna.trial import TrialState

        for trial, score in zip(self._asked, scores, strict=True):
            score = float(score)
            if math.isfinite(score):
                self.study.tell(trial, score)
            else:
                self.study.tell(trial, state=TrialState.FAIL)
            self.tried.append((_plain(trial.params), score))
        self._asked = []

    def result(self) -> Search:
        finite = [i for i, (_, s) in enumerate(self.tried) if math.isfinite(s)]
        if not finite:
            raise RuntimeError(f"all {len(self.tried)} tuning trials failed")
        return Search(tuple(self.tried), min(finite, key=lambda i: (self.tried[i][1], i)))


def search(spec: TuneSpec, seed: int, evaluate: Callable[[list[dict[str, Any]]], list[float]]) -> Search:
    """TPE over ``spec.space``, seeded: ``evaluate`` scores a round of candidates (lower is better;
    a non-finite score is a failed trial). Same seed and scores ⇒ the same trials and choice."""
    searcher = Searcher(spec, seed)
    while not searcher.done:
        searcher.tell(evaluate(searcher.ask()))
    return searcher.result()


def search_many(
    searchers: Sequence[Searcher], evaluate: Callable[[list[list[dict[str, Any]]]], list[list[float]]]
) -> None:
    """Run searches in lockstep: each round ``evaluate`` gets every unfinished search's candidates
    (one list per search, in order) and returns their scores, so all of them train side by side."""
    while True:
        active = [s for s in searchers if not s.done]
        if not active:
            return
        scores = evaluate([s.ask() for s in active])
        for s, got in zip(active, scores, strict=True):
            s.tell(got)


def _quiet_study(sampler: Any) -> Any:
    """A study that does not log every trial (Optuna's INFO lines would flood a run's output)."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna.create_study(direction="minimize", sampler=sampler)


def _same(a: Any, b: Any) -> bool:
    """Equal as settings: lists and tuples alike (YAML gives lists, choices hold tuples)."""
    norm = lambda v: tuple(v) if isinstance(v, (list, tuple)) else v  # noqa: E731
    return bool(norm(a) == norm(b))


def _plain(params: Mapping[str, Any]) -> dict[str, Any]:
    """Optuna hands back tuples for list choices and numpy scalars in places: plain values."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in params.items()}
