"""Typed, frozen settings parsed once from the (plain-dict) run configuration.

Everything below the entry point takes these objects, never the Hydra config: each closed choice
is a ``Literal`` checked here, every number its range, so a typo (``on_error=rasie``) fails before
anything runs with one sentence naming the key, the value and what is allowed. ``run.json`` stores
``asdict(settings)`` and ``Settings.from_dict`` reads it back through the same types; the checks
themselves live in ``bench.parse``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, is_dataclass
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

from bench.errors import ConfigError

Auto = Literal["auto"]
SplitKind = Literal["expanding", "sliding"]
ScaleKind = Literal["standard", "minmax", "robust", "none"]
BoxCox = Literal[False, "guerrero", "mle"]
OnError = Literal["record", "raise"]
Target = Literal["level", "returns"]
Backend = Literal["loky", "ray"]
MISSING = "???"


@dataclass(frozen=True)
class SplitSettings:
    """Rolling origins, counted back from each series' own end (``split.*``)."""

    kind: SplitKind = "expanding"
    folds: int = 20
    step: int = 1
    horizon: int = 1
    train_size: int | None = None
    refit_every: int = 1
    min_train: int | None = None  # a floor on the first training part; None: each model's own need
    warm_start: bool = True  # refits start from the previous fit's estimates (earlier data only)


@dataclass(frozen=True)
class TransformSettings:
    """The shared transform every model gets (``transform.*``), fitted on training parts only."""

    log: bool = False
    boxcox: BoxCox = False
    deseasonalize: bool = False
    seasonal_diff: int | Auto = 0
    diff: int | Auto = 1
    scale: ScaleKind = "standard"


@dataclass(frozen=True)
class ScoringSettings:
    """Yardstick, reference and the thresholds of the verdicts."""

    baseline: str = "naive"
    reference: str = "arima"
    alpha: float = 0.05
    max_shift: int = 5
    echo_threshold: float = 0.2
    interval_level: float = 0.9


@dataclass(frozen=True)
class ExecutionSettings:
    """How tasks run; never what they compute (same numbers for every choice here)."""

    n_jobs: int = -1
    on_error: OnError = "record"
    backend: Backend = "loky"
    ray_address: str | None = None
    chunk_size: int = 100
    cache: bool = True
    cache_dir: str = "results/.cache"


@dataclass(frozen=True)
class ModelSettings:
    """One model: its class path and resolved parameters (nested ``_target_`` nodes included).

    What the engine needs to know about the model (local or global, trained once per seed, takes the
    dataset's period) is read from its class (``bench.models.base.capabilities``), not from here.
    """

    name: str
    target: str
    params: dict[str, Any] = field(default_factory=dict)
    follows_window: bool = False  # its YAML says ``window: ${window}``: a dataset's own window replaces it


@dataclass(frozen=True)
class DatasetSettings:
    """One dataset: its loader and the split/transform it is evaluated with (own overrides merged)."""

    name: str
    target: str
    params: dict[str, Any]
    split: SplitSettings
    transform: TransformSettings
    window: int | None = None  # look-back of every model that follows the run's window, on this dataset


@dataclass(frozen=True)
class Settings:
    datasets: tuple[DatasetSettings, ...]
    models: tuple[ModelSettings, ...]
    seeds: tuple[int, ...] = (0, 1, 2)
    seed: int = 0
    window: int = 20
    target: Target = "level"
    scoring: ScoringSettings = ScoringSettings()
    execution: ExecutionSettings = ExecutionSettings()
    baseline_added: bool = False  # the baseline was not asked for: the suite added it (said in the report)
    validate: bool = False  # check config and data, fit nothing
    debug: bool = False

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Settings:
        """Inverse of ``dataclasses.asdict`` (``run.json``), through the same types."""
        return _build(cls, d)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def model(self, name: str) -> ModelSettings:
        return next(m for m in self.models if m.name == name)


def stable_hash(*parts: Any) -> str:
    """sha256 of canonical JSON (sorted keys): the same settings give the same key in any process."""
    doc = json.dumps([asdict(p) if is_dataclass(p) else p for p in parts], sort_keys=True, default=repr)
    return hashlib.sha256(doc.encode()).hexdigest()


def check_choice(key: str, value: Any, tp: Any) -> Any:
    """``value`` if it is one of the Literal ``tp``'s choices, else a ConfigError naming them."""
    allowed = get_args(tp)
    for a in allowed:
        if value == a and type(value) is type(a):
            return value
    shown = ", ".join("false" if a is False else str(a) for a in allowed)
    raise ConfigError(f"{key}={_show(value)} is not allowed; choose one of: {shown}")


def _show(value: Any) -> str:
    return "null" if value is None else str(value).lower() if isinstance(value, bool) else str(value)


def _build(tp: Any, value: Any) -> Any:
    """Rebuild a (nested) dataclass value from plain data, following the type hints."""
    if is_dataclass(tp) and isinstance(value, Mapping):
        hints = get_type_hints(tp)
        return tp(**{f.name: _build(hints[f.name], value[f.name]) for f in fields(tp) if f.name in value})
    origin = get_origin(tp)
    if origin is tuple and isinstance(value, (list, tuple)):
        (inner, *_) = get_args(tp)
        return tuple(_build(inner, v) for v in value)
    if origin is Union:
        for arm in get_args(tp):
            if is_dataclass(arm) and isinstance(value, Mapping):
                return _build(arm, value)
    return value
