"""Faults inside a run: each one recorded per fold, the run going on, the report counting failures
per model; an interrupted run exits cleanly with its finished tasks cached and no partial file.

(A worker killed with SIGKILL mid-run and resumed is ``tests/test_resume.py``'s slow test.)
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest
from statsmodels.tsa.arima.model import ARIMA as SMARIMA

from bench.types import Forecast

from conftest import ROOT, TASK_ENTRIES, run_suite

FOLDS = 5  # sine has 300 points: origins 294..298, training parts of 295..299 values


class NaNOnOneFold:
    """Forecasts NaN when its training part has ``nan_len`` values, the last value otherwise."""

    levels = False

    def __init__(self, nan_len: int) -> None:
        self.nan_len = nan_len

    def fit(self, z: np.ndarray) -> NaNOnOneFold:
        self.n, self.last = len(z), float(z[-1])
        return self

    def update(self, z: np.ndarray) -> NaNOnOneFold:
        return self.fit(z)

    def predict(self, h: int) -> Forecast:
        return Forecast(mean=np.full(h, np.nan if self.n == self.nan_len else self.last))


class SlowNaive:
    """Persistence that takes ``seconds`` per fit: a run long enough to interrupt part-way."""

    levels = True

    def __init__(self, seconds: float = 0.2) -> None:
        self.seconds = seconds

    def fit(self, z: np.ndarray) -> SlowNaive:
        time.sleep(self.seconds)
        self.last = float(z[-1])
        return self

    def update(self, z: np.ndarray) -> SlowNaive:
        self.last = float(z[-1])
        return self

    def predict(self, h: int) -> Forecast:
        return Forecast(mean=np.full(h, self.last))


def singular_at(length: int):
    """statsmodels' ARIMA likelihood raising LinAlgError on a series of ``length`` values, as a
    near-singular covariance does in the wild."""
    real_loglike = SMARIMA.loglike

    def loglike(self, *args, **kwargs):
        if self.endog.shape[0] == length:
            raise np.linalg.LinAlgError("Schur decomposition solver error.")
        return real_loglike(self, *args, **kwargs)

    return loglike


def test_every_kind_of_fault_is_recorded_on_its_fold_and_counted_per_model(tmp_path, monkeypatch):
    from bench.report.render import render

    # fold k trains on 295 + k values; after diff=1 the model gets z of 294 + k values
    monkeypatch.setattr(SMARIMA, "loglike", singular_at(294 + 1))
    model = "+models.{0}._target_={1}", "+models.{0}._partial_=true"
    extra = [m.format("flaky", "conftest.FailsOnOneFold") for m in model] + ["+models.flaky.fail_len=296"]
    extra += [m.format("nan", "test_faults.NaNOnOneFold") for m in model] + ["+models.nan.nan_len=297"]
    extra += ["models.lstm.lr=1e6", "debug=fast"]
    args = ["datasets=[sine]", "models=[naive,arima_fixed,arima,lstm]", f"split.folds={FOLDS}",
            "split.refit_every=1", "window=5", *extra]  # fmt: skip
    tables = run_suite(args, tmp_path)
    folds = tables["folds"]
    failed = folds[folds["status"] != "ok"]
    by_model = failed.groupby("model").size().reindex(folds["model"].unique(), fill_value=0).to_dict()
    assert by_model["naive"] == 0
    assert by_model["flaky"] == by_model["nan"] == by_model["arima_fixed"] == 1
    assert by_model["lstm"] == FOLDS, "an lr of 1e6 diverges at every fold"
    # auto ARIMA skips candidates that fail to fit (as R's auto.arima does) and keeps a fitted one
    assert by_model["arima"] == 0
    arima = folds[folds["model"] == "arima"].set_index("fold")["choices"]
    assert arima[1] and arima[1] != arima[0], "fold 1's order is what could still be fitted"

    def error(name: str) -> pd.Series:
        return failed.loc[failed["model"] == name].iloc[0]

    assert error("flaky")["fold"] == 2 and "deliberate failure" in error("flaky")["error"]
    assert error("nan")["fold"] == 3 and "NaN" in error("nan")["error"]
    assert error("arima_fixed")["fold"] == 1 and "LinAlgError: Schur" in error("arima_fixed")["error"]
    assert failed.loc[failed["model"] == "lstm", "error"].str.contains("training diverged").all()
    # the run went on: every other fold of every model has a forecast, and the metrics count failures
    fc = tables["forecasts"]
    assert fc.groupby("model").size().to_dict() == {m: FOLDS - n for m, n in by_model.items() if n < FOLDS}
    assert np.isfinite(fc["y_hat"]).all()
    metrics = tables["metrics"].set_index("model")
    for name, n in by_model.items():
        assert metrics.loc[name, "failed"] == n
    report = render(tmp_path).read_text()
    for name in ("flaky", "nan", "arima_fixed"):
        assert f"{name}: 1 of {FOLDS} folds failed" in report
    assert f"lstm: {FOLDS} of {FOLDS} folds failed" in report and "- arima: 0 of" not in report
    assert "arima: 1 of" not in report


def test_a_fold_failing_between_refits_rebuilds_the_model_at_the_next_origin(tmp_path):
    """A failure between refits drops the model; the next origin refits from scratch (not resumed
    from a broken state) and later forecasts equal those of a run where nothing failed."""
    base = ["datasets=[sine]", "models=[naive,linear]", f"split.folds={FOLDS}", "split.refit_every=1"]
    clean = run_suite(base, tmp_path / "clean")["forecasts"]
    flaky = ["+models.flaky._target_=conftest.FailsOnOneFold", "+models.flaky._partial_=true",
             "+models.flaky.fail_len=296"]  # fmt: skip
    faulty = run_suite([*base, *flaky], tmp_path / "faulty")["forecasts"]
    keep = ["model", "cutoff", "h", "y_hat"]
    pdt.assert_frame_equal(
        clean.query("model != 'flaky'")[keep].reset_index(drop=True),
        faulty.query("model != 'flaky'")[keep].reset_index(drop=True),
    )
    assert len(faulty.query("model == 'flaky'")) == FOLDS - 1


def test_on_error_raise_stops_at_the_first_fault(tmp_path):
    args = ["datasets=[sine]", "models=[naive]", f"split.folds={FOLDS}", "on_error=raise",
                   "+models.flaky._target_=conftest.FailsOnOneFold", "+models.flaky._partial_=true",
                   "+models.flaky.fail_len=296"]  # fmt: skip
    with pytest.raises(RuntimeError, match="deliberate failure"):
        run_suite(args, tmp_path)


def test_an_interrupted_run_exits_cleanly_keeping_finished_tasks_and_no_partial_file(tmp_path):
    cache, run_dir = tmp_path / "cache", tmp_path / "run"
    args = ["datasets=[sine,sales,ar1]", "models=[naive]", "split.folds=4", "split.refit_every=1",
            "+models.slow._target_=test_faults.SlowNaive", "+models.slow._partial_=true",
            "n_jobs=1", "cache=true", f"cache_dir={cache}"]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT / "tests")}
    cmd = [sys.executable, "-m", "bench.run", *args, f"hydra.run.dir={run_dir}"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while time.time() < deadline and proc.poll() is None and len(list(cache.glob(TASK_ENTRIES))) < 2:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "interrupted; finished tasks are cached" in err
    finished = len(list(cache.glob(TASK_ENTRIES)))
    assert 2 <= finished < 6, "the interrupt must land mid-run"
    assert not list(tmp_path.rglob("*.tmp")), "no temporary file survives an interrupt"
    assert not run_dir.exists(), "no run dir without its report"
    tables = run_suite(args, tmp_path / "resumed")
    info = json.loads((tmp_path / "resumed" / "run.json").read_text())["cache"]
    assert info["computed"] == 6 - finished and info["corrupt"] == 0  # the rest came from the cache
    fresh = run_suite([*args[:-2], "cache=false"], tmp_path / "fresh")
    pdt.assert_frame_equal(tables["forecasts"], fresh["forecasts"])


def loky_workers(pid: int) -> list[int]:
    """Worker processes (joblib/loky) below ``pid``, from /proc (no psutil needed)."""
    parent: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            parent[int(stat.parent.name)] = int(fields[1])
        except (OSError, IndexError, ValueError):
            continue
    below, frontier = set(), {pid}
    while frontier:
        frontier = {p for p, pp in parent.items() if pp in frontier} - below
        below |= frontier
    out = []
    for p in below:
        try:
            cmd = (Path("/proc") / str(p) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if "loky" in cmd and "resource_tracker" not in cmd:
            out.append(p)
    return sorted(out)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc to find the workers")
def test_a_worker_killed_mid_run_ends_the_command_and_a_rerun_resumes_to_identical_results(tmp_path):
    cache, run_dir = tmp_path / "cache", tmp_path / "run"
    args = ["datasets=[sine,sales,ar1,random_walk]", "models=[naive]", "split.folds=4",
            "split.refit_every=1", "+models.slow._target_=test_faults.SlowNaive",
            "+models.slow._partial_=true", "cache=true", f"cache_dir={cache}"]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT / "tests")}
    cmd = [sys.executable, "-m", "bench.run", *args, "n_jobs=2", f"hydra.run.dir={run_dir}"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 90
    while time.time() < deadline and proc.poll() is None and not list(cache.glob(TASK_ENTRIES)):
        time.sleep(0.05)
    workers = loky_workers(proc.pid)
    assert workers and proc.poll() is None, "the run must still be going with its workers"
    os.kill(workers[0], signal.SIGKILL)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode != 0 and "Traceback" not in err, err
    assert "a worker process died" in err and "run the same command to resume" in err
    finished = len(list(cache.glob(TASK_ENTRIES)))
    assert 1 <= finished < 8 and not list(tmp_path.rglob("*.tmp")) and not run_dir.exists()
    resumed = run_suite([*args, "n_jobs=1"], tmp_path / "resumed")
    info = json.loads((tmp_path / "resumed" / "run.json").read_text())["cache"]
    assert info["computed"] == 8 - finished and info["corrupt"] == 0  # the rest came from the cache
    fresh = run_suite([*args[:-2], "cache=false", "n_jobs=1"], tmp_path / "fresh")
    pdt.assert_frame_equal(resumed["forecasts"], fresh["forecasts"])


def test_result_files_are_never_half_written(tmp_path, monkeypatch):
    """A crash while a table is being written leaves the previous file (or none), never a torso."""
    from bench import store

    target = tmp_path / "forecasts.parquet"
    store.write_parquet(pd.DataFrame({"a": [1.0, 2.0]}), target)

    def crash(self, path, **kwargs):
        Path(path).write_bytes(b"PAR1 half")
        raise KeyboardInterrupt

    monkeypatch.setattr(pd.DataFrame, "to_parquet", crash)
    with pytest.raises(KeyboardInterrupt):
        store.write_parquet(pd.DataFrame({"a": [3.0]}), target)
    monkeypatch.undo()
    assert pd.read_parquet(target)["a"].tolist() == [1.0, 2.0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["forecasts.parquet"]
