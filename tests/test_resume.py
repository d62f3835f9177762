"""Resume by content: finished tasks are reused, a killed run re-run gives the uninterrupted numbers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pandas.testing as pdt

from conftest import ROOT, TASK_ENTRIES, run_suite

BASE = ["datasets=[sine,sales]", "models=[naive,arima,linear]", "split.folds=4", "window=5"]


def cached(tmp_path: Path, extra: list[str] | None = None) -> list[str]:
    return [*BASE, "cache=true", f"cache_dir={tmp_path / 'cache'}", *(extra or [])]


def cache_info(run_dir: Path) -> dict:
    return json.loads((run_dir / "run.json").read_text())["cache"]


def test_a_rerun_reuses_every_task_and_gives_identical_files(tmp_path):
    first = run_suite(cached(tmp_path), tmp_path / "a")
    again = run_suite(cached(tmp_path), tmp_path / "b")
    assert cache_info(tmp_path / "a")["computed"] == cache_info(tmp_path / "a")["tasks"] == 6
    assert cache_info(tmp_path / "b")["computed"] == 0 and cache_info(tmp_path / "b")["hits"] == 6
    pdt.assert_frame_equal(first["forecasts"], again["forecasts"])
    assert (tmp_path / "a" / "metrics.csv").read_bytes() == (tmp_path / "b" / "metrics.csv").read_bytes()


def test_a_changed_setting_recomputes_only_the_tasks_it_touches(tmp_path):
    run_suite(cached(tmp_path), tmp_path / "a")
    run_suite(cached(tmp_path, ["models.linear.alpha=3.0"]), tmp_path / "b")
    assert cache_info(tmp_path / "b")["computed"] == 2  # linear on two datasets; naive and arima reused


def test_a_corrupt_entry_is_detected_and_recomputed(tmp_path):
    first = run_suite(cached(tmp_path), tmp_path / "a")
    entry = sorted((tmp_path / "cache").glob(TASK_ENTRIES))[0]
    entry.write_bytes(entry.read_bytes()[:-20])
    again = run_suite(cached(tmp_path), tmp_path / "b")
    info = cache_info(tmp_path / "b")
    assert info["corrupt"] == 1 and info["computed"] == 1
    pdt.assert_frame_equal(first["forecasts"], again["forecasts"])  # every task's rows are back


def test_a_run_killed_mid_way_resumes_to_the_uninterrupted_result(tmp_path):
    args = [*BASE, "models=[naive,arima,linear,lstm]", "debug=fast", "seeds=[0,1]", "n_jobs=1"]
    cache = tmp_path / "cache"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}

    def cli(run_dir: Path, more: list[str]) -> subprocess.Popen:
        cmd = [sys.executable, "-m", "bench.run", *args, *more, f"hydra.run.dir={run_dir}"]
        return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    proc = cli(tmp_path / "killed", ["cache=true", f"cache_dir={cache}"])
    deadline = time.time() + 240
    while time.time() < deadline and len(list(cache.glob(TASK_ENTRIES))) < 3:
        time.sleep(0.2)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    finished = len(list(cache.glob(TASK_ENTRIES)))
    assert not list(cache.rglob("*.tmp")), "no partial cache entry survives a kill"
    assert cli(tmp_path / "resumed", ["cache=true", f"cache_dir={cache}"]).wait(timeout=600) == 0
    assert cli(tmp_path / "fresh", ["cache=false"]).wait(timeout=600) == 0
    # 8 tasks: naive, arima, linear × 2 datasets, and lstm × 2 datasets (its seeds train in one stack)
    total = cache_info(tmp_path / "resumed")["tasks"]
    assert total == 8 and 3 <= finished < total, "the kill must land mid-run"
    assert cache_info(tmp_path / "resumed")["computed"] == total - finished
    resumed = pd.read_parquet(tmp_path / "resumed" / "forecasts.parquet")
    fresh = pd.read_parquet(tmp_path / "fresh" / "forecasts.parquet")
    pdt.assert_frame_equal(resumed, fresh)
