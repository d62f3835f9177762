"""ARIMA / GARCH perf workloads: rows are well formed and the schedule table is relative to k = 1."""

from __future__ import annotations

import numpy as np
import pytest

from bench.models.arima import ARIMA
from bench.perf import arima_workloads as wl
from bench.prep.transforms import build_pipeline


@pytest.mark.slow
def test_quick_garch_workload_returns_a_finite_row():
    row = wl.garch_vs_arch(refit_every=10, quick=True)
    assert row.ref_seconds > 0 and row.lagbench_seconds > 0
    assert np.isfinite(row.ref_accuracy) and np.isfinite(row.lagbench_accuracy)
    assert abs(row.accuracy_diff) < 0.05, "same model, same origins: NLL must agree closely"


def test_refit_schedule_is_relative_to_refitting_every_origin():
    y = np.cumsum(np.random.default_rng(0).standard_normal(300))
    table = wl.refit_schedule_accuracy(
        y, lambda: ARIMA(order=[1, 0], period=1), lambda: build_pipeline(1, "standard"), ks=(1, 5), folds=10
    )
    assert list(table["k"]) == [1, 5] and table.loc[0, "rel_mse"] == 1.0
    assert np.all(np.isfinite(table["mse"])) and np.all(table["seconds"] > 0)


def test_statsforecast_workload_skips_with_a_reason_when_missing(monkeypatch):
    import builtins

    real = builtins.__import__

    def no_statsforecast(name, *args, **kwargs):
        if name.startswith("statsforecast"):
            raise ImportError(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_statsforecast)
    monkeypatch.delenv("LAGBENCH_REFS_PYTHON", raising=False)
    assert "statsforecast is not installed" in wl.arima_vs_statsforecast(quick=True)


def _hide_statsforecast(monkeypatch):
    import builtins

    real = builtins.__import__

    def no_child(name, *args, **kwargs):
        if name.startswith("statsforecast") or "statsforecast_child" in str(args[2:3]):
            raise ImportError(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_child)


def test_statsforecast_runs_in_the_reference_interpreter_when_named(monkeypatch, tmp_path):
    """make perf builds .venv-refs (statsforecast needs pandas < 3) and names it in $LAGBENCH_REFS_PYTHON;
    the child's JSON (its own timing and forecasts) becomes the reference side of the row."""
    _hide_statsforecast(monkeypatch)
    fake = tmp_path / "python"
    fake.write_text(
        "#!/bin/sh\n"
        'n="$3"\n'
        'printf \'{"seconds": 0.5, "version": "fake", "y_hat": [\'\n'
        'i=1; while [ $i -lt "$n" ]; do printf "1.0, "; i=$((i+1)); done\n'
        'printf "1.0]}\\n"\n'
    )
    fake.chmod(0o755)
    monkeypatch.setenv("LAGBENCH_REFS_PYTHON", str(fake))
    row = wl.arima_vs_statsforecast(refit_every=20, quick=True)
    assert row.reference.startswith("statsforecast fake") and row.ref_seconds == 0.5
    assert np.isfinite(row.ref_accuracy) and row.lagbench_seconds > 0


def test_a_failing_reference_interpreter_is_a_skip_with_its_last_error_line(monkeypatch, tmp_path):
    _hide_statsforecast(monkeypatch)
    fake = tmp_path / "python"
    fake.write_text("#!/bin/sh\necho 'ModuleNotFoundError: No module named statsforecast' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("LAGBENCH_REFS_PYTHON", str(fake))
    out = wl.arima_vs_statsforecast(quick=True)
    assert isinstance(out, str) and "No module named statsforecast" in out and "skipped" in out
