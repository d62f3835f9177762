"""A torch net that tunes itself inside its refits, on the training part only.

A net with ``tune`` set searches its own settings (:mod:`bench.models.tuning`) when a search is due
(the first fit, then every ``tune.every``-th fit): each candidate is the same class built with the
same constructor settings plus the trial's values, trained exactly as an untuned net with those
settings would be (same seed, so the same initial weights) on the training part it was handed, and
scored by its validation loss at the kept epoch — the chronological tail of that training part that
early stopping already holds out. No origin ahead and no test value decides a choice. The best
candidate *becomes* the model (its net, settings and history), so forecasts, warm-started refits and
updates between searches are the untuned code paths with the chosen settings. Local nets search side
by side: every due model's round of candidates goes to the batched trainer in one call.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from bench.models.tuning import FORBIDDEN, Search, Searcher, TuneSpec, search_many

# Attributes a tuned model keeps when it adopts its chosen candidate: who it is, not what it fitted.
_OWN = ("tune", "_settings", "_tuning")


class TuneState:
    """What a tuned model remembers between fits: how many it has done and what it chose."""

    def __init__(self) -> None:
        self.fits = 0
        self.choice: dict[str, Any] = {}
        self.trials = 0
        self.searches = 0
        self.rungs: tuple[int, ...] = ()

    def info(self) -> dict[str, Any]:
        """The chosen values for ``Forecast.info`` (the report's "chose" lines and ``choices``)."""
        if not self.choice:
            return {}
        out = {**{k: _short(v) for k, v in sorted(self.choice.items())}, "trials": self.trials}
        if len(self.rungs) > 1:  # successive halving: candidates per rung, e.g. 20-7-3-1
            out["rungs"] = "-".join(map(str, self.rungs))
        return out


def settings_of(cls: type) -> tuple[str, ...]:
    """Keyword settings a model class's constructors take (along its MRO) that a search may set."""
    return tuple(_defaults(cls))


def own_settings(model: Any) -> dict[str, Any]:
    """The values the model runs with: its constructor's settings over the constructors' defaults."""
    return {
        **{k: v for k, v in _defaults(type(model)).items() if v is not inspect.Parameter.empty},
        **model._settings,
    }


def _defaults(cls: type) -> dict[str, Any]:
    """Searchable keyword settings of ``cls``'s constructors along its MRO, with their defaults
    (the first constructor that names a setting gives its default)."""
    out: dict[str, Any] = {}
    skip = {"self", "arch"} | FORBIDDEN
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        for p in inspect.signature(init).parameters.values():
            if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD) and p.name not in skip:
                out.setdefault(p.name, p.default)
    return out


def parse(cls: type, node: Any, val_frac: float) -> TuneSpec | None:
    """``tune:`` of a net's config as a TuneSpec (None: untuned). ValueError names what is wrong."""
    if node is None:
        return None
    if val_frac <= 0:
        raise ValueError(
            "tune needs val_frac > 0: every trial is scored on the validation tail of the training part"
        )
    return TuneSpec.from_config(node, settings_of(cls))


def candidate(model: Any, params: dict[str, Any]) -> Any:
    """The untuned model the trial ``params`` describe: same class, same settings, same seed."""
    return type(model)(**{**model._settings, **params, "tune": None})


def score(model: Any) -> float:
    """A trained candidate's validation loss at its kept epoch; inf when it failed or has none."""
    log = getattr(model, "log", None)
    if model.net is None or log is None or not log.val_loss:
        return math.inf
    value = float(log.val_loss[min(log.kept_epoch, len(log.val_loss) - 1)])
    return value if math.isfinite(value) else math.inf


def adopt(model: Any, best: Any, found: Any) -> None:
    """The model becomes its best candidate (net, settings, history) and remembers the search."""
    own = {k: model.__dict__[k] for k in _OWN}
    model.__dict__.update(best.__dict__)
    model.__dict__.update(own)
    state: TuneState = model._tuning
    state.choice, state.trials, state.searches = found.params, len(found.trials), state.searches + 1
    state.rungs = found.rungs


def study_seed(model: Any) -> int:
    """The search's seed: the model's seed and how many fits it has done (a later search differs)."""
    seq = np.random.SeedSequence([int(model.train_config.seed), int(model._tuning.fits)])
    return int(seq.generate_state(1)[0])


# (model key, trial settings with the rung's epoch cap, the rung's most training values or None)
# -> the trained candidates, in order
Job = tuple[int, dict[str, Any], "int | None"]
Train = Callable[[list[Job]], list[Any]]


