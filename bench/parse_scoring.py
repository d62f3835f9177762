"""The scoring settings: metric functions by name or import path, the SPA bootstrap, conformal intervals.

Apart from the run's settings because metrics are resolved to functions (an import that can fail
with the user's own code), and ``bench.scoring.scores`` imports them the same way.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from bench.errors import ConfigError
from bench.parse_values import as_bool, as_float, as_int, unknown
from bench.settings import (
    BUILTIN_METRICS,
    DEFAULT_METRICS,
    REQUIRED_METRICS,
    ConformalSettings,
    SpaSettings,
    fewest_errors,
)


def parse_spa(node: Any) -> SpaSettings:
    """``spa.*``: the bootstrap of the SPA test and the Model Confidence Set."""
    if not isinstance(node, Mapping):
        raise ConfigError(
            f"spa must be a group of settings (spa.reps=..., spa.block_length=...), not {node!r}"
        )
    unknown(node, SpaSettings, "spa")
    d = SpaSettings()
    block = node.get("block_length", d.block_length)
    if block != "auto":
        try:
            block = as_int("spa.block_length", block, 1)
        except ConfigError:
            raise ConfigError(
                f"spa.block_length={block} is not allowed; use auto or a whole number >= 1"
            ) from None
    return SpaSettings(
        block_length=block,
        reps=as_int("spa.reps", node.get("reps", d.reps), 100),
        seed=as_int("spa.seed", node.get("seed", d.seed), 0),
        mcs_level=as_float("spa.mcs_level", node.get("mcs_level", d.mcs_level), 0.0, 1.0),
    )


def import_path(path: str) -> Any:
    """The object at a dotted path: the longest importable module prefix, then attributes."""
    parts = path.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError as exc:
            if exc.name is None or not ".".join(parts[:cut]).startswith(exc.name):
                raise  # the module exists but imports something missing: say so
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return obj
    raise ModuleNotFoundError(f"no module named {parts[0]!r}")


def parse_metrics(value: Any) -> tuple[str, ...]:
    """``metrics``: metric functions by name (``bench.scoring.scores``) or import path, each callable,
    none twice, and the ones the verdicts read all present."""
    if value is None:
        return DEFAULT_METRICS
    if not isinstance(value, (list, tuple)) or not value or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"metrics must be a non-empty list of metric names or import paths, not {value!r}")
    paths = tuple(v if "." in v else f"{BUILTIN_METRICS}.{v}" for v in value)
    for given, path in zip(value, paths, strict=True):
        try:
            fn = import_path(path)
        except Exception as exc:  # noqa: BLE001 - any import failure is a settings error
            why = " ".join(f"{type(exc).__name__}: {exc}".split())
            raise ConfigError(
                f"metrics entry {given!r} cannot be imported ({why}); use a function of "
                f"{BUILTIN_METRICS} by name (e.g. crps) or a full import path (e.g. mypkg.scores.my_metric)"
            ) from None
        if not callable(fn):
            raise ConfigError(f"metrics entry {given!r} is not a function: {fn!r}")
    twice = sorted({p for p in paths if paths.count(p) > 1})
    if twice:
        raise ConfigError(f"metrics lists {twice[0].rsplit('.', 1)[-1]} more than once")
    missing = [p.rsplit(".", 1)[-1] for p in REQUIRED_METRICS if p not in paths]
    if missing:
        defaults = ",".join(p.rsplit(".", 1)[-1] for p in DEFAULT_METRICS)
        raise ConfigError(
            f"metrics must keep {', '.join(missing)}: the verdicts and the aggregate tables read their "
            f"columns; add yours after them, e.g. metrics=[{defaults},mypkg.scores.my_metric]"
        )
    return paths


def parse_conformal(node: Any, level: float) -> ConformalSettings:
    """``conformal.*``: on/off and how many earlier errors an origin needs (auto or a whole number
    at least the fewest that give finite-sample conformal ranks at ``interval_level``)."""
    node = node or {}
    if not isinstance(node, Mapping):
        raise ConfigError(f"conformal must be a mapping with enabled and min_errors, not {node!r}")
    unknown(node, ConformalSettings, "conformal")
    d = ConformalSettings()
    enabled = as_bool("conformal.enabled", node.get("enabled", d.enabled))
    min_errors = node.get("min_errors", d.min_errors)
    if min_errors != "auto":
        need = fewest_errors(level)
        min_errors = as_int("conformal.min_errors", min_errors, 1)
        if min_errors < need:
            raise ConfigError(
                f"conformal.min_errors={min_errors} is too few for interval_level={level:g}: a conformal "
                f"interval at that level needs at least {need} earlier errors; set it to >= {need} or auto"
            )
    return ConformalSettings(enabled=enabled, min_errors=min_errors)
