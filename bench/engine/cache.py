"""Content-addressed store of task results: a task whose inputs did not change is not recomputed.

The key is the sha256 of a canonical JSON of everything that decides a task's result (settings,
a fingerprint of the data, package versions), so the same inputs give the same key in every
process and a changed float gives another one. An entry is a small header (key, payload checksum,
size) followed by the pickled result; it is written atomically, and an entry that does not verify
is deleted and recomputed rather than trusted. The cache only ever holds files this project wrote
itself: pickle is not safe for files from elsewhere.
"""

from __future__ import annotations

import ast
import dataclasses
import enum
import functools
import hashlib
import importlib.util
import json
import math
import os
import pickle
import tempfile
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path, PurePath
from typing import Any

import numpy as np
import pandas as pd

MAGIC = b"lagbench-cache 1\n"
CHECKPOINT_EVERY = 2.0  # seconds between checkpoints of a running task (bounds their cost)
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


# The parts of lagbench whose code decides every task's result whatever the model: the fold loop,
# the transforms, the records. A model's own code enters its tasks' keys through ``module_closure``
# (scoring and reports work on stored forecasts, so editing them never throws the cache away).
ENGINE_CODE = ("engine", "prep", "types.py")


def code_fingerprint(root: Path | None = None, parts: tuple[str, ...] = ENGINE_CODE) -> str:
    """sha256 over the source of ``parts`` of the ``bench`` package (paths and contents), so an
    edited runner or transform gets new keys even though the package version did not change."""
    root = Path(__file__).resolve().parents[1] if root is None else Path(root)
    h = hashlib.sha256()
    for part in parts:
        p = root / part
        files = sorted(p.rglob("*.py")) if p.is_dir() else [p] if p.exists() else []
        for f in files:
            h.update(f"{f.relative_to(root).as_posix()}\n".encode())
            h.update(hashlib.sha256(f.read_bytes()).digest())
    return h.hexdigest()


def targets_of(node: Any) -> list[str]:
    """Every ``_target_`` in a (nested) config: the model's class and any object it is built with."""
    if isinstance(node, Mapping):
        here = [str(node["_target_"])] if "_target_" in node else []
        return here + [t for k, v in node.items() if k != "_target_" for t in targets_of(v)]
    if isinstance(node, (list, tuple)):
        return [t for v in node for t in targets_of(v)]
    return []


def model_code(targets: list[str]) -> dict[str, str]:
    """sha256 of the source of every module that computes these targets: each target's module and
    the modules it imports from its own package (or, for a top-level module, its own directory),
    transitively — a user's ``my_pkg/drift.py`` and its helpers included, site-packages excluded."""
    out: dict[str, str] = {}
    for target in targets:
        module = _module_of(target)
        if module is not None:
            for name, path in _closure(module):
                out[name] = _file_hash(path)
    return dict(sorted(out.items()))


def _module_of(target: str) -> str | None:
    """The longest importable module prefix of a dotted target (``a.b.C.method`` → ``a.b``)."""
    parts = target.split(".")
    for n in range(len(parts), 0, -1):
        name = ".".join(parts[:n])
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            spec = None
        if spec is not None and spec.origin not in (None, "built-in", "frozen"):
            return name
    return None


@functools.cache
def _closure(module: str) -> tuple[tuple[str, Path], ...]:
    """(name, source file) of ``module`` and what it imports from its own package, transitively.

    Cached per process: a user edits a module between runs, not during one.
    """
    spec = importlib.util.find_spec(module)
    origin = Path(spec.origin)
    top = module.split(".")[0]
    home = origin.parent if "." not in module and spec.submodule_search_locations is None else None
    seen: dict[str, Path] = {}
    todo = [module]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        try:
            sp = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            continue
        if sp is None or sp.origin is None or not sp.origin.endswith(".py"):
            continue
        path = Path(sp.origin)
        if home is not None and path.parent != home:
            continue  # a top-level module's helpers live beside it
        seen[name] = path
        parents = [".".join(name.split(".")[:n]) for n in range(1, name.count(".") + 1)]
        todo += parents if home is None else []  # a package's __init__ runs before its modules
        todo += [m for m in _imported(path, name, sp.submodule_search_locations is not None)
                 if m.split(".")[0] == top or (home is not None and "." not in m)]  # fmt: skip
    return tuple(sorted(seen.items()))


