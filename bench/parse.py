"""Raw run configuration (a plain dict, interpolations resolved) → :class:`bench.settings.Settings`.

The one place settings are checked: types, ranges, closed choices and required values, each
failure one sentence naming the full command-line key, the value and what is allowed. This module
reads the top level (models, execution, scoring); the sections with rules of their own live beside
it: ``bench.parse_values`` (one value), ``bench.parse_datasets`` (split, transform and the datasets
layered over the run's), ``bench.parse_scoring`` (metrics, SPA, conformal).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from bench.errors import ConfigError
from bench.parse_datasets import parse_dataset, parse_split, parse_transform, typed_keys
from bench.parse_scoring import parse_conformal, parse_metrics, parse_spa
from bench.parse_values import as_bool, as_float, as_int, require_all
from bench.settings import (
    Backend,
    ExecutionSettings,
    ModelSettings,
    OnError,
    ScoringSettings,
    Settings,
    Target,
    VarianceProxy,
    check_choice,
)

TOP_LEVEL = {
    "datasets", "models", "seed", "seeds", "window", "target", "transform", "split", "interval_level",
    "n_jobs", "on_error", "alpha", "max_shift", "echo_threshold", "traceback", "baseline", "reference",
    "backend", "ray_address", "chunk_size", "cache", "cache_dir", "validate", "metrics", "conformal",
    "spa",
    "variance_proxy", "vol_baseline", "vol_reference", "returns_only",
    "debug",  # the debug group's node (conf/debug/): the model configs read it, nothing else does
}  # fmt: skip


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


def parse_names(key: str, value: Any) -> tuple[str, ...]:
    """A list of model names (null = none). Names the run does not have are allowed: the default
    config's list stays valid whatever ``models=[...]`` a command picks."""
    if value is None:
        return ()
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(f"{key} must be a list of model names, e.g. {key}=[ewma], not {value!r}")
    return tuple(value)


def parse_settings(
    raw: Mapping[str, Any],
    baseline_added: bool = False,
    overrides: Sequence[str] = (),
    window_followers: frozenset[str] = frozenset(),
) -> Settings:
    """``overrides``: the command line as typed (plain strings); a run's ``split.*``/``transform.*``
    typed there beat a dataset YAML's own values (:func:`layered`). ``window_followers``: the models
    whose config reads the run's window (``window: ${window}``), which a dataset's own ``window``
    replaces (``bench.config.window_followers`` finds them)."""
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
        vol_baseline=str(raw.get("vol_baseline", "ewma")),
        vol_reference=str(raw.get("vol_reference", "arima_garch")),
        metrics=parse_metrics(raw.get("metrics")),
        spa=parse_spa(raw.get("spa") or {}),
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
    returns_only = parse_names("returns_only", raw.get("returns_only"))
    if scoring.baseline in returns_only:
        raise ConfigError(
            f"returns_only=[{', '.join(returns_only)}] names the baseline {scoring.baseline!r}, which every "
            "dataset needs (every ratio is against it); take it out of returns_only"
        )
    given = typed_keys(overrides)
    target = check_choice("target", raw.get("target", "level"), Target)
    proxy = check_choice("variance_proxy", raw.get("variance_proxy", "squared"), VarianceProxy)
    return Settings(
        datasets=tuple(
            parse_dataset(str(n), node, split, transform, given, target, proxy)
            for n, node in datasets.items()
        ),
        split=parse_split(split),
        transform=parse_transform(transform),
        models=parsed_models,
        seeds=tuple(as_int(f"seeds[{i}]", s) for i, s in enumerate(seeds)),
        seed=as_int("seed", raw.get("seed", 0)),
        window=as_int("window", raw.get("window", 20), 1),
        target=target,
        variance_proxy=proxy,
        scoring=scoring,
        execution=execution,
        conformal=parse_conformal(raw.get("conformal"), scoring.interval_level),
        returns_only=returns_only,
        baseline_added=baseline_added,
        validate=as_bool("validate", raw.get("validate", False)),
        traceback=as_bool("traceback", raw.get("traceback", False)),
    )
