"""The Hydra boundary: configs are composed by Hydra and become plain data here and nowhere else.

:func:`compose` is the one way lagbench composes its config outside ``@hydra.main`` (tests,
``make perf``, ``make reproduce``). :func:`load_settings` resolves interpolations, adds the baseline
model when the run did not ask for it (found by Hydra, so a user's config dir may define it), and
parses the result, told which settings the command line typed, into :class:`bench.settings.Settings`.
:func:`check_command_line` composes the command line once with Hydra's Compose API before Hydra runs
it and rewords Hydra's own errors (unknown config, unknown key, bad override) into one paragraph.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from hydra import compose as hydra_compose
from hydra import initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import HydraException, MissingConfigException
from omegaconf import DictConfig, OmegaConf, open_dict
from omegaconf.errors import OmegaConfBaseException

from bench.errors import ConfigError
from bench.parse import parse_settings
from bench.settings import Settings

CONF = Path(__file__).resolve().parents[1] / "conf"
SEARCHPATH = "hydra.searchpath"


@contextmanager
def hydra_context() -> Iterator[None]:
    """Hydra's global state: the running app's inside ``@hydra.main`` (its search path, ``--config-dir``
    included), else one made for the package's ``conf/`` and dropped afterwards."""
    if GlobalHydra.instance().is_initialized():
        yield
        return
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        yield


def compose(
    overrides: Sequence[str] = (), config_dir: str | Path | None = None, config_name: str = "config"
) -> DictConfig:
    """The run's config as ``python -m bench.run [--config-dir DIR] OVERRIDES`` composes it (no run dir).

    ``hydra.searchpath=[file://…]`` among the overrides and ``config_dir`` add a user's configs.
    """
    with hydra_context():
        return hydra_compose(config_name=config_name, overrides=with_config_dir(overrides, config_dir))


def key_of(override: str) -> str:
    """The key an override sets, without ``+``/``++``/``~`` (``+split.folds=3`` → ``split.folds``)."""
    return override.split("=", 1)[0].lstrip("+~")


def search_dirs(overrides: Sequence[str]) -> list[str]:
    """The entries of the last ``hydra.searchpath=[…]`` override (Hydra applies the last one)."""
    given = [o for o in overrides if key_of(o) == SEARCHPATH]
    if not given:
        return []
    (parsed,) = OverridesParser.create().parse_overrides([given[-1]])
    value = parsed.value()
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def with_config_dir(overrides: Sequence[str], config_dir: str | Path | None) -> list[str]:
    """``overrides`` with ``config_dir`` first on ``hydra.searchpath`` (where ``--config-dir`` puts it:
    after the package's ``conf/``, before the other search-path entries)."""
    if config_dir is None:
        return list(overrides)
    dirs = [f"file://{Path(config_dir).resolve()}", *search_dirs(overrides)]
    quoted = ",".join("'" + d.replace("\\", "\\\\").replace("'", "\\'") + "'" for d in dirs)
    return [*(o for o in overrides if key_of(o) != SEARCHPATH), f"{SEARCHPATH}=[{quoted}]"]


def group_options(
    group: str, overrides: Sequence[str] = (), config_dir: str | Path | None = None
) -> list[str]:
    """Names Hydra knows in a config group (``models``, ``datasets``, …), user search-path dirs included."""
    searchpath = [o for o in with_config_dir(overrides, config_dir) if key_of(o) == SEARCHPATH]
    with hydra_context():
        loader = GlobalHydra.instance().config_loader()
        return sorted(loader.get_group_options(group, config_name=None, overrides=searchpath))


def config_dirs(group: str, overrides: Sequence[str] = (), config_dir: str | Path | None = None) -> str:
    """Where ``group``'s configs are looked for, for messages: ``conf/models/`` and any user dirs."""
    if group.startswith("hydra/"):
        return "Hydra and its installed plugins"
    dirs = [f"conf/{group}/"]
    for entry in search_dirs(with_config_dir(overrides, config_dir)):
        dirs.append(f"{entry.removeprefix('file://').rstrip('/')}/{group}/")
    return " and ".join(dirs)


