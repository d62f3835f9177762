"""ARIMA / GARCH perf workloads: a row's accuracy is the metric of the forecasts it names, and the schedule
table is relative to k = 1."""

from __future__ import annotations

import numpy as np
import pytest

from bench.models.arima import ARIMA
from bench.models.garch import ARIMAGARCH
from bench.perf import arima_workloads as wl
from bench.prep.transforms import build_pipeline
from bench.scoring.metrics import gaussian_nll, mse


@pytest.mark.slow
def test_quick_garch_row_scores_lagbench_with_the_projects_nll_and_agrees_with_arch():
    row = wl.garch_vs_arch(refit_every=10, quick=True)
    # lagbench's side again, scored with the metric the reports use (not the workload's own helper).
    r, splits = wl.sp500_returns(), wl._origins(wl.N_OBS, quick=True)
    res = wl._lagbench(r, splits, wl.reusing(ARIMAGARCH), lambda: build_pipeline(0, "standard"), 10)
    truth = [r[s.test][0] for s in splits]
    nll = gaussian_nll(truth, [x.y_hat[0] for x in res], [x.y_var[0] for x in res])
    assert row.lagbench_accuracy == pytest.approx(nll, rel=1e-12)
    assert abs(row.accuracy_diff) < 0.05, "same model, same origins: NLL must agree closely"
    assert row.met == (row.speedup >= 10 and row.accuracy_diff <= 0.02)


def test_refit_schedule_is_relative_to_refitting_every_origin():
    y = np.cumsum(np.random.default_rng(0).standard_normal(300))
    table = wl.refit_schedule_accuracy(
        y, lambda: ARIMA(order=[1, 0], period=1), lambda: build_pipeline(1, "standard"), ks=(1, 5), folds=10
    )
    assert list(table["k"]) == [1, 5] and np.all(np.isfinite(table["mse"]))
    np.testing.assert_array_equal(table["rel_mse"], table["mse"] / table.loc[0, "mse"])
    assert table.loc[0, "rel_mse"] == 1.0 and table.loc[1, "mse"] != table.loc[0, "mse"], "k = 5 refits less"


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
    # The reference's accuracy is the MSE of the child's forecasts (all 1.0) on the same origins.
    y = wl.sp500_levels()
    truth = [y[s.test][0] for s in wl._origins(wl.N_OBS, quick=True)]
    assert row.ref_accuracy == pytest.approx(mse(truth, np.ones(len(truth))), rel=1e-12)


def test_a_failing_reference_interpreter_is_a_skip_with_its_last_error_line(monkeypatch, tmp_path):
    _hide_statsforecast(monkeypatch)
    fake = tmp_path / "python"
    fake.write_text("#!/bin/sh\necho 'ModuleNotFoundError: No module named statsforecast' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("LAGBENCH_REFS_PYTHON", str(fake))
    out = wl.arima_vs_statsforecast(quick=True)
    assert isinstance(out, str) and "No module named statsforecast" in out and "skipped" in out
