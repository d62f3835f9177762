"""Raw run configuration (a plain dict, interpolations resolved) → :class:`bench.settings.Settings`.

The one place settings are checked: types, ranges, closed choices and required values, each
failure one sentence naming the full command-line key, the value and what is allowed.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from bench.errors import ConfigError
from bench.settings import (
    BUILTIN_METRICS,
    DEFAULT_METRICS,
    MISSING,
    REQUIRED_METRICS,
    Backend,
    BoxCox,
    ConformalSettings,
    DatasetSettings,
    ExecutionSettings,
    ModelSettings,
    OnError,
    ScaleKind,
    ScoringSettings,
    Settings,
    SpaSettings,
    SplitKind,
    SplitSettings,
    Target,
    TransformSettings,
    VarianceProxy,
    check_choice,
    fewest_errors,
)

TOP_LEVEL = {
    "datasets", "models", "seed", "seeds", "window", "target", "transform", "split", "interval_level",
    "n_jobs", "on_error", "alpha", "max_shift", "echo_threshold", "traceback", "baseline", "reference",
    "backend", "ray_address", "chunk_size", "cache", "cache_dir", "validate", "metrics", "conformal",
    "spa",
    "variance_proxy", "vol_baseline", "vol_reference", "returns_only",
    "debug",  # the debug group's node (conf/debug/): the model configs read it, nothing else does
}  # fmt: skip
RESERVED = {"_target_", "_partial_", "split", "transform", "target", "variance_proxy", "window"}


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


def parse_split(
    node: Mapping[str, Any], key: str = "split", keys: Mapping[str, str] | None = None
) -> SplitSettings:
    """``keys``: the full command-line key each value came from (default ``<key>.<field>``)."""
    name = namer(key, keys)
    unknown(node, SplitSettings, key, name)
    d = SplitSettings()
    kind = check_choice(name("kind"), node.get("kind", d.kind), SplitKind)
    train_size = as_int(name("train_size"), node.get("train_size"), 2, allow_none=True)
    if kind == "sliding" and train_size is None:
        raise ConfigError(
            f"{name('kind')}=sliding needs {name('train_size')} (observations per training window)"
        )
    return SplitSettings(
        kind=kind,
        folds=as_int(name("folds"), node.get("folds", d.folds), 1),
        step=as_int(name("step"), node.get("step", d.step), 1),
        horizon=as_int(name("horizon"), node.get("horizon", d.horizon), 1),
        train_size=train_size,
        refit_every=as_int(name("refit_every"), node.get("refit_every", d.refit_every), 1),
        min_train=as_int(name("min_train"), node.get("min_train", d.min_train), 1, allow_none=True),
        warm_start=as_bool(name("warm_start"), node.get("warm_start", d.warm_start)),
        select_origins=as_int(name("select_origins"), node.get("select_origins"), 1, allow_none=True),
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


def parse_transform(
    node: Mapping[str, Any], key: str = "transform", keys: Mapping[str, str] | None = None
) -> TransformSettings:
    name = namer(key, keys)
    unknown(node, TransformSettings, key, name)
    d = TransformSettings()
    scale = node.get("scale", d.scale)
    out = TransformSettings(
        log=as_bool(name("log"), node.get("log", d.log)),
        boxcox=check_choice(name("boxcox"), node.get("boxcox", d.boxcox), BoxCox),
        deseasonalize=as_bool(name("deseasonalize"), node.get("deseasonalize", d.deseasonalize)),
        seasonal_diff=int_or_auto(name("seasonal_diff"), node.get("seasonal_diff", d.seasonal_diff), (0, 1)),
        diff=int_or_auto(name("diff"), node.get("diff", d.diff), (0, 1, 2)),
        scale=check_choice(name("scale"), "none" if scale is None else scale, ScaleKind),
    )
    if out.log and out.boxcox:
        raise ConfigError(
            f"{name('log')}=true and {name('boxcox')}={out.boxcox} exclude each other (both are a "
            "log-like first step); set one of them"
        )
    return out


def namer(key: str, keys: Mapping[str, str] | None) -> Callable[[str], str]:
    return lambda field: (keys or {}).get(field, f"{key}.{field}")


def typed_keys(overrides: Sequence[str]) -> frozenset[str]:
    """Keys the command line set (``+split.folds=18`` → ``split.folds``); a deletion sets nothing."""
    return frozenset(o.split("=", 1)[0].lstrip("+") for o in overrides if "=" in o and not o.startswith("~"))


def typed(given: frozenset[str], section: str, field: str) -> bool:
    """Whether the command line set ``<section>.<field>`` (itself, or the whole ``<section>``)."""
    return f"{section}.{field}" in given or section in given


def layered(
    section: str, name: str, run: Mapping[str, Any], own: Mapping[str, Any], given: frozenset[str]
) -> tuple[dict[str, Any], dict[str, str]]:
    """A dataset's ``split``/``transform``: the run's value, unless the dataset's YAML has its own,
    unless the command line typed the run's (``split.folds=18``), unless it typed the dataset's
    (``datasets.<name>.split.folds=18``). Each value with the full key it came from (for messages).

    Experiments and the top-level config count as the run's: a dataset's YAML beats them unless
    an experiment sets ``datasets.<name>.<section>`` itself (then it is the dataset's own value).
    """
    mine = f"datasets.{name}.{section}"
    values: dict[str, Any] = {}
    keys: dict[str, str] = {}
    for field in [*run, *(f for f in own if f not in run)]:
        run_typed = field in run and typed(given, section, field)
        if field in own and (typed(given, mine, field) or not run_typed):
            values[field], keys[field] = own[field], f"{mine}.{field}"
        else:
            values[field], keys[field] = run[field], f"{section}.{field}"
    return values, keys


def own_or_run(
    name: str, node: Mapping[str, Any], field: str, run: Any, given: frozenset[str], tp: Any
) -> Any:
    """A dataset's own ``target`` / ``variance_proxy`` beats the run's, as in :func:`layered`: unless
    the command line typed the run's (``variance_proxy=squared``) and not the dataset's."""
    mine = f"datasets.{name}.{field}"
    if field in node and (mine in given or field not in given):
        return check_choice(mine, node[field], tp)
    return run


def unknown(node: Mapping[str, Any], tp: type, key: str, name: Callable[[str], str] | None = None) -> None:
    known = set(tp.__dataclass_fields__)
    extra = sorted(set(node) - known)
    if extra:
        full = name(extra[0]) if name else f"{key}.{extra[0]}"
        raise ConfigError(
            f"unknown setting {full}; {full.rpartition('.')[0]} takes: {', '.join(sorted(known))}"
        )


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
    name: str,
    node: Mapping[str, Any],
    split: Mapping[str, Any],
    transform: Mapping[str, Any],
    given: frozenset[str] = frozenset(),
    target: str = "level",
    variance_proxy: str = "squared",
) -> DatasetSettings:
    """One dataset; ``split``/``transform`` are the run's, layered with its own (:func:`layered`)."""
    key = f"datasets.{name}"
    if not isinstance(node, Mapping) or "_target_" not in node:
        raise ConfigError(f"{key} is not a dataset config (it needs a _target_ loader path)")
    require_all(node, key)
    own_split, own_transform = node.get("split") or {}, node.get("transform") or {}
    params = {k: v for k, v in node.items() if k not in RESERVED}
    sp, sp_keys = layered("split", name, split, own_split, given)
    tr, tr_keys = layered("transform", name, transform, own_transform, given)
    return DatasetSettings(
        name=name,
        target=str(node["_target_"]),
        params=params,
        split=parse_split(sp, "split", sp_keys),
        transform=parse_transform(tr, "transform", tr_keys),
        y_target=own_or_run(name, node, "target", target, given, Target),
        variance_proxy=own_or_run(name, node, "variance_proxy", variance_proxy, given, VarianceProxy),
        window=own_window(name, node, given),
    )


def own_window(name: str, node: Mapping[str, Any], given: frozenset[str]) -> int | None:
    """A dataset's own ``window`` (None: the run's), as :func:`own_or_run`: a ``window=`` typed on
    the command line beats it unless ``datasets.<name>.window`` is typed too."""
    mine = f"datasets.{name}.window"
    if "window" in node and (mine in given or "window" not in given):
        return as_int(mine, node["window"], 1, allow_none=True)
    return None


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


def parse_names(key: str, value: Any) -> tuple[str, ...]:
    """A list of model names (null = none). Names the run does not have are allowed: the default
    config's list stays valid whatever ``models=[...]`` a command picks."""
    if value is None:
        return ()
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(f"{key} must be a list of model names, e.g. {key}=[ewma], not {value!r}")
    return tuple(value)


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
