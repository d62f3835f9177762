"""Settings are checked before anything runs: one paragraph naming key, value and what is allowed,
exit code 2, no traceback, nothing written (neither a run dir nor a cache entry)."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import ROOT, settings

# override → words the one-paragraph message must contain (the key, the value, what is allowed)
BAD = {
    "n_jobs=abc": ["n_jobs", "'abc'", "whole number"],
    "models=[foo]": ["'foo'", "available:", "naive", "conf/models"],
    "datasets=[nope]": ["'nope'", "available:", "sine", "conf/datasets"],
    "interval_level=1.5": ["interval_level=1.5", "(0, 1)"],
    "split.horizon=0": ["split.horizon=0", ">= 1"],
    "split.folds=0": ["split.folds=0", ">= 1"],
    "window=0": ["window=0", ">= 1"],
    "+foo=1": ["unknown setting foo", "top-level settings are", "window"],
    "transform.boxcox=yes": ["transform.boxcox=yes", "false, guerrero, mle"],
    "split.bogus=3": ["unknown setting split.bogus", "split takes", "folds", "+split.bogus=3"],
    "models.naive.window=3": ["models.naive.window", "+models.naive.window=3"],
    "models.arima.order=3": ["models.arima is not in this run", "models=[naive]"],
    "n_jobs=[1": ["'n_jobs=[1' is not a valid override", "quoting"],
    "window=10,20": ["window=10,20 lists several values", "add -m"],
    "metrics=[point,nope.mod.fn]": ["metrics entry 'nope.mod.fn'", "cannot be imported", "crps"],
    "spa.block_length=0": ["spa.block_length=0", "auto or a whole number >= 1"],
}
# checked by the command line before Hydra composes (names of configs, keys, override grammar)
PRECHECK = {"models=[foo]", "datasets=[nope]", "split.bogus=3", "models.naive.window=3",
            "models.arima.order=3", "n_jobs=[1", "window=10,20"}  # fmt: skip
# the same kind of checks, in process only (each subprocess costs seconds of start-up)
MORE = {
    "split.step=-2": ["split.step=-2", ">= 1"],
    "transform.scale=zscore": ["transform.scale=zscore", "standard, minmax, robust, none"],
    "transform.log=1": ["transform.log", "true or false"],
    "split.warm_start=maybe": ["split.warm_start", "'maybe'", "true or false"],
    "seeds=[a]": ["seeds[0]", "'a'", "whole number"],
    "alpha=0": ["alpha=0", "(0, 1)"],
    "chunk_size=0": ["chunk_size=0", ">= 1"],
    "split.kind=sliding": ["split.kind=sliding", "split.train_size"],
    "on_error=skip": ["on_error=skip", "record, raise"],
    "+split.bogus=3": ["unknown setting split.bogus", "split takes"],
    "conformal.min_errors=5": ["conformal.min_errors=5", "interval_level=0.9", ">= 19"],
    "conformal.enabled=1": ["conformal.enabled", "true or false"],
    "+conformal.bogus=1": ["unknown setting conformal.bogus", "enabled, min_errors"],
    "metrics=[point,crps]": ["metrics must keep relative", "diebold_mariano", "mypkg.scores.my_metric"],
    "metrics=[point,relative,diebold_mariano,horizon,lag_scan,change,crps,crps]": ["crps more than once"],
    "metrics=[point,relative,diebold_mariano,horizon,lag_scan,change,bench.scoring.scores.Rows.diag]": [
        "is not a function"
    ],
    "spa.reps=10": ["spa.reps=10", ">= 100"],
    "spa.block_length=big": ["spa.block_length=big", "auto or a whole number >= 1"],
    "spa.mcs_level=1": ["spa.mcs_level=1", "(0, 1)"],
    "split.select_origins=0": ["split.select_origins=0", ">= 1"],
    "+spa.bogus=1": ["unknown setting spa.bogus", "spa takes", "block_length"],
}


def cli(args: list[str], tmp: Path) -> tuple[subprocess.CompletedProcess, Path, Path]:
    run_dir, cache = tmp / "run", tmp / "cache"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "bench.run", "datasets=[sine]", "models=[naive]", *args,
           f"hydra.run.dir={run_dir}", "cache=true", f"cache_dir={cache}"]  # fmt: skip
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    return proc, run_dir, cache


@pytest.fixture(scope="module")
def bad_runs(tmp_path_factory) -> dict:
    """Every bad command line, three at a time (each is ~2 s of interpreter start-up)."""
    results_before = sorted(p.name for p in (ROOT / "results").iterdir())
    base = tmp_path_factory.mktemp("bad")
    with ThreadPoolExecutor(3) as pool:
        futures = {o: pool.submit(cli, [o], base / f"case{i}") for i, o in enumerate(BAD)}
        out = {o: f.result() for o, f in futures.items()}
    assert sorted(p.name for p in (ROOT / "results").iterdir()) == results_before, "results/ was touched"
    return out


@pytest.mark.parametrize("override", list(BAD))
def test_a_bad_setting_is_one_paragraph_exit_2_and_nothing_is_written(bad_runs, override):
    proc, run_dir, cache = bad_runs[override]
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and "HYDRA_FULL_ERROR" not in proc.stderr
    message = proc.stderr.strip()
    assert message.startswith("lagbench: ") and "\n" not in message, message
    for word in BAD[override]:
        assert word in message, f"{word!r} missing from: {message}"
    assert not run_dir.exists() and not cache.exists()


def test_every_bad_setting_fails_in_process_too_naming_the_key():
    """The same checks below the entry point (the subprocess cases minus the name pre-checks)."""
    for override, words in {**BAD, **MORE}.items():
        if override in PRECHECK:
            continue
        with pytest.raises(ValueError) as err:
            settings(["datasets=[sine]", "models=[naive]", override])
        assert words[0] in str(err.value)


def test_validate_checks_settings_and_data_fits_nothing_and_writes_nothing(tmp_path):
    proc, run_dir, cache = cli(["validate=true", "split.folds=5"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "settings and data are valid; nothing was fitted" in proc.stdout
    assert "sine: 1 series" in proc.stdout and "5 origins each" in proc.stdout
    assert not run_dir.exists() and not cache.exists()


def test_validate_reports_data_that_cannot_hold_the_folds(tmp_path):
    proc, run_dir, _ = cli(["validate=true", "split.folds=100000"], tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "observations but" in proc.stderr and "split.folds" in proc.stderr
    assert not run_dir.exists()


def test_validate_builds_every_model_so_bad_model_parameters_fail_too(tmp_path):
    proc, run_dir, _ = cli(["validate=true", "split.folds=5", "+models.naive.foo=1"], tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "model 'naive' cannot be built from its settings" in proc.stderr and "foo" in proc.stderr
    assert not run_dir.exists()


def test_validate_never_reaches_the_fold_loop(tmp_path, monkeypatch, capsys):
    import bench.benchmark

    def no_fits(*args, **kwargs):
        raise AssertionError("validate=true must not execute any task")

    monkeypatch.setattr(bench.benchmark, "execute", no_fits)
    s = settings(["datasets=[sine,sales]", "models=[naive,arima,lstm]", "validate=true"])
    assert bench.benchmark.benchmark(s, tmp_path / "run") is None
    assert "nothing was fitted" in capsys.readouterr().out
    assert not (tmp_path / "run").exists()
