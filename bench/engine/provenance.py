"""Where every number came from: code version, packages, threads, device and data fingerprints.

Written into ``run.json`` beside the results so any number in a report can be traced back.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd

from bench.engine.task_keys import package_versions
from bench.types import Collection

ROOT = Path(__file__).resolve().parents[2]
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "PYTHONHASHSEED")


def git_commit(root: Path = ROOT) -> str:
    """The project's commit (``+dirty`` when the work tree has changes), or why there is none."""
    try:
        head = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10
        )
        if head.returncode != 0:
            return "not a git checkout"
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, timeout=10,
        )  # fmt: skip
        return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return "not a git checkout (git unavailable)"


def fingerprint(frame: pd.DataFrame) -> str:
    """sha256 over ids, timestamps and values: the same data give the same fingerprint anywhere."""
    h = hashlib.sha256()
    h.update("\x1f".join(map(str, frame["unique_id"])).encode())
    h.update(pd.to_datetime(frame["ds"]).to_numpy().astype("datetime64[ns]").tobytes())
    h.update(frame["y"].to_numpy(dtype="float64").tobytes())
    return h.hexdigest()


def torch_info() -> dict[str, object]:
    """Device and thread settings of torch if this run loaded it (it is imported only for nets)."""
    torch = sys.modules.get("torch")
    if torch is None:
        return {"loaded": False}
    return {
        "loaded": True,
        "cuda": bool(torch.cuda.is_available()),
        "device": "cuda" if torch.cuda.is_available() else "cpu",
        "threads": torch.get_num_threads(),
    }


def provenance(collections: dict[str, Collection]) -> dict[str, object]:
    return {
        "git_commit": git_commit(),
        "python": sys.version.split()[0],
        "versions": package_versions(),
        "threads": {k: os.environ.get(k) for k in THREAD_VARS},
        "cpus": os.cpu_count(),
        "torch": torch_info(),
        "data_fingerprints": {name: fingerprint(c.frame) for name, c in collections.items()},
    }
