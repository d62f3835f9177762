"""Run one experiment config through the benchmark itself (``bench.benchmark``), in process.

An experiment is a named config ``conf/experiment/<name>.yaml``; this composes it exactly as
``python -m bench.run +experiment=<name> [overrides]`` does and runs it into a fixed directory, so
the reproduction pages read the same ``metrics.csv`` and ``report.md`` any user run writes.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from bench.config import settings_of
from bench.settings import Settings


@dataclass(frozen=True)
class RunResult:
    """Where a config's run went and what it scored (``metrics.csv``), with its wall time."""

    config: str
    run_dir: Path
    metrics: pd.DataFrame
    seconds: float
    overrides: tuple[str, ...]

    @property
    def report(self) -> Path:
        return self.run_dir / "report.md"


def experiment_settings(config: str, overrides: tuple[str, ...] = ()) -> Settings:
    """The experiment's settings, composed and parsed as the command line would."""
    return settings_of([f"+experiment={config}", *overrides])


def run_config(config: str, run_dir: Path, overrides: tuple[str, ...] = ()) -> RunResult:
    """Compose, run (tables, metrics, report with plots) and read back ``metrics.csv``."""
    from bench.benchmark import benchmark

    start = time.perf_counter()
    benchmark(experiment_settings(config, overrides), Path(run_dir))
    seconds = time.perf_counter() - start
    done = {"config": config, "seconds": seconds, "overrides": list(overrides)}
    (Path(run_dir) / DONE).write_text(json.dumps(done, indent=2), encoding="utf-8")
    return read_back(Path(run_dir))


DONE = "reproduce.json"


def read_back(run_dir: Path) -> RunResult | None:
    """A finished run of an earlier invocation (``--reuse``), or None when there is none."""
    done = Path(run_dir) / DONE
    if not done.is_file() or not (Path(run_dir) / "metrics.csv").is_file():
        return None
    d = json.loads(done.read_text(encoding="utf-8"))
    metrics = pd.read_csv(Path(run_dir) / "metrics.csv")
    return RunResult(d["config"], Path(run_dir), metrics, float(d["seconds"]), tuple(d["overrides"]))
