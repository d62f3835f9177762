"""The command line end to end, as a user runs it (subprocess, own run dir)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from conftest import ROOT

TINY = [
    "datasets=[sine]",
    "models=[naive,arima,lstm]",
    "split.folds=5",
    "window=8",
    "debug=fast",
]


def run_cli(args: list[str], run_dir: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    return subprocess.run(
        [sys.executable, "-m", "bench.run", *args, f"hydra.run.dir={run_dir}", "cache=false"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_cli_writes_forecasts_metrics_and_report(tmp_path):
    run_dir = tmp_path / "run"
    proc = run_cli(TINY, run_dir)
    assert proc.returncode == 0, proc.stderr
    assert f"report: {run_dir / 'report.md'}" in proc.stdout
    fc = pd.read_parquet(run_dir / "forecasts.parquet")
    assert {"dataset", "model", "cutoff", "ds", "h", "y", "y_hat"} <= set(fc.columns)
    assert sorted(fc["model"].unique()) == ["arima", "lstm", "naive"]
    assert len(fc) == 3 * 5 and (fc["ds"] > fc["cutoff"]).all()
    metrics = pd.read_csv(run_dir / "metrics.csv")
    assert {"dataset", "model", "mse", "mae", "rmse", "n", "fit_seconds"} <= set(metrics.columns)
    assert (metrics["n"] == 5).all()
    report = (run_dir / "report.md").read_text()
    assert "## sine" in report and "| naive |" in report and "| lstm |" in report
    for png in ("plots/sine_overlay.png", "plots/sine_lag_scan.png"):
        assert f"]({png})" in report and (run_dir / png).stat().st_size > 10_000


def test_cli_input_error_is_one_paragraph_without_traceback(tmp_path):
    run_dir = tmp_path / "bad"
    proc = run_cli(["datasets=[sine]", "models=[naive]", "split.folds=100000"], run_dir)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith("lagbench: ") and "observations but" in proc.stderr
    assert "dataset 'sine'" in proc.stderr
    assert not run_dir.exists(), "nothing is written for a run that fails validation"


@pytest.mark.parametrize("override", ["transform.diff=5", "split.kind=rolling", "target=prices"])
def test_cli_bad_setting_is_a_clear_error(tmp_path, override):
    proc = run_cli(["datasets=[sine]", "models=[naive]", override], tmp_path / "bad")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert override.split("=")[0].split(".")[-1] in proc.stderr


def test_cli_names_every_missing_required_setting(tmp_path):
    proc = run_cli(["datasets=[csv]", "models=[naive]"], tmp_path / "bad")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "datasets.csv.path, datasets.csv.value_col" in proc.stderr


def test_cli_typo_in_a_closed_choice_is_exit_2_naming_the_allowed_values(tmp_path):
    proc = run_cli(["datasets=[sine]", "models=[naive]", "on_error=rasie"], tmp_path / "bad")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "on_error=rasie is not allowed; choose one of: record, raise" in proc.stderr
    assert not (tmp_path / "bad").exists()


def test_cli_without_the_baseline_runs_it_and_says_so(tmp_path):
    run_dir = tmp_path / "run"
    proc = run_cli(["datasets=[sine]", "models=[linear]", "split.folds=4", "window=5"], run_dir)
    assert proc.returncode == 0, proc.stderr
    report = (run_dir / "report.md").read_text()
    assert "the baseline naive was added" in report and "| naive |" in report


def test_the_lagbench_command_is_python_m_bench_run_from_any_directory(tmp_path):
    """The console script of the installed package (`[project.scripts]`), started where a user works."""
    lagbench = Path(sys.executable).with_name("lagbench")
    assert lagbench.is_file(), f"{lagbench} is missing: reinstall (make install) to get the console script"
    args = ["datasets=[sine]", "models=[naive]", "split.folds=3", "cache=false"]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    proc = subprocess.run(
        [lagbench, *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    # Hydra's default run dir and results/latest, under the directory it was started in.
    run_dir = Path(proc.stdout.split("report: ")[1].strip()).parent
    assert run_dir.parent == tmp_path / "results" and (tmp_path / "results" / "latest").resolve() == run_dir
    forecasts = pd.read_parquet(run_dir / "forecasts.parquet")
    assert forecasts["model"].unique().tolist() == ["naive"] and len(forecasts) == 3
    # The same checks before Hydra starts: one paragraph, exit 2.
    bad = subprocess.run([lagbench, "models=[foo]"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert bad.returncode == 2 and bad.stderr.startswith("lagbench: ") and "'foo'" in bad.stderr
