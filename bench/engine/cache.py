"""Content-addressed store of task results: a task whose inputs did not change is not recomputed.

An entry is a small header (key, payload checksum, size) followed by the pickled result; it is
written atomically, and an entry that does not verify is deleted and recomputed rather than trusted.
A running task's checkpoint is stored the same way. The cache only ever holds files this project
wrote itself: pickle is not safe for files from elsewhere. The keys are made in
``bench.engine.task_keys`` (inputs) and ``bench.engine.code_keys`` (source code).
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Re-exported: tests name the keys here, where they lived before the split.
from bench.engine.code_keys import code_fingerprint, model_code, targets_of
from bench.engine.task_keys import data_fingerprint, package_versions, task_key

__all__ = [
    "CHECKPOINT_EVERY",
    "MAGIC",
    "CacheStats",
    "Checkpoint",
    "TaskCache",
    "code_fingerprint",
    "data_fingerprint",
    "model_code",
    "package_versions",
    "targets_of",
    "task_key",
]

MAGIC = b"lagbench-cache 1\n"
CHECKPOINT_EVERY = 2.0  # seconds between checkpoints of a running task (bounds their cost)


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
