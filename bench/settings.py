"""Typed, frozen settings parsed once from the (plain-dict) run configuration.

Everything below the entry point takes these objects, never the Hydra config: each closed choice
is a ``Literal`` checked here, every number its range, so a typo (``on_error=rasie``) fails before
anything runs with one sentence naming the key, the value and what is allowed. ``run.json`` stores
``asdict(settings)`` and ``Settings.from_dict`` reads it back through the same types; the checks
themselves live in ``bench.parse`` and the ``bench.parse_*`` modules beside it.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, is_dataclass
from types import UnionType
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

from bench.errors import ConfigError

Auto = Literal["auto"]
SplitKind = Literal["expanding", "sliding"]
ScaleKind = Literal["standard", "minmax", "robust", "none"]
BoxCox = Literal[False, "guerrero", "mle"]
OnError = Literal["record", "raise"]
Target = Literal["level", "returns"]
VarianceProxy = Literal["squared", "parkinson", "garman_klass"]
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
    # A sweep picks each model's best configuration on the first N origins and scores it on the rest
    # (the sweep report's held-out number); the engine ignores it. None = no held-out selection.
    select_origins: int | None = None


@dataclass(frozen=True)
class TransformSettings:
    """The shared transform every model gets (``transform.*``), fitted on training parts only."""

    log: bool = False
    boxcox: BoxCox = False
    deseasonalize: bool = False
    seasonal_diff: int | Auto = 0
    diff: int | Auto = 1
    scale: ScaleKind = "standard"


# The scorer's metric functions, in the order of their columns: a name without a dot is one of
# ``bench.scoring.scores`` (BUILTIN_METRICS), any other an import path. The verdicts, the seed
# aggregation and the collection table read the columns of the REQUIRED_METRICS.
BUILTIN_METRICS = "bench.scoring.scores"
DEFAULT_METRICS = tuple(
    f"{BUILTIN_METRICS}.{f}"
    for f in ("point", "relative", "diebold_mariano", "horizon", "lag_scan", "change", "interval",
              "nll", "qlike", "crps", "interval_score")
)  # fmt: skip
REQUIRED_METRICS = DEFAULT_METRICS[:6]


@dataclass(frozen=True)
class SpaSettings:
    """Counting the tries (``spa.*``): the bootstrap behind Hansen's SPA test and the Model Confidence
    Set (``bench.scoring.multiple``). Fixed here so the same stored forecasts give the same p-values."""

    block_length: int | Auto = "auto"  # mean block of the stationary bootstrap; auto: see multiple.py
    reps: int = 1000
    seed: int = 0
    mcs_level: float = 0.9  # the MCS holds the best model with this probability


@dataclass(frozen=True)
class ScoringSettings:
    """Yardstick, reference, the thresholds of the verdicts and the metric functions."""

    baseline: str = "naive"
    reference: str = "arima"
    alpha: float = 0.05
    max_shift: int = 5
    echo_threshold: float = 0.2
    interval_level: float = 0.9
    vol_baseline: str = "ewma"  # the volatility yardstick of returns datasets (DM on QLIKE against it)
    vol_reference: str = "arima_garch"  # the volatility model to beat (DM on QLIKE against it)
    metrics: tuple[str, ...] = DEFAULT_METRICS  # import paths, each ``f(rows) -> {column: value}``
    spa: SpaSettings = SpaSettings()


@dataclass(frozen=True)
class ConformalSettings:
    """Conformal intervals for models without a predictive distribution (``conformal.*``)."""

    enabled: bool = True
    min_errors: int | Auto = "auto"  # earlier errors an origin needs; auto = fewest_errors(level)

    def needed(self, level: float) -> int:
        return fewest_errors(level) if self.min_errors == "auto" else int(self.min_errors)


def fewest_errors(level: float) -> int:
    """The fewest calibration errors that give both finite-sample conformal ranks at ``level``:
    ⌊(n+1)·α/2⌋ ≥ 1 with α = 1 − level, i.e. n ≥ 2/α − 1 (19 at 90 %)."""
    return max(1, math.ceil(2.0 / (1.0 - level) - 1e-9) - 1)


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
    """One dataset: its loader and the split/transform it is evaluated with: the run's, its YAML's
    own values over them, what the command line typed over both (``bench.parse_datasets.layered``)."""

    name: str
    target: str
    params: dict[str, Any]
    split: SplitSettings
    transform: TransformSettings
    y_target: Target = "level"  # level | returns: the top-level ``target`` unless the dataset sets its own
    variance_proxy: VarianceProxy = "squared"  # likewise (returns only): the proxy variance forecasts meet
    window: int | None = None  # look-back of every model that follows the run's window, on this dataset


@dataclass(frozen=True)
class Settings:
    datasets: tuple[DatasetSettings, ...]
    models: tuple[ModelSettings, ...]
    seeds: tuple[int, ...] = (0, 1, 2)
    seed: int = 0
    window: int = 20
    target: Target = "level"
    variance_proxy: VarianceProxy = "squared"
    scoring: ScoringSettings = ScoringSettings()
    execution: ExecutionSettings = ExecutionSettings()
    conformal: ConformalSettings = ConformalSettings()
    split: SplitSettings | None = None  # the run's own (top-level); None in runs stored before it was
    transform: TransformSettings | None = None  # recorded (each dataset's, layered, is in ``datasets``)
    # Models of the run that only returns datasets get (the default suite's volatility duel: an EWMA
    # or a likelihood LSTM on every level series would cost time and say little); () = every model.
    returns_only: tuple[str, ...] = ()
    baseline_added: bool = False  # the baseline was not asked for: the suite added it (said in the report)
    validate: bool = False  # check config and data, fit nothing
    traceback: bool = False  # Python tracebacks for input errors instead of one paragraph

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Settings:
        """Inverse of ``dataclasses.asdict`` (``run.json``), through the same types."""
        return _build(cls, d)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def model(self, name: str) -> ModelSettings:
        return next(m for m in self.models if m.name == name)

    def runs_on(self, model: str, returns: bool) -> bool:
        """Whether ``model`` is fitted on a dataset that is (``returns``) or is not returns."""
        return returns or model not in self.returns_only


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
    if origin in (Union, UnionType):  # Optional[...] and X | None
        for arm in get_args(tp):
            if is_dataclass(arm) and isinstance(value, Mapping):
                return _build(arm, value)
    return value