def searches(models: dict[int, Any], train: Train) -> dict[int, tuple[Search, Any] | BaseException]:
    """Every model's search in lockstep, so each round trains all of their candidates together.

    Rung 0 is the TPE search (rounds of ``tune.batch``; TPE learns from these scores); with
    ``tune.halving`` the best 1/eta of each search go on to longer training, rung after rung, and
    the last rung trains the survivors in full (the rungs before it on at most ``halving.points``
    of the latest training values, the last rung on all of them). The best candidate of the last
    rung is the choice: (what was tried, that trained candidate) per model, or the error when every
    trial failed.
    """
    searchers = {
        i: Searcher(
            m.tune, study_seed(m), m.tune.default_trial(own_settings(m)) if m.tune.try_defaults else None
        )
        for i, m in models.items()
    }
    counts = {i: m.tune.rungs() for i, m in models.items()}
    # per model: (score, trial index, settings, candidate) of the current rung
    pools: dict[int, list[tuple[float, int, dict[str, Any], Any]]] = {i: [] for i in models}

    def run(rung: int, jobs: list[tuple[int, int, dict[str, Any]]]) -> list[float]:
        cands = train([(i, _capped(models[i], p, rung), models[i].tune.span(rung)) for i, _, p in jobs])
        last = {i: rung == len(counts[i]) - 1 for i, _, _ in jobs}
        out = []
        for (i, idx, p), c in zip(jobs, cands, strict=True):
            out.append(score(c))
            pools[i].append((out[-1], idx, p, c if last[i] else None))  # only the last rung's kept
        return out

    def rung0(rounds: list[list[dict[str, Any]]]) -> list[list[float]]:
        active = [i for i in models if not searchers[i].done]
        jobs = [
            (i, len(searchers[i].tried) + j, p)
            for i, params in zip(active, rounds, strict=True)
            for j, p in enumerate(params)
        ]
        scores = iter(run(0, jobs))
        return [[next(scores) for _ in params] for params in rounds]

    search_many(list(searchers.values()), rung0)
    for rung in range(1, max((len(c) for c in counts.values()), default=0)):
        jobs = []
        for i in models:
            if rung < len(counts[i]):
                alive = sorted((e for e in pools[i] if math.isfinite(e[0])), key=lambda e: e[:2])
                pools[i] = []
                jobs += [(i, idx, p) for _, idx, p, _ in alive[: counts[i][rung]]]
        run(rung, jobs)
    out: dict[int, tuple[Search, Any] | BaseException] = {}
    for i in models:
        tried = tuple(searchers[i].tried)
        finite = [e for e in pools[i] if math.isfinite(e[0])]
        if not finite:
            out[i] = RuntimeError(f"all {len(tried)} tuning trials failed")
            continue
        best = min(finite, key=lambda e: e[:2])  # the first of equal scores wins
        out[i] = (Search(tried, best[1], tuple(counts[i])), best[3])
    return out


def fit_local(
    models: Sequence[Any],
    zs: Sequence[np.ndarray],
    fit_batch: Callable[[Sequence[Any], Sequence[np.ndarray]], list[BaseException | None]],
) -> list[BaseException | None]:
    """Fit local nets: a search for the tuned ones due (all rounds through ``fit_batch`` together);
    the others (untuned, or tuned between searches: the chosen settings warm-started or refitted) in
    one ``fit_batch`` call. One error or None per model."""
    errors: list[BaseException | None] = [None] * len(models)
    due = [i for i, m in enumerate(models) if m.tune is not None and m.tune.due(m._tuning.fits)]
    rest = sorted(set(range(len(models))) - set(due))
    for i in list(due):  # too short for the net: its own error at once, not every trial failing
        try:
            models[i].checked(zs[i])
        except Exception as exc:  # noqa: BLE001 - recorded for this model, the others go on
            errors[i], models[i].net = exc, None
            due.remove(i)
    if rest:
        for i, err in zip(rest, fit_batch([models[i] for i in rest], [zs[i] for i in rest]), strict=True):
            errors[i] = err

    def train(jobs: list[Job]) -> list[Any]:
        cands = [candidate(models[i], p) for i, p, _ in jobs]
        fit_batch(cands, [_recent(zs[i], n, c) for (i, _, n), c in zip(jobs, cands, strict=True)])
        return cands

    for i, got in searches({i: models[i] for i in due}, train).items():
        if isinstance(got, BaseException):
            errors[i], models[i].net = got, None
        else:
            adopt(models[i], got[1], got[0])
    for i, m in enumerate(models):
        if errors[i] is None:
            m._tuning.fits += 1
    return errors


def fit_global(model: Any, zs: Sequence[np.ndarray]) -> None:
    """Fit a tuned global net: one search over the collection's training parts when due (each
    candidate one global net), else the chosen settings refitted or warm-started (``fit_plain``)."""
    if not model.tune.due(model._tuning.fits):
        model.fit_plain(zs)
    else:

        def train(jobs: list[Job]) -> list[Any]:
            out = []
            for _, p, n in jobs:
                c = candidate(model, p)
                try:
                    c.fit([_recent(z, n, c) for z in zs])
                except Exception:  # noqa: BLE001 - a failed trial, scored inf
                    c.net = None
                out.append(c)
            return out

        got = searches({0: model}, train)[0]
        if isinstance(got, BaseException):
            raise got
        adopt(model, got[1], got[0])
    model._tuning.fits += 1


def _capped(model: Any, params: dict[str, Any], rung: int) -> dict[str, Any]:
    """The trial's settings with the rung's epoch cap (the last rung: its own epochs)."""
    cap = model.tune.epoch_cap(rung)
    if cap is None:
        return params
    return {**params, "epochs": min(int(params.get("epochs", model.train_config.epochs)), cap)}


def _recent(z: Any, points: int | None, model: Any) -> Any:
    """The last ``points`` values of a training part (at least the candidate's shortest; None: all)."""
    if points is None:
        return z
    return z[-max(int(points), int(getattr(model, "min_length", 0))) :]


def _short(value: Any) -> Any:
    """Floats to four significant digits for the report (1e-3, not 0.0010000000000000002)."""
    return float(f"{value:.4g}") if isinstance(value, float) else value
