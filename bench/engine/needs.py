"""What each model needs of a series, fixed before any fit: the series it can be scored on.

A model declares ``min_length`` (``bench.models.base.ModelBase``: the fewest points of the series it
is given that it can be fitted on; a property where it depends on the settings, e.g. a window). The
engine builds each model once per dataset (fitting nothing), adds what the shared transform may
consume for a model that is not on levels, and takes ``split.min_train`` as a floor. A series whose
training part at its first origin is shorter is skipped for that model alone, with the reason
(:meth:`bench.engine.prepare.Prepared.with_needs`). A model that follows the run's window takes the
dataset's own ``window`` here too, so its need and its fits see the same window.
"""

from __future__ import annotations

from dataclasses import replace

from bench.engine.build import ModelRun, model_capabilities
from bench.engine.prepare import Need, Prepared
from bench.errors import ConfigError
from bench.models.base import ModelBase
from bench.settings import ModelSettings, Settings


def on_dataset(m: ModelSettings, p: Prepared) -> ModelSettings:
    """The model as built on dataset ``p``: one that follows the run's window takes the dataset's
    own ``window`` when it sets one (part of the task's cache key through the params)."""
    if p.settings.window is None or not m.follows_window:
        return m
    return replace(m, params={**m.params, "window": p.settings.window})


def need_of(m: ModelSettings, p: Prepared, seed: int) -> Need:
    """Training points ``m`` needs at the first origin on ``p``: its ``min_length`` (on the series
    it is given) plus what the shared transform may consume when it is not on levels, and at least
    ``split.min_train``."""
    model = ModelRun(on_dataset(m, p), seed).make(p.collection.period, p.name)()
    own = int(getattr(model, "min_length", ModelBase.min_length))
    lost = 0 if model_capabilities(m).levels else p.lost
    why = f"min_length {own}" + (f" + {lost} the shared transform may consume" if lost else "")
    if p.min_train > own + lost:
        why += f"; split.min_train={p.min_train}"
    return Need(max(own + lost, p.min_train), why)


def with_needs(s: Settings, prepared: list[Prepared]) -> list[Prepared]:
    """Each dataset with the series each model cannot be scored on (``Prepared.with_needs``);
    raises before any fit when no model can use any series of a dataset. Idempotent."""
    out = []
    for p in prepared:
        if p.too_short is None:
            needs = {}
            for m in s.models:
                try:
                    needs[m.name] = need_of(m, p, s.seeds[0])
                except ConfigError:
                    raise
                except Exception as exc:  # noqa: BLE001 - any constructor error is a settings error
                    raise ConfigError(f"model {m.name!r} cannot be built from its settings: {exc}") from exc
            p = p.with_needs(needs)
        out.append(p)
    return out
