"""Raw run configuration (a plain dict, interpolations resolved) → :class:`bench.settings.Settings`.

The one place settings are checked: types, ranges, closed choices and required values, each
failure one sentence naming the full command-line key, the value and what is allowed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from bench.errors import ConfigError
from bench.settings import (
    MISSING,
    Backend,
    BoxCox,
    DatasetSettings,
    ExecutionSettings,
    ModelSettings,
    OnError,
    ScaleKind,
    ScoringSettings,
    Settings,
    SplitKind,
    SplitSettings,
    Target,
    TransformSettings,
    check_choice,
)

TOP_LEVEL = {
    "datasets", "models", "seed", "seeds", "window", "target", "transform", "split", "interval_level",
    "n_jobs", "on_error", "alpha", "max_shift", "echo_threshold", "debug", "baseline", "reference",
    "backend", "ray_address", "chunk_size", "cache", "cache_dir", "validate",
}  # fmt: skip
RESERVED = {"_target_", "_partial_", "split", "transform", "window"}


def as_int(key: str, value: Any, minimum: int | None = None, *, allow_none: bool = False) -> int | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ConfigError(f"{key} must be a whole number, not {value!r}")
    try:
        number = float(value)
        out = int(number)
    except (TypeError, ValueError, OverflowError):
        raise ConfigError(f"{key} must be a whole number, not {value!r}") from None
    if out != number:
        raise ConfigError(f"{key} must be a whole number, not {value!r}")
    if minimum is not None and out < minimum:
        raise ConfigError(f"{key}={out} is out of range: it must be >= {minimum}")
    return out


def as_float(
    key: str, value: Any, lo: float, hi: float, *, open_lo: bool = True, open_hi: bool = True
) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{key} must be a number, not {value!r}") from None
    if isinstance(value, bool) or not math.isfinite(out):
        raise ConfigError(f"{key} must be a finite number, not {value!r}")
    below = out <= lo if open_lo else out < lo
    above = out >= hi if open_hi else out > hi
    if below or above:
        lb, rb = "(" if open_lo else "[", ")" if open_hi else "]"
        raise ConfigError(f"{key}={value} is out of range: it must lie in {lb}{lo:g}, {hi:g}{rb}")
    return out


def as_bool(key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raise ConfigError(f"{key} must be true or false, not {value!r}")


def int_or_auto(key: str, value: Any, allowed: tuple[int, ...]) -> int | str:
    if value == "auto":
        return "auto"
    out = None if isinstance(value, bool) else as_int(key, value) if isinstance(value, (int, float)) else None
    if out not in allowed:
        shown = ", ".join(map(str, allowed))
        raise ConfigError(f"{key}={value} is not allowed; choose one of: {shown}, auto")
    return out


def missing_keys(node: Any, prefix: str) -> list[str]:
    """Full keys of every required value (``???``) not given."""
    if isinstance(node, Mapping):
        return [k for key, v in node.items() for k in missing_keys(v, f"{prefix}.{key}")]
    return [prefix] if node == MISSING else []


def require_all(node: Mapping, prefix: str) -> None:
    missing = sorted(missing_keys(node, prefix))
    if missing:
        raise ConfigError(
            f"required setting(s) not given: {', '.join(missing)}; pass them on the command line, "
            f"e.g. {' '.join(f'{k}=...' for k in missing)}"
        )


def parse_split(node: Mapping[str, Any], key: str) -> SplitSettings:
    unknown(node, SplitSettings, key)
    d = SplitSettings()
    kind = check_choice(f"{key}.kind", node.get("kind", d.kind), SplitKind)
    train_size = as_int(f"{key}.train_size", node.get("train_size"), 2, allow_none=True)
    if kind == "sliding" and train_size is None:
        raise ConfigError(f"{key}.kind=sliding needs {key}.train_size (observations per training window)")
    return SplitSettings(
        kind=kind,
        folds=as_int(f"{key}.folds", node.get("folds", d.folds), 1),
        step=as_int(f"{key}.step", node.get("step", d.step), 1),
        horizon=as_int(f"{key}.horizon", node.get("horizon", d.horizon), 1),
        train_size=train_size,
        refit_every=as_int(f"{key}.refit_every", node.get("refit_every", d.refit_every), 1),
        min_train=as_int(f"{key}.min_train", node.get("min_train", d.min_train), 1, allow_none=True),
        warm_start=as_bool(f"{key}.warm_start", node.get("warm_start", d.warm_start)),
    )


def parse_transform(node: Mapping[str, Any], key: str) -> TransformSettings:
    unknown(node, TransformSettings, key)
    d = TransformSettings()
    scale = node.get("scale", d.scale)
    return TransformSettings(
        log=as_bool(f"{key}.log", node.get("log", d.log)),
        boxcox=check_choice(f"{key}.boxcox", node.get("boxcox", d.boxcox), BoxCox),
        deseasonalize=as_bool(f"{key}.deseasonalize", node.get("deseasonalize", d.deseasonalize)),
        seasonal_diff=int_or_auto(f"{key}.seasonal_diff", node.get("seasonal_diff", d.seasonal_diff), (0, 1)),
        diff=int_or_auto(f"{key}.diff", node.get("diff", d.diff), (0, 1, 2)),
        scale=check_choice(f"{key}.scale", "none" if scale is None else scale, ScaleKind),
    )


def unknown(node: Mapping[str, Any], tp: type, key: str) -> None:
    known = set(tp.__dataclass_fields__)
    extra = sorted(set(node) - known)
    if extra:
        raise ConfigError(f"unknown setting {key}.{extra[0]}; {key} takes: {', '.join(sorted(known))}")


def parse_model(name: str, node: Mapping[str, Any]) -> ModelSettings:
    key = f"models.{name}"
    if not isinstance(node, Mapping) or "_target_" not in node:
        raise ConfigError(f"{key} is not a model config (it needs a _target_ class path)")
    require_all(node, key)
    params = {k: v for k, v in node.items() if k not in ("_target_", "_partial_")}
    if "scope" in params:
        base = name.removesuffix("_global")
        raise ConfigError(
            f"{key}.scope={params['scope']}: a model's scope is its class now; the global nets are "
            f"configs of their own (models=[..., {base}_global]; the local net is models=[..., {base}])"
        )
    return ModelSettings(name=name, target=str(node["_target_"]), params=params)


def parse_dataset(
    name: str, node: Mapping[str, Any], split: Mapping[str, Any], transform: Mapping[str, Any]
) -> DatasetSettings:
    key = f"datasets.{name}"
    if not isinstance(node, Mapping) or "_target_" not in node:
        raise ConfigError(f"{key} is not a dataset config (it needs a _target_ loader path)")
    require_all(node, key)
    own_split, own_transform = node.get("split") or {}, node.get("transform") or {}
    params = {k: v for k, v in node.items() if k not in RESERVED}
    return DatasetSettings(
        name=name,
        target=str(node["_target_"]),
        params=params,
        split=parse_split({**split, **own_split}, "split" if not own_split else f"{key}.split"),
        transform=parse_transform(
            {**transform, **own_transform}, "transform" if not own_transform else f"{key}.transform"
        ),
        window=as_int(f"{key}.window", node.get("window"), 1, allow_none=True),
    )


def parse_settings(
    raw: Mapping[str, Any], baseline_added: bool = False, window_followers: frozenset[str] = frozenset()
) -> Settings:
    """``window_followers``: the models whose config reads the run's window (``window: ${window}``),
    which a dataset's own ``window`` replaces (``bench.config.window_followers`` finds them)."""
    extra = sorted(set(raw) - TOP_LEVEL)
    if extra:
        raise ConfigError(
            f"unknown setting {extra[0]}; the top-level settings are: {', '.join(sorted(TOP_LEVEL))}"
        )
    models = raw.get("models") or {}
    datasets = raw.get("datasets") or {}
    if not models:
        raise ConfigError("no models selected: pass e.g. models=[naive,arima,lstm]")
    if not datasets:
        raise ConfigError("no datasets selected: pass e.g. datasets=[sine]")
    seeds = raw.get("seeds", [0, 1, 2])
    if not isinstance(seeds, (list, tuple)) or not seeds:
        raise ConfigError(f"seeds must be a non-empty list of whole numbers, not {seeds!r}")
    d = ExecutionSettings()
    n_jobs = as_int("n_jobs", raw.get("n_jobs", d.n_jobs))
    if n_jobs == 0 or n_jobs < -1:
        raise ConfigError(
            f"n_jobs={n_jobs} is out of range: use a positive number of workers or -1 (all cores)"
        )
    scoring = ScoringSettings(
        baseline=str(raw.get("baseline", "naive")),
        reference=str(raw.get("reference", "arima")),
        alpha=as_float("alpha", raw.get("alpha", 0.05), 0.0, 1.0),
        max_shift=as_int("max_shift", raw.get("max_shift", 5), 1),
        echo_threshold=as_float(
            "echo_threshold", raw.get("echo_threshold", 0.2), 0.0, math.inf, open_lo=False
        ),
        interval_level=as_float("interval_level", raw.get("interval_level", 0.9), 0.0, 1.0),
    )
    execution = ExecutionSettings(
        n_jobs=n_jobs,
        on_error=check_choice("on_error", raw.get("on_error", d.on_error), OnError),
        backend=check_choice("backend", raw.get("backend", d.backend), Backend),
        ray_address=raw.get("ray_address"),
        chunk_size=as_int("chunk_size", raw.get("chunk_size", d.chunk_size), 1),
        cache=as_bool("cache", raw.get("cache", d.cache)),
        cache_dir=str(raw.get("cache_dir", d.cache_dir)),
    )
    split, transform = raw.get("split") or {}, raw.get("transform") or {}
    parsed_models = tuple(
        replace(parse_model(str(n), node), follows_window=str(n) in window_followers)
        for n, node in models.items()
    )
    if scoring.baseline not in {m.name for m in parsed_models}:
        raise ConfigError(
            f"the baseline {scoring.baseline!r} is not among the models ({', '.join(models)}); "
            f"add it, e.g. models=[{scoring.baseline},{','.join(models)}], or set baseline=<one of them>"
        )
    return Settings(
        datasets=tuple(parse_dataset(str(n), node, split, transform) for n, node in datasets.items()),
        models=parsed_models,
        seeds=tuple(as_int(f"seeds[{i}]", s) for i, s in enumerate(seeds)),
        seed=as_int("seed", raw.get("seed", 0)),
        window=as_int("window", raw.get("window", 20), 1),
        target=check_choice("target", raw.get("target", "level"), Target),
        scoring=scoring,
        execution=execution,
        baseline_added=baseline_added,
        validate=as_bool("validate", raw.get("validate", False)),
        debug=as_bool("debug", raw.get("debug", False)),
    )