def with_baseline(
    cfg: DictConfig, overrides: Sequence[str] = (), config_dir: str | Path | None = None
) -> bool:
    """Put the baseline model first in ``cfg.models`` if absent; True when it had to be added.

    Its config is composed by Hydra, on the run's search path: a user's config dir may define it.
    """
    baseline = str(cfg.get("baseline", "naive"))
    if baseline in (cfg.get("models") or {}):
        return False
    searchpath = [o for o in with_config_dir(overrides, config_dir) if key_of(o) == SEARCHPATH]
    try:
        with hydra_context():
            node = hydra_compose(
                config_name=None, overrides=[*searchpath, f"+models@models.{baseline}={baseline}"]
            )
    except (HydraException, OmegaConfBaseException) as exc:
        known = group_options("models", overrides, config_dir)
        raise ConfigError(
            f"baseline={baseline} is not a model config; choose one of: {', '.join(known)} "
            f"(configs in {config_dirs('models', overrides, config_dir)})"
        ) from exc
    with open_dict(cfg):
        others = dict(cfg.get("models") or {})
        cfg.models = {baseline: node.models[baseline], **others}
    return True


def check_packages(cfg: DictConfig, overrides: Sequence[str] = ()) -> None:
    """A model or dataset YAML without its ``# @package models.<name>`` line puts its keys straight
    into ``models`` (Hydra's default package for a group): name the file and the missing line."""
    for group in ("models", "datasets"):
        node = cfg.get(group)
        if not isinstance(node, DictConfig) or "_target_" not in node:
            continue
        chosen = [n for o in overrides if key_of(o) == group for n in names(o.split("=", 1)[1])]
        name = next((n for n in chosen if n not in node), "<name>")
        stray = ", ".join(k for k in node if not isinstance(node[k], DictConfig))
        raise ConfigError(
            f"{group}: the config {group}/{name}.yaml put its keys ({stray}) straight into {group}; "
            f"its first line must be '# @package {group}.{name}' (as in every file of conf/{group}/)"
        )


def names(value: str) -> list[str]:
    """Config names in an override's value (``[naive,lstm]`` → naive, lstm)."""
    return re.findall(r"[^\[\],\s'\"]+", value)


def to_plain(cfg: DictConfig) -> dict[str, Any]:
    """Resolved plain data; required values (``???``) stay visible for the parser to name."""
    try:
        return OmegaConf.to_container(cfg, resolve=True, throw_on_missing=False)  # type: ignore[return-value]
    except OmegaConfBaseException as exc:
        key = getattr(exc, "full_key", "") or ""
        raise ConfigError(f"the setting {key} cannot be resolved: {' '.join(str(exc).split())}") from exc


def window_followers(cfg: DictConfig) -> frozenset[str]:
    """The models whose config reads the run's window (``window: ${window}``, before resolution):
    a dataset's own ``window`` replaces it; a preset with a fixed window (``lstm_sales``) keeps it."""
    models = cfg.get("models") or {}
    raw = {n: OmegaConf.to_container(v, resolve=False) for n, v in models.items() if OmegaConf.is_dict(v)}
    return frozenset(str(n) for n, node in raw.items() if node.get("window") == "${window}")


def load_settings(
    cfg: DictConfig, overrides: Sequence[str] = (), config_dir: str | Path | None = None
) -> Settings:
    """Typed settings of a composed config; ``overrides`` are the command line's (what the user typed
    beats a dataset's own ``split``/``transform``; ``hydra.searchpath`` finds the baseline)."""
    check_packages(cfg, overrides)
    added = with_baseline(cfg, overrides, config_dir)
    typed = [o for o in overrides if not key_of(o).startswith("hydra")]
    return parse_settings(
        to_plain(cfg), baseline_added=added, overrides=typed, window_followers=window_followers(cfg)
    )


def settings_of(overrides: Sequence[str] = (), config_dir: str | Path | None = None) -> Settings:
    """Compose and parse in one step, as ``python -m bench.run OVERRIDES`` does."""
    return load_settings(compose(overrides, config_dir), overrides, config_dir)


