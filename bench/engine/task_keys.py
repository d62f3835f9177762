"""Task keys: the sha256 of a canonical JSON of everything that decides a task's result.

Settings, a fingerprint of the data and package versions go in, so the same inputs give the same key
in every process and a changed float gives another one. Apart from the store (``bench.engine.cache``)
because what makes two tasks the same is a question of its own, with its own tests.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import hashlib
import json
import math
from collections.abc import Mapping
from importlib import metadata
from pathlib import PurePath
from typing import Any

import numpy as np
import pandas as pd

PACKAGES = ("lagbench", "numpy", "pandas", "scipy", "statsmodels", "arch", "torch", "scikit-learn")


def task_key(parts: Mapping[str, Any]) -> str:
    """sha256 (hex) of the canonical JSON of ``parts``: key order does not matter, values do exactly."""
    text = json.dumps(canonical(dict(parts)), sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def canonical(v: Any) -> Any:
    """Plain JSON values for ``v``: numpy scalars as Python ones, floats as their exact repr (so
    0.1 and 0.1 + 1e-17 differ, and NaN/inf are representable), arrays by dtype, shape and a hash of
    their bytes, dataclasses and enums by type and value. Anything else is refused, since its
    ``repr`` may hold a memory address and make keys differ between processes."""
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return {"float": repr(float(v))}
    if isinstance(v, np.ndarray):
        return {"ndarray": str(v.dtype), "shape": list(v.shape), "sha256": _array_hash(v)}
    if isinstance(v, Mapping):
        return {"dict": sorted(([_key_text(k), canonical(x)] for k, x in v.items()), key=lambda kv: kv[0])}
    if isinstance(v, (list, tuple)):
        return [canonical(x) for x in v]
    if isinstance(v, (set, frozenset)):
        return {"set": sorted(json.dumps(canonical(x), sort_keys=True) for x in v)}
    if dataclasses.is_dataclass(v) and not isinstance(v, type):
        fields = {f.name: getattr(v, f.name) for f in dataclasses.fields(v)}
        return {"dataclass": f"{type(v).__module__}.{type(v).__qualname__}", "fields": canonical(fields)}
    if isinstance(v, enum.Enum):
        return {"enum": f"{type(v).__qualname__}.{v.name}", "value": canonical(v.value)}
    if isinstance(v, PurePath):
        return {"path": str(v)}
    if isinstance(v, pd.Timestamp):
        return {"timestamp": v.isoformat()}
    raise TypeError(f"task_key cannot hash a {type(v).__name__} ({v!r:.60}): pass plain values")


def data_fingerprint(values: np.ndarray, index: Any = None) -> str:
    """sha256 of a series' values (as float64) and its index: the data part of a task key."""
    h = hashlib.sha256()
    arr = np.ascontiguousarray(np.asarray(values, dtype=np.float64))
    h.update(f"values {arr.shape}\n".encode())
    h.update(arr.tobytes())
    h.update(_index_bytes(index))
    return h.hexdigest()


def package_versions() -> dict[str, str | None]:
    """Versions of the packages that decide a task's numbers (None when not installed)."""
    return dict(_versions())


@functools.cache
def _versions() -> tuple[tuple[str, str | None], ...]:
    # ~30 ms of metadata look-ups: once per process, not once per task key.
    out = []
    for pkg in PACKAGES:
        try:
            out.append((pkg, metadata.version(pkg)))
        except metadata.PackageNotFoundError:
            out.append((pkg, None))
    return tuple(out)


def _array_hash(a: np.ndarray) -> str:
    if a.dtype == object:
        return hashlib.sha256(json.dumps(canonical(a.tolist())).encode()).hexdigest()
    return hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()


def _key_text(k: Any) -> str:
    if isinstance(k, str):
        return k
    if isinstance(k, (int, np.integer)) and not isinstance(k, bool):
        return f"int:{int(k)}"
    raise TypeError(f"task_key needs str or int mapping keys, not {type(k).__name__} ({k!r:.60})")


def _index_bytes(index: Any) -> bytes:
    """Positions, timestamps (ns since the epoch, with tz) or labels, type-tagged so a RangeIndex
    and dates never collide."""
    if index is None:
        return b"index none"
    idx = pd.Index(index)
    if isinstance(idx, pd.RangeIndex):
        return f"index range {idx.start} {idx.stop} {idx.step}".encode()
    if isinstance(idx, pd.DatetimeIndex):
        head = f"index datetime {idx.tz} {len(idx)}\n".encode()  # ns whatever the stored unit
        return head + np.ascontiguousarray(idx.as_unit("ns").asi8).tobytes()
    if idx.dtype.kind in "iuf":
        arr = np.ascontiguousarray(idx.to_numpy())
        return f"index {arr.dtype} {len(arr)}\n".encode() + arr.tobytes()
    labels = [None if (isinstance(x, float) and math.isnan(x)) else str(x) for x in idx]
    return b"index labels\n" + json.dumps(labels, ensure_ascii=True).encode()
