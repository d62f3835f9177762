"""Read a Hydra sweep from its files: one record per job dir, the swept parameters, all rows.

Jobs may have run in other processes or on other machines (joblib, Ray, SLURM), so nothing here
relies on in-memory state: every fact comes from the job directories under the sweep dir.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from bench.store import EXACT, read_csv_table  # noqa: F401 - EXACT is re-exported (tests read with it)

NO_RESULTS = "no results (see the job's log)"


@dataclass(frozen=True)
class Job:
    """One job dir of a sweep: its overrides and either its metrics or why it has none."""

    num: int
    dir: Path
    overrides: tuple[str, ...]
    params: dict[str, str]  # override key -> value as typed on the command line
    metrics: pd.DataFrame | None
    info: dict  # run.json ({} when absent)
    error: str | None  # None when the job has results

    @property
    def ok(self) -> bool:
        return self.metrics is not None


def is_sweep_dir(path: Path) -> bool:
    """A Hydra multirun root: ``multirun.yaml`` or at least one job dir with ``.hydra/overrides.yaml``."""
    path = Path(path)
    return (path / "multirun.yaml").exists() or bool(_job_dirs(path))


def override_key(override: str) -> tuple[str, str]:
    """``window=5`` -> (``window``, ``5``); ``+a.b=1`` -> (``a.b``, ``1``); ``~a`` -> (``a``, deleted)."""
    head, sep, value = override.partition("=")
    key = head.lstrip("+~")
    if not sep:
        value = "(deleted)"
    return key, value


def read_jobs(sweep_dir: Path) -> list[Job]:
    """Every job dir of the sweep in job-number order, failed ones included."""
    return sorted((read_job(d) for d in _job_dirs(Path(sweep_dir))), key=lambda j: (j.num, j.dir.name))


def read_job(job_dir: Path) -> Job:
    overrides = tuple(_yaml(job_dir / ".hydra" / "overrides.yaml") or [])
    params = dict(override_key(o) for o in overrides)
    info = _json(job_dir / "run.json")
    metrics, error = None, None
    f = job_dir / "metrics.csv"
    if f.exists():
        try:
            metrics = read_csv_table(f)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
            error = f"metrics.csv cannot be read ({exc})"
    if metrics is None and error is None:
        error = _error_text(job_dir)
    return Job(_job_num(job_dir), job_dir, overrides, params, metrics, info, error)


def swept_keys(jobs: Sequence[Job]) -> list[str]:
    """Override keys whose value differs between jobs (or that only some jobs set), in the order
    they first appear: these are the sweep's axes."""
    keys: list[str] = []
    for j in jobs:
        keys += [k for k in j.params if k not in keys]
    return [k for k in keys if len({j.params.get(k) for j in jobs}) > 1]


def combined_metrics(jobs: Sequence[Job], keys: Sequence[str], name: str = "metrics.csv") -> pd.DataFrame:
    """Every job's rows of ``name`` (metrics.csv by default) with a ``job`` column and one column per
    swept key (its value)."""
    frames = []
    for j in jobs:
        if not j.ok:
            continue
        if name == "metrics.csv":
            m = j.metrics.copy()
        elif (j.dir / name).exists():
            m = read_csv_table(j.dir / name)
        else:
            continue
        cols = {param_column(k, m.columns): j.params.get(k) for k in keys}
        frames.append(pd.concat([pd.DataFrame({"job": j.num, **cols}, index=m.index), m], axis=1))
    if not frames:
        return pd.DataFrame(columns=["job", *[param_column(k, []) for k in keys]])
    return pd.concat(frames, ignore_index=True)


def param_column(key: str, metric_columns) -> str:
    """The override key itself, unless a metric already has that name (then ``<key> (override)``)."""
    return f"{key} (override)" if key in set(metric_columns) | {"job"} else key


def sweep_overrides(sweep_dir: Path) -> tuple[list[str], list[str]]:
    """(task, hydra) overrides as given to the multirun, from ``multirun.yaml`` ([] when absent)."""
    hydra_cfg = (_yaml(Path(sweep_dir) / "multirun.yaml") or {}).get("hydra") or {}
    ov = hydra_cfg.get("overrides") or {}
    hydra = [o for o in ov.get("hydra") or [] if o != "hydra.mode=MULTIRUN"]
    # Sweeps may also be declared in the config (hydra.sweeper.params), not on the command line.
    params = (hydra_cfg.get("sweeper") or {}).get("params") or {}
    return list(ov.get("task") or []) + [f"{k}={v}" for k, v in params.items()], hydra


def config_order(jobs: Sequence[Job], section: str, seen: pd.Series) -> list[str]:
    """Names in the order the jobs' configs list them (``models``/``datasets`` in run.json), then any
    others in the order they appear in ``seen``."""
    names: list[str] = []
    for j in jobs:
        names += [n for n in (j.info.get("config") or {}).get(section) or {} if n not in names]
    present = list(dict.fromkeys(seen.dropna()))
    return [n for n in names if n in present] + [n for n in present if n not in names]


def _job_dirs(sweep_dir: Path) -> list[Path]:
    if not sweep_dir.is_dir():
        return []
    return [d for d in sweep_dir.iterdir() if d.is_dir() and (d / ".hydra" / "overrides.yaml").exists()]


def _job_num(job_dir: Path) -> int:
    """Hydra's own job number (``hydra.job.num``); the dir name is only a fallback, since
    ``hydra.sweep.subdir`` may be set to anything."""
    hydra = (_yaml(job_dir / ".hydra" / "hydra.yaml") or {}).get("hydra") or {}
    num = (hydra.get("job") or {}).get("num")
    if isinstance(num, int):
        return num
    return int(job_dir.name) if job_dir.name.isdigit() else -1


def _error_text(job_dir: Path) -> str:
    """The job's own one-paragraph ``error.txt``, else a pointer to its log."""
    f = job_dir / "error.txt"
    if f.exists():
        text = re.sub(r"\s+", " ", f.read_text(encoding="utf-8", errors="replace")).strip()
        if text:
            return text
    logs = sorted(p.name for p in job_dir.glob("*.log") if p.stat().st_size > 0)
    return NO_RESULTS if not logs else f"no results (see the job's log, `{job_dir.name}/{logs[0]}`)"


def _yaml(path: Path):
    if not path.exists():
        return None
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError:
        return None


def _json(path: Path) -> dict:
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        return {}
