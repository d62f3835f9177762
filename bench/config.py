"""The Hydra boundary: the composed ``DictConfig`` becomes plain data here and nowhere else.

Below this module nothing reads a ``DictConfig``: :func:`load_settings` resolves interpolations,
adds the baseline model when the run did not ask for it (every ratio is against it), and parses
the result into :class:`bench.settings.Settings`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from omegaconf import DictConfig, OmegaConf, open_dict
from omegaconf.errors import OmegaConfBaseException

from bench.errors import ConfigError
from bench.parse import parse_settings
from bench.settings import Settings

CONF = Path(__file__).resolve().parents[1] / "conf"


def available(group: str) -> list[str]:
    """Names of the configs in ``conf/<group>/`` (what ``models=[…]`` / ``datasets=[…]`` accept)."""
    return sorted(p.stem for p in (CONF / group).glob("*.yaml"))


GROUPS = {"models": "models", "datasets": "datasets", "experiment": "experiment"}


def unknown_choice(args: list[str]) -> str | None:
    """One paragraph for the first ``models=[…]`` / ``datasets=[…]`` / ``+experiment=…`` override that
    names a config that does not exist (Hydra's own message lists its search path instead)."""
    for arg in args:
        key, sep, value = arg.lstrip("+~").partition("=")
        group = GROUPS.get(key)
        if not sep or group is None or not (CONF / group).is_dir():
            continue
        names = re.findall(r"[^\[\],\s'\"]+", value)
        have = available(group)
        for name in names:
            if name not in have:
                return (
                    f"{key}={value}: there is no {group[:-1] if group.endswith('s') else group} "
                    f"named {name!r}; available: {', '.join(have)} (configs in conf/{group}/)"
                )
    return None


def bad_override(args: list[str], multirun: bool) -> str | None:
    """One paragraph for the first override Hydra's grammar refuses, or a sweep outside ``-m``
    (Hydra's own messages are several lines and exit code 1)."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import OverrideParseException

    parser = OverridesParser.create()
    for arg in args:
        if arg.startswith("-") or "=" not in arg:
            continue
        try:
            (override,) = parser.parse_overrides([arg])
        except OverrideParseException as exc:
            why = " ".join(str(exc).split()).split(" See https://")[0]
            return (
                f"{arg!r} is not a valid override ({why}); write key=value, quoting values with "
                "brackets, commas or spaces, e.g. 'models=[naive,lstm]'"
            )
        if override.is_sweep_override() and not multirun:
            return f"{arg} lists several values (a sweep): add -m to run one job per value"
    return None


def unknown_key(args: list[str]) -> str | None:
    """One paragraph for the first plain ``key=value`` override whose key the config does not have.

    Hydra's own message for it is several lines and exit code 1; this names the key, what the
    config there takes, and the ``+key=value`` form that adds a new key on purpose.
    """
    top = yaml.safe_load((CONF / "config.yaml").read_text())
    for arg in args:
        key, sep, _ = arg.partition("=")
        if not sep or key[:1] in "+~-" or any(c in key for c in "@/") or key in GROUPS:
            continue  # additions, deletions, packages, config groups
        if key.split(".")[0] == "hydra":
            continue
        parts = key.split(".")
        node: Any = top
        where = ""
        if parts[0] in ("models", "datasets") and len(parts) > 1:
            path = CONF / parts[0] / f"{parts[1]}.yaml"
            chosen = _chosen(args, top, parts[0])
            if not path.exists() or parts[1] not in chosen:
                return (
                    f"{key}: {parts[0]}.{parts[1]} is not in this run ({parts[0]}=[{','.join(chosen)}]); "
                    f"add it to {parts[0]}=[…] or drop the override"
                )
            node, where, parts = yaml.safe_load(path.read_text()) or {}, f"{parts[0]}.{parts[1]}", parts[2:]
        for part in parts:
            if not isinstance(node, dict) or part not in node or part == "defaults":
                keys = node if isinstance(node, dict) else {}
                takes = sorted(k for k in keys if k not in ("defaults", "_partial_"))
                return (
                    f"unknown setting {key} (in {arg!r}); {where or 'the config'} takes: "
                    f"{', '.join(takes) or 'no sub-settings'}; to add a new key on purpose write +{arg}"
                )
            node, where = node[part], f"{where}.{part}" if where else part
    return None


def _chosen(args: list[str], top: dict, group: str) -> list[str]:
    """The configs of ``group`` this command line selects (its last override, as Hydra applies them,
    else the defaults)."""
    for arg in reversed(args):
        key, sep, value = arg.lstrip("+~").partition("=")
        if sep and key == group:
            return re.findall(r"[^\[\],\s'\"]+", value)
    for entry in top.get("defaults", []):
        if isinstance(entry, dict) and group in entry:
            return list(entry[group])
    return []


def with_baseline(cfg: DictConfig) -> bool:
    """Put the baseline model first in ``cfg.models`` if absent; True when it had to be added."""
    baseline = str(cfg.get("baseline", "naive"))
    if baseline in (cfg.get("models") or {}):
        return False
    path = CONF / "models" / f"{baseline}.yaml"
    if not path.exists():
        raise ConfigError(
            f"baseline={baseline} is not a model config; choose one of: {', '.join(available('models'))}"
        )
    with open_dict(cfg):
        others = dict(cfg.get("models") or {})
        cfg.models = {baseline: OmegaConf.load(path), **others}
    return True


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


def load_settings(cfg: DictConfig) -> Settings:
    added = with_baseline(cfg)
    return parse_settings(to_plain(cfg), baseline_added=added, window_followers=window_followers(cfg))