def check_command_line(argv: Sequence[str]) -> str | None:
    """One paragraph for the first thing on ``python -m bench.run ARGV`` Hydra would refuse, else None.

    Composes once with Hydra's Compose API (``--config-dir`` and ``hydra.searchpath`` honoured, an
    experiment's ``override /models`` applied). Under ``-m`` each sweep value is composed with the
    other sweeps at their first value; the values of settings are checked when each job runs.
    """
    from hydra._internal.utils import get_args_parser

    args = get_args_parser().parse_args(list(argv))  # Hydra's own flags; it exits 2 on a bad one
    if args.help or args.hydra_help or args.cfg or args.info or args.shell_completion or args.config_path:
        return None  # Hydra's own commands, or another primary config dir: Hydra reports on them
    parser, overrides, sweeps = OverridesParser.create(), list(args.overrides), {}
    for i, arg in enumerate(overrides):
        try:
            (parsed,) = parser.parse_overrides([arg])
        except HydraException as exc:
            why = " ".join(str(exc).split()).split(" See https://")[0]
            return (
                f"{arg!r} is not a valid override ({why}); write key=value, quoting values with "
                "brackets, commas or spaces, e.g. 'models=[naive,lstm]'"
            )
        if parsed.is_sweep_override():
            if not args.multirun:
                return f"{arg} lists several values (a sweep): add -m to run one job per value"
            try:
                sweeps[i] = list(parsed.sweep_string_iterator())
            except HydraException:
                return None  # glob/interval sweeps: Hydra expands them, each job is checked as it runs
    if args.config_dir is not None and not Path(args.config_dir).is_dir():
        return f"--config-dir {args.config_dir}: no such directory (a dir holding models/, datasets/, …)"
    for entry in search_dirs(overrides):
        if entry.startswith("file://") and not Path(entry.removeprefix("file://")).is_dir():
            return f"{SEARCHPATH}: {entry} is not a directory; list existing config dirs, e.g. [file:///abs/conf]"
    keys = {i: overrides[i].split("=", 1)[0] for i in sweeps}  # with their +/~ prefixes
    first = [f"{keys[i]}={sweeps[i][0]}" if i in sweeps else o for i, o in enumerate(overrides)]
    variants = [first]
    for i, values in sweeps.items():
        variants += [[*first[:i], f"{keys[i]}={v}", *first[i + 1 :]] for v in values[1:]]
    for variant in variants:
        problem = composition_problem(variant, args.config_dir, args.config_name or "config")
        if problem:
            return problem
    return None


def composition_problem(overrides: list[str], config_dir: str | None, config_name: str) -> str | None:
    """Compose; Hydra's error, if any, as one paragraph naming the override, the name or key, and
    what is allowed there."""
    try:
        cfg = compose(overrides, config_dir, config_name)
    except MissingConfigException as exc:
        return _unknown_config(exc, overrides, config_dir)
    except (HydraException, OmegaConfBaseException) as exc:
        text = " ".join(str(exc).split()).split(" Config search path:")[0]
        cause = exc.__cause__
        where = re.match(r"Could not override '([^']+)'\.", str(exc))
        if where and "not in struct" in str(cause):
            missing = getattr(cause, "full_key", where.group(1))
            return _unknown_key(where.group(1), missing, overrides, config_dir, config_name)
        nothing = re.match(r"Could not (override|delete) '([^']+)'\. No match in the defaults list", str(exc))
        if nothing:
            arg = next((o for o in overrides if key_of(o) == nothing.group(2)), nothing.group(2))
            return f"{arg}: the run selects no {nothing.group(2)} config to {nothing.group(1)}" + (
                f"; write +{arg} to add one" if nothing.group(1) == "override" else ""
            )
        return f"the command line cannot be composed: {text}"
    try:
        check_packages(cfg, overrides)
    except ConfigError as exc:
        return str(exc)
    return None


def _unknown_config(exc: MissingConfigException, overrides: list[str], config_dir: str | None) -> str:
    group, _, name = str(exc.missing_cfg_file).rpartition("/")
    kind = {"models": "model", "datasets": "dataset"}.get(group, group)
    have = list(exc.options or []) or group_options(group, overrides, config_dir)
    known = f"available: {', '.join(have)} (configs in {config_dirs(group, overrides, config_dir)})"
    for arg in overrides:
        key, _, value = arg.partition("=")
        if key.lstrip("+~").split("@")[0] == group and name in names(value):
            return f"{arg}: there is no {kind} named {name!r}; {known}"
    source = re.match(r"In '([^']+)'", str(exc))
    where = source.group(1) if source else "config"
    return f"the config {where} selects {group}/{name}, which does not exist; {known}"


def _unknown_key(
    key: str, missing: str, overrides: list[str], config_dir: str | None, config_name: str
) -> str:
    arg = next((o for o in overrides if key_of(o) == key), key)
    parent = missing.rpartition(".")[0]
    try:
        cfg: Any = compose([o for o in overrides if o != arg], config_dir, config_name)
    except (HydraException, OmegaConfBaseException):
        cfg = None
    if cfg is not None and parent in ("models", "datasets"):
        chosen = ",".join(cfg.get(parent) or {})
        return (
            f"{key}: {missing} is not in this run ({parent}=[{chosen}]); add it to {parent}=[…] "
            "or drop the override"
        )
    node = OmegaConf.select(cfg, parent) if cfg is not None and parent else cfg
    takes = sorted(k for k in node if k != "_partial_") if isinstance(node, DictConfig) else []
    return (
        f"unknown setting {key} (in {arg!r}); {parent or 'the config'} takes: "
        f"{', '.join(takes) or 'no sub-settings'}; to add a new key on purpose write +{arg}"
    )
