"""Models built from their config with Hydra's ``instantiate``, and checked before any fit.

A model config is a ``_target_`` class plus its parameters; nested ``_target_`` nodes (e.g. a
``net:`` module) become objects. What the engine needs to know about a model — raw series or
transformed, local or global, trained once per seed, takes the dataset's period — is read from the
class (:func:`bench.models.base.capabilities`), never from the names of config keys. A class that
cannot be imported, lacks a method the run needs, or whose ``predict`` returns something other than
a :class:`~bench.types.Forecast` on a tiny smoke series stops the run before any fit, with one
paragraph naming the config, the class and the missing piece.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from hydra.errors import InstantiationException
from hydra.utils import get_object, instantiate

from bench.errors import ConfigError
from bench.models.base import Capabilities, capabilities
from bench.settings import ModelSettings, Settings
from bench.types import Forecast

SMOKE = np.array([1.0, 1.3, 0.9, 1.4, 1.1])  # five points: what a model's protocol is checked on


def model_class(m: ModelSettings) -> type:
    """The class a model config names (a clear settings error when it cannot be imported)."""
    try:
        cls = get_object(m.target)
    except Exception as exc:  # noqa: BLE001 - any import failure is a settings error
        raise ConfigError(f"models.{m.name}._target_={m.target} cannot be imported: {exc}") from exc
    if not isinstance(cls, type):
        raise ConfigError(
            f"models.{m.name}._target_={m.target} is a {type(cls).__name__}, not a class; a model "
            "config names a class with fit/update/predict (see README, 'Your own model')"
        )
    return cls


def model_capabilities(m: ModelSettings) -> Capabilities:
    return capabilities(model_class(m))


@dataclass(frozen=True)
class ModelRun:
    """One model at one seed (deterministic models run once, at the first seed)."""

    settings: ModelSettings
    seed: int

    @property
    def name(self) -> str:
        return self.settings.name

    @property
    def caps(self) -> Capabilities:
        return model_capabilities(self.settings)

    def make(self, period: int | None, dataset: str = "") -> Callable[[], Any]:
        """A factory of fresh models for ``dataset`` (its period filled in where the class takes one)."""
        m, caps = self.settings, self.caps
        kwargs = dict(m.params)
        if caps.stochastic:
            kwargs["seed"] = self.seed
        if caps.needs_period != "no" and kwargs.get("period") is None:
            if not period and caps.needs_period == "required":
                raise ConfigError(
                    f"model {m.name!r} takes its period from the dataset, but {dataset!r} has "
                    f"none; set models.{m.name}.period=<int>"
                )
            kwargs["period"] = int(period) if period else None
        try:
            return instantiate({"_target_": m.target, "_partial_": True, **kwargs}, _convert_="all")
        except InstantiationException as exc:
            raise ConfigError(f"model {m.name!r} cannot be built from its settings: {exc}") from exc


def runs_of(s: Settings) -> list[ModelRun]:
    """Stochastic models once per seed, others once."""
    return [
        ModelRun(m, seed)
        for m in s.models
        for seed in (s.seeds if model_capabilities(m).stochastic else s.seeds[:1])
    ]


def check_protocol(name: str, cls: type, model: Any, caps: Capabilities, horizon: int, updates: bool) -> None:
    """The methods the fold loop will call exist, and ``predict`` returns a Forecast (or a list of
    them, for a global model) after a fit on a five-point series. A fit the smoke series is too
    short for says nothing (it is recorded at run time like any other fit failure)."""
    need = ["fit", "predict"] + (["update"] if updates else [])
    missing = [meth for meth in need if not callable(getattr(model, meth, None))]
    where = f"model {name!r} ({cls.__module__}.{cls.__qualname__}, config models.{name})"
    if missing:
        why = (
            " (split.refit_every > 1: between refits the model reads the new history)"
            if "update" in missing
            else ""
        )
        raise ConfigError(
            f"{where} has no {', '.join(missing)} method{'s' if len(missing) > 1 else ''}{why}; a model "
            "needs fit(z) -> self, update(z) -> self and predict(h) -> bench.types.Forecast "
            "(see README, 'Your own model')"
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            model.fit([SMOKE, SMOKE] if caps.scope == "global" else SMOKE.copy())
            got = model.predict(horizon)
        except Exception:  # noqa: BLE001 - too short for this model: judged at run time
            return
    ok = (
        isinstance(got, list) and all(isinstance(f, Forecast) for f in got)
        if caps.scope == "global"
        else isinstance(got, Forecast)
    )
    if not ok:
        want = (
            "a list of bench.types.Forecast (one per series)"
            if caps.scope == "global"
            else "a bench.types.Forecast"
        )
        raise ConfigError(
            f"{where}: predict({horizon}) returned {type(got).__name__}, not {want}; "
            "return Forecast(mean=<array of h values>, var=None) (see README, 'Your own model')"
        )
