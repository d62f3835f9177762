"""The ``split``/``transform`` sections and the datasets, each layered over the run's values.

Its own module because the layering (run value < dataset YAML < command line) is the one subtle rule
of the settings: which value wins, and the full key a message names for it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bench.errors import ConfigError
from bench.parse_values import as_bool, as_int, int_or_auto, namer, require_all, unknown
from bench.settings import (
    BoxCox,
    DatasetSettings,
    ScaleKind,
    SplitKind,
    SplitSettings,
    Target,
    TransformSettings,
    VarianceProxy,
    check_choice,
)

RESERVED = {"_target_", "_partial_", "split", "transform", "target", "variance_proxy", "window"}


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