def _imported(path: Path, name: str, is_package: bool) -> list[str]:
    """Absolute names of the modules a source file imports (``from x import y`` adds x.y too)."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError):
        return []
    package = name if is_package else name.rpartition(".")[0]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: max(0, len(package.split(".")) - node.level + 1)]
                base = ".".join([*anchor, base] if base else anchor)
            if base:
                out.append(base)
                out += [f"{base}.{a.name}" for a in node.names if a.name != "*"]
    return out


def _file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass
class CacheStats:
    """What the cache did in this process (mutable counters, reported at the end of a run)."""

    hits: int = 0
    misses: int = 0
    writes: int = 0
    corrupt: int = 0  # entries that failed verification, deleted
    write_errors: int = 0  # puts that could not be written (disk full, permissions): result not cached


class TaskCache:
    """Results by key under ``root/<key[:2]>/<key>.pkl``; ``enabled=False`` stores and finds nothing."""

    def __init__(self, root: Path, enabled: bool = True) -> None:
        self.root = Path(root)
        self.enabled = enabled
        self.stats = CacheStats()

    def path(self, key: str) -> Path:
        if len(key) != 64 or any(c not in "0123456789abcdef" for c in key):
            raise ValueError(f"cache key must be 64 lowercase hex digits (a task_key), not {key!r}")
        return self.root / key[:2] / f"{key}.pkl"

    def get(self, key: str, count: bool = True) -> object | None:
        """The stored result, or None when absent or when the entry does not verify (then deleted).

        ``count=False``: a read-back after ``put``, not a lookup (the stats stay those of lookups).
        """
        if not self.enabled:
            return None
        path = self.path(key)
        try:
            blob = path.read_bytes()
        except FileNotFoundError:
            self.stats.misses += count
            return None
        obj = _decode(blob, key)
        if obj is _BAD:
            path.unlink(missing_ok=True)
            self.stats.corrupt += count
            self.stats.misses += count
            return None
        self.stats.hits += count
        return obj

    def checkpoint_path(self, key: str) -> Path | None:
        """Where a running task saves its fold loop's state (None when the cache is off)."""
        return self.root / "running" / f"{key}.pkl" if self.enabled else None

    def drop_checkpoint(self, key: str | None) -> None:
        """A finished task's checkpoint is no longer needed (its result is stored)."""
        if self.enabled and key is not None:
            self.root.joinpath("running", f"{key}.pkl").unlink(missing_ok=True)

    def put(self, key: str, obj: object) -> bool:
        """Store ``obj`` under ``key`` atomically; False (with a warning) when the disk refuses.

        An object that cannot be pickled is a bug and raises.
        """
        if not self.enabled:
            return False
        path = self.path(key)
        try:
            _store(path, key, obj)
        except OSError as exc:
            self.stats.write_errors += 1
            warnings.warn(f"task cache: could not write {path} ({exc}); result not cached", stacklevel=2)
            return False
        self.stats.writes += 1
        return True


class Checkpoint:
    """The state of a running task's fold loop, saved atomically under the task's key.

    ``save`` writes at most every ``every`` seconds (the loop calls it at each scheduled refit; its
    state at any of them resumes to identical results, so skipping some only costs redone folds).
    ``path=None`` (cache off) saves and finds nothing. An entry that does not verify is ignored.
    """

    def __init__(self, path: Path | None, every: float | None = None) -> None:
        self.path = None if path is None else Path(path)
        self.every = CHECKPOINT_EVERY if every is None else every
        self._last = time.monotonic()

    def load(self) -> Any:
        if self.path is None:
            return None
        try:
            obj = _decode(self.path.read_bytes(), self.path.stem)
        except FileNotFoundError:
            return None
        return None if obj is _BAD else obj

    def save(self, state: Any) -> None:
        if self.path is None or time.monotonic() - self._last < self.every:
            return
        try:
            _store(self.path, self.path.stem, state, overwrite=True)
        except OSError as exc:
            warnings.warn(f"task checkpoint: could not write {self.path} ({exc})", stacklevel=2)
        self._last = time.monotonic()


def _store(path: Path, key: str, obj: object, overwrite: bool = False) -> None:
    """Header (key, checksum, size) + pickled payload, written atomically; an unpicklable object raises."""
    payload = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    header = {"key": key, "sha256": hashlib.sha256(payload).hexdigest(), "size": len(payload)}
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_atomic(path, MAGIC + json.dumps(header).encode("ascii") + b"\n" + payload, overwrite)


_BAD = object()


def _decode(blob: bytes, key: str) -> object:
    """The unpickled payload if magic, key, size and checksum all match, else ``_BAD``."""
    if not blob.startswith(MAGIC):
        return _BAD
    head, sep, payload = blob[len(MAGIC) :].partition(b"\n")
    try:
        header = json.loads(head) if sep else None
    except (json.JSONDecodeError, UnicodeDecodeError):
        return _BAD
    if not isinstance(header, dict) or header.get("key") != key or header.get("size") != len(payload):
        return _BAD
    if header.get("sha256") != hashlib.sha256(payload).hexdigest():
        return _BAD
    try:
        return pickle.loads(payload)
    except Exception:  # noqa: BLE001 - a checksummed payload that will not load (moved class, ...)
        return _BAD


def _write_atomic(path: Path, data: bytes, overwrite: bool = False) -> None:
    """Temporary file in the same dir, flushed and fsynced, then linked into place: a reader sees
    the whole entry or none, and a crash part-way leaves neither the entry nor the temporary file.

    The first writer wins (``os.link`` refuses an existing name): when two sweep jobs compute the
    same task at once, both end up with the one stored result, so their files agree to the byte.
    ``overwrite`` (a checkpoint, which moves on): the new file replaces the old one.
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem[:8]}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if overwrite:
            os.replace(tmp, path)
            return
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        except OSError:  # a filesystem without hard links: replace, last writer wins
            os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


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
