"""Hydra launcher plugins: the same command line on joblib and Submitit, and a sweep whose jobs use Ray.

Each test skips, saying why, when its extra is not installed (`pip install -e .[slurm]` / `.[ray]`).
The real multiruns check that the sweep report, gathered from files at the end, sees jobs that ran
in other processes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from conftest import CONF, ROOT

TINY_SWEEP = ["datasets=[sine]", "models=[naive,linear]", "window=5,10", "split.folds=3", "n_jobs=1"]


def compose_hydra(overrides: list[str]):
    from hydra import compose, initialize_config_dir

    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        return compose(config_name="config", overrides=overrides, return_hydra_config=True)


def multirun(launcher: list[str], sweep_dir: Path, timeout: int = 600) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
           "RAY_USAGE_STATS_ENABLED": "0"}  # fmt: skip
    cmd = [sys.executable, "-m", "bench.run", "-m", *launcher, *TINY_SWEEP, f"hydra.sweep.dir={sweep_dir}"]
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


def assert_aggregated(sweep_dir: Path) -> None:
    m = pd.read_csv(sweep_dir / "metrics.csv")
    assert sorted(m["window"].unique()) == [5, 10] and sorted(m["job"].unique()) == [0, 1]
    text = (sweep_dir / "report.md").read_text()
    assert "| model | window=5 | window=10 |" in text
    assert "[0/report.md](0/report.md)" in text and "[1/report.md](1/report.md)" in text


def test_slurm_launcher_config_composes_without_a_cluster():
    pytest.importorskip(
        "hydra_plugins.hydra_submitit_launcher",
        reason="hydra-submitit-launcher is not installed (pip install -e .[slurm])",
    )
    from hydra.utils import instantiate

    cfg = compose_hydra(["hydra/launcher=submitit_slurm", "hydra.launcher.partition=cpu",
                         "hydra.launcher.cpus_per_task=2", "hydra.launcher.timeout_min=120",
                         "hydra.launcher.array_parallelism=8", "n_jobs=2"])  # fmt: skip
    launcher = cfg.hydra.launcher
    assert launcher._target_.endswith("submitit_launcher.SlurmLauncher")
    assert (launcher.partition, launcher.cpus_per_task, launcher.timeout_min) == ("cpu", 2, 120)
    assert cfg.hydra.callbacks.sweep_report._target_ == "bench.report.sweep.SweepReport"
    built = instantiate(launcher)  # the launcher object; nothing is submitted until launch()
    assert type(built).__name__ == "SlurmLauncher"


@pytest.mark.slow
def test_submitit_local_multirun_gets_the_sweep_report(tmp_path):
    pytest.importorskip(
        "hydra_plugins.hydra_submitit_launcher",
        reason="hydra-submitit-launcher is not installed (pip install -e .[slurm])",
    )
    proc = multirun(["hydra/launcher=submitit_local", "hydra.launcher.timeout_min=10"], tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (tmp_path / ".submitit").is_dir()  # the jobs really went through submitit
    assert_aggregated(tmp_path)


@pytest.mark.slow
def test_a_joblib_sweep_whose_jobs_run_their_tasks_on_a_ray_cluster(private_ray, tmp_path):
    """The README's recipe: the joblib launcher runs the jobs, each job joins one Ray cluster by address."""
    address = private_ray.get_runtime_context().gcs_address
    launcher = ["hydra/launcher=joblib", "hydra.launcher.n_jobs=2", "backend=ray", f"ray_address={address}"]
    proc = multirun(launcher, tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    # Each of the two jobs joined this cluster rather than starting a Ray of its own.
    assert (proc.stdout + proc.stderr).count(f"Connecting to existing Ray cluster at address: {address}") == 2
    assert f"sweep report: {tmp_path / 'report.md'}" in proc.stdout
    assert_aggregated(tmp_path)
