"""Fitted models remembered across runs: a fresh model fitted on the same data is loaded, not refitted.

Why: ``make reproduce``'s M3 pages fit the same models on the same training parts. m3_monash's one
origin is the Makridakis pages' first, and the refit schedule's first ARIMA search is the source
schedule's; their *tasks* differ (other folds, horizons, refit schedules), so the task cache cannot
see it, but each first fit is the same computation. A fit's key is what decides it: the model's
definition and code (settings that only steer later refits, a class's ``first_fit_ignores``, left
out), the period, the package versions, what the transform told the model and the data it is handed.

Only a *fresh* model's fit is remembered (a warm-started refit starts from its own past), and only
for models that ask for it (``remember_fits``: ARIMA's order search and ETS's choice of form,
seconds per fit, not a fixed form's milliseconds) and are deterministic, local, fitted
one at a time and read nothing but that data (not the nets, not the variance-proxy readers). The
stored object is the fitted model itself, so what it forecasts is bit-identical to a new fit; the
original fit's seconds and warnings are replayed into the record.
"""

from __future__ import annotations

import time
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bench.engine.cache import TaskCache
from bench.engine.fleet_base import Outcome
from bench.engine.task_keys import data_fingerprint, task_key
from bench.models.base import SeesProxy, capabilities


def memoisable(model: Any) -> bool:
    """Whether a model's fresh fits are remembered: it asks for it (``remember_fits``, a class
    attribute or a property) and its class's fits are a function of settings and data alone."""
    return class_may_remember(type(model)) and bool(getattr(model, "remember_fits", False))


def class_may_remember(cls: type) -> bool:
    """A class that has ``remember_fits`` and is deterministic, local, fitted one at a time and
    reads nothing but its series (the variance proxy is not part of a fit's key)."""
    caps = capabilities(cls)
    return (
        hasattr(cls, "remember_fits")
        and caps.scope == "local"
        and not caps.stochastic
        and not caps.batchable
        and not issubclass(cls, SeesProxy)
    )


def first_fit_ignores(cls: type) -> frozenset[str]:
    """Constructor settings (stored as same-named attributes) that only change refits after the
    first: ARIMA's ``reselect``. Left out of the key; a loaded model takes them from the fresh one."""
    return frozenset(getattr(cls, "first_fit_ignores", frozenset()))


@dataclass
class FitMemo:
    """The fits of one model definition under ``root``; ``model`` is the key of that definition
    (:func:`model_key`). Picklable (a path and a string) so worker processes share the store."""

    root: Path
    model: str
    _store: TaskCache | None = field(default=None, repr=False, compare=False)

    def __getstate__(self) -> dict:
        return {"root": self.root, "model": self.model, "_store": None}

    @property
    def store(self) -> TaskCache:
        if self._store is None:
            self._store = TaskCache(self.root)
        return self._store

    def key(self, z: np.ndarray, told: tuple[int, float] | None) -> str:
        return task_key({"memo": 1, "model": self.model, "told": told, "z": data_fingerprint(z)})

    def fit(self, model: Any, z: np.ndarray, told: tuple[int, float] | None, out: Outcome) -> Any:
        """``model`` (fresh; ``told``: the differences it was told, None for a class that is not
        told) fitted on ``z``: loaded when this exact fit was made before, else fitted and stored.
        The fit's seconds and warnings go to ``out`` either way."""
        key = self.key(z, told)
        got = self.store.get(key)
        if got is None:
            start = time.perf_counter()
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                model.fit(z)
            seconds = time.perf_counter() - start
            kinds = Counter(w.category.__name__ for w in caught)
            with warnings.catch_warnings():  # a full disk only costs the reuse, never a fold warning
                warnings.simplefilter("ignore")
                self.store.put(key, (model, seconds, dict(kinds)))
            fitted = model
        else:
            fitted, seconds, kinds = got
            for name in first_fit_ignores(type(model)):
                setattr(fitted, name, getattr(model, name))
            out.seconds += seconds  # what the fit cost when it was made, not the load
        out.warnings.update(kinds)
        return fitted


def model_key(parts: dict, ignores: frozenset[str] = frozenset()) -> str:
    """The key of a model definition from a task's key parts (:func:`bench.engine.suite.task_parts`):
    target, settings (less ``ignores``, the class's :func:`first_fit_ignores`), period, versions and
    code — not the data, split, seeds or transform, which reach a fit only through its series."""
    model = dict(parts["model"])
    model["params"] = {k: v for k, v in model["params"].items() if k not in ignores}
    keep = ("period", "versions", "code", "model_code")
    return task_key({"model": model, **{k: parts[k] for k in keep}})


def memo_for(cls: type, root: Path, parts: dict) -> FitMemo | None:
    """The store of a task's fresh fits (``parts``: its key parts) when its class may remember
    them; each fresh model is still asked (:func:`memoisable`)."""
    return FitMemo(root, model_key(parts, first_fit_ignores(cls))) if class_may_remember(cls) else None
