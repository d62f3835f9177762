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

from bench.models.tuning import FORBIDDEN, Searcher, TuneSpec, search, search_many

# Attributes a tuned model keeps when it adopts its chosen candidate: who it is, not what it fitted.
_OWN = ("tune", "_settings", "_tuning")


class TuneState:
    """What a tuned model remembers between fits: how many it has done and what it chose."""

    def __init__(self) -> None:
        self.fits = 0
        self.choice: dict[str, Any] = {}
        self.trials = 0
        self.searches = 0

    def info(self) -> dict[str, Any]:
        """The chosen values for ``Forecast.info`` (the report's "chose" lines and ``choices``)."""
        if not self.choice:
            return {}
        return {**{k: _short(v) for k, v in sorted(self.choice.items())}, "trials": self.trials}


def settings_of(cls: type) -> tuple[str, ...]:
    """Keyword settings a model class's constructors take (along its MRO) that a search may set."""
    names: list[str] = []
    skip = {"self", "arch"} | FORBIDDEN
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        for p in inspect.signature(init).parameters.values():
            if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD) and p.name not in skip:
                if p.name not in names:
                    names.append(p.name)
    return tuple(names)


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


def study_seed(model: Any) -> int:
    """The search's seed: the model's seed and how many fits it has done (a later search differs)."""
    seq = np.random.SeedSequence([int(model.train_config.seed), int(model._tuning.fits)])
    return int(seq.generate_state(1)[0])


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
    if rest:
        for i, err in zip(rest, fit_batch([models[i] for i in rest], [zs[i] for i in rest]), strict=True):
            errors[i] = err
    searchers = {i: Searcher(models[i].tune, study_seed(models[i])) for i in due}
    best: dict[int, tuple[float, Any]] = {}

    def evaluate(rounds: list[list[dict[str, Any]]]) -> list[list[float]]:
        active = [i for i in due if not searchers[i].done]
        cands = [
            (i, candidate(models[i], p)) for i, params in zip(active, rounds, strict=True) for p in params
        ]
        fit_batch([c for _, c in cands], [zs[i] for i, _ in cands])
        scores: dict[int, list[float]] = {i: [] for i in active}
        for i, c in cands:
            s = score(c)
            scores[i].append(s)
            if s < best.get(i, (math.inf, None))[0]:  # the first of equal scores wins, as in Search
                best[i] = (s, c)
        return [scores[i] for i in active]

    if due:
        search_many([searchers[i] for i in due], evaluate)
    for i in due:
        if i not in best:
            errors[i] = RuntimeError(f"all {len(searchers[i].tried)} tuning trials failed")
            models[i].net = None
            continue
        adopt(models[i], best[i][1], searchers[i].result())
    for i, m in enumerate(models):
        if errors[i] is None:
            m._tuning.fits += 1
    return errors


def fit_global(model: Any, zs: Sequence[np.ndarray], fit_plain: Callable[[Any], Any]) -> None:
    """Fit a tuned global net: one search over the collection's training parts when due (each
    candidate one global net), else the chosen settings refitted or warm-started."""
    if not model.tune.due(model._tuning.fits):
        fit_plain(model)
    else:
        kept: list[tuple[float, Any]] = []

        def evaluate(params: list[dict[str, Any]]) -> list[float]:
            out = []
            for p in params:
                c = candidate(model, p)
                try:
                    c.fit(zs)
                except Exception:  # noqa: BLE001 - a failed trial, scored inf
                    out.append(math.inf)
                    continue
                out.append(score(c))
                if out[-1] < (kept[0][0] if kept else math.inf):
                    kept[:] = [(out[-1], c)]
            return out

        found = search(model.tune, study_seed(model), evaluate)
        adopt(model, kept[0][1], found)
    model._tuning.fits += 1


def _short(value: Any) -> Any:
    """Floats to four significant digits for the report (1e-3, not 0.0010000000000000002)."""
    return float(f"{value:.4g}") if isinstance(value, float) else value
