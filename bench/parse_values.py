"""One setting at a time: whole numbers, ranges, booleans, closed choices, required and unknown keys.

Kept apart from the section parsers so each of them (run, datasets, scoring) checks a value the same
way and says so in the same words: the full command-line key, the value and what is allowed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from bench.errors import ConfigError
from bench.settings import MISSING


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


def namer(key: str, keys: Mapping[str, str] | None) -> Callable[[str], str]:
    return lambda field: (keys or {}).get(field, f"{key}.{field}")


def unknown(node: Mapping[str, Any], tp: type, key: str, name: Callable[[str], str] | None = None) -> None:
    known = set(tp.__dataclass_fields__)
    extra = sorted(set(node) - known)
    if extra:
        full = name(extra[0]) if name else f"{key}.{extra[0]}"
        raise ConfigError(
            f"unknown setting {full}; {full.rpartition('.')[0]} takes: {', '.join(sorted(known))}"
        )
