"""``make perf`` workloads for the statistical models: lagbench's rolling ARIMA / ARIMA-GARCH against
textbook refit-every-origin loops (statsmodels, arch) and statsforecast, timed in the same process.

Every reference runs right before the lagbench side on the same origins, so machine load shifts
both. ``quick=True`` shrinks the origins (40 instead of 200) for a smoke run.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from arch import arch_model
from arch.data import sp500
from statsmodels.tsa.arima.model import ARIMA as SMARIMA

from bench.engine.runner import FoldResult, backtest
from bench.models.arima import ARIMA
from bench.models.base import Forecaster
from bench.models.garch import ARIMAGARCH
from bench.perf.rows import ScoreRow
from bench.prep.splits import rolling_origin
from bench.prep.transforms import Chain, build_pipeline
from bench.settings import SplitSettings
from bench.types import Split

N_OBS = 1000


def sp500_levels(n: int = N_OBS) -> np.ndarray:
    """Last ``n`` S&P 500 adjusted closes shipped with arch (no download)."""
    return np.asarray(sp500.load()["Adj Close"].to_numpy(dtype=float)[-n:])


def sp500_returns(n: int = N_OBS) -> np.ndarray:
    """Last ``n`` daily S&P 500 percent log returns."""
    close = sp500.load()["Adj Close"].to_numpy(dtype=float)
    return 100 * np.diff(np.log(close))[-n:]


def reusing(make: Callable[[], Forecaster]) -> Callable[[], Forecaster]:
    """A factory that returns one object for ever: every refit warm-starts (``split.warm_start``)."""
    model = make()
    return lambda: model


def _origins(n: int, quick: bool) -> list[Split]:
    return list(rolling_origin(n, SplitSettings(folds=40 if quick else 200)))


def _timed(fn: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def _lagbench(y, splits, make, pipe: Callable[[], Chain], k: int) -> list[FoldResult]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return backtest(y, splits, make, pipe, horizon=1, refit_every=k, on_error="raise")


def _mse(y: np.ndarray, splits: list[Split], y_hat: Sequence[float]) -> float:
    truth = np.array([y[s.test][0] for s in splits])
    return float(np.mean((truth - np.asarray(y_hat, dtype=float)) ** 2))


def _nll(y: np.ndarray, splits: list[Split], mean: Sequence[float], var: Sequence[float]) -> float:
    truth = np.array([y[s.test][0] for s in splits])
    mean, var = np.asarray(mean, dtype=float), np.asarray(var, dtype=float)
    return float(np.mean(0.5 * (np.log(2 * np.pi * var) + (truth - mean) ** 2 / var)))


def fixed_arima_preset() -> ARIMA:
    """conf/models/arima_fixed.yaml: ARMA(1, 1) with a constant on the differenced, scaled series."""
    return ARIMA(order=[1, 1], trend="c", period=1)


def arima_vs_textbook(refit_every: int = 10, quick: bool = False) -> ScoreRow:
    """(a) statsmodels ARIMA(1,1,1) refitted at every origin vs lagbench at ``refit_every``."""
    y, splits = sp500_levels(), _origins(N_OBS, quick)

    def textbook() -> list[float]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return [float(SMARIMA(y[s.train], order=(1, 1, 1)).fit().forecast(1)[0]) for s in splits]

    ref_s, ref = _timed(textbook)
    lag_s, res = _timed(
        lambda: _lagbench(
            y, splits, reusing(fixed_arima_preset), lambda: build_pipeline(1, "standard"), refit_every
        )
    )
    ref_mse, lag_mse = _mse(y, splits, ref), _mse(y, splits, [r.y_hat[0] for r in res])
    return _row(
        f"arima.sp500.refit{refit_every}",
        "statsmodels ARIMA(1,1,1) refit every origin",
        ref_s,
        lag_s,
        "mse",
        ref_mse,
        lag_mse,
        "≥ 10× faster, MSE within 2 %",
        speed=10.0,
        note=f"{len(splits)} one-step origins on {N_OBS} S&P 500 levels",
    )


def arima_vs_statsforecast(refit_every: int = 10, quick: bool = False) -> ScoreRow | str:
    """(b) statsforecast ``cross_validation`` ARIMA(1,1,1) with drift at the same refit schedule.

    statsforecast runs in this process when importable, else in the interpreter named by
    ``$LAGBENCH_REFS_PYTHON`` (``make perf`` builds ``.venv-refs`` for it: statsforecast needs
    pandas < 3); either way it is timed right before lagbench on the same origins.
    """
    y, splits = sp500_levels(), _origins(N_OBS, quick)
    ref = _statsforecast(y, len(splits), refit_every)
    if isinstance(ref, str):
        return ref
    ref_s, ref_hat, version = ref
    lag_s, res = _timed(
        lambda: _lagbench(
            y, splits, reusing(fixed_arima_preset), lambda: build_pipeline(1, "standard"), refit_every
        )
    )
    ref_mse, lag_mse = _mse(y, splits, ref_hat), _mse(y, splits, [r.y_hat[0] for r in res])
    return _row(
        f"arima.sp500.statsforecast.refit{refit_every}",
        f"statsforecast {version} cross_validation ARIMA(1,1,1)+drift",
        ref_s,
        lag_s,
        "mse",
        ref_mse,
        lag_mse,
        "within 1.5× of statsforecast, MSE within 2 %",
        speed=1 / 1.5,
        note=f"{len(splits)} one-step origins, refit={refit_every}",
    )


def _statsforecast(y: np.ndarray, n_windows: int, refit: int) -> tuple[float, list[float], str] | str:
    """(seconds, forecasts, version) from statsforecast here or in the reference venv; else why not."""
    try:
        from bench.perf import statsforecast_child
    except ImportError:
        statsforecast_child = None
    python = os.environ.get("LAGBENCH_REFS_PYTHON", "")
    if statsforecast_child is None and not Path(python or "-").is_file():
        return (
            "statsforecast is not installed (optional [perf] extra; `make perf` builds .venv-refs "
            "for it when the package index is reachable): workload skipped"
        )
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "y.npy")
        np.save(path, y)
        if statsforecast_child is not None:
            out = statsforecast_child.main(path, n_windows, refit)
        else:
            script = str(Path(__file__).with_name("statsforecast_child.py"))
            cmd = [python, script, path, str(n_windows), str(refit)]
            done = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                last = (done.stderr.strip().splitlines() or ["no output"])[-1]
                return f"statsforecast in {python} failed ({last}): workload skipped"
            out = json.loads(done.stdout)
    return out["seconds"], out["y_hat"], out["version"]


def garch_vs_arch(refit_every: int = 10, quick: bool = False) -> ScoreRow:
    """(c) arch ARX(1)+GARCH(1,1) refitted at every origin vs lagbench arima_garch at ``refit_every``."""
    r, splits = sp500_returns(), _origins(N_OBS, quick)

    def reference() -> tuple[list[float], list[float]]:
        means, variances = [], []
        for s in splits:
            res = arch_model(r[s.train], mean="ARX", lags=1, vol="GARCH", p=1, q=1).fit(disp="off")
            fc = res.forecast(horizon=1, reindex=False)
            means.append(float(fc.mean.values[-1, 0]))
            variances.append(float(fc.variance.values[-1, 0]))
        return means, variances

    ref_s, (ref_m, ref_v) = _timed(reference)
    lag_s, res = _timed(
        lambda: _lagbench(r, splits, reusing(ARIMAGARCH), lambda: build_pipeline(0, "standard"), refit_every)
    )
    ref_nll = _nll(r, splits, ref_m, ref_v)
    lag_nll = _nll(r, splits, [x.y_hat[0] for x in res], [x.y_var[0] for x in res])
    return _row(
        f"garch.sp500.refit{refit_every}",
        "arch ARX(1)+GARCH(1,1) refit every origin",
        ref_s,
        lag_s,
        "gaussian nll",
        ref_nll,
        lag_nll,
        "≥ 10× faster, NLL within 2 %",
        speed=10.0,
        note=f"{len(splits)} one-step origins on {N_OBS} S&P 500 % returns",
    )


def _row(workload, reference, ref_s, lag_s, metric, ref_acc, lag_acc, goal, speed, note) -> ScoreRow:
    accurate = (lag_acc - ref_acc) / abs(ref_acc) <= 0.02
    return ScoreRow(
        workload,
        reference,
        ref_s,
        lag_s,
        metric,
        ref_acc,
        lag_acc,
        goal,
        ref_s / lag_s >= speed and accurate,
        note,
    )


def refit_schedule_accuracy(
    y: np.ndarray,
    make_model: Callable[[], Forecaster],
    make_pipeline: Callable[[], Chain],
    ks: Sequence[int] = (1, 5, 10, 20, 25, 50),
    folds: int = 200,
    warm_start: bool = True,
) -> pd.DataFrame:
    """One-step MSE and seconds of a backtest at each ``refit_every`` k, relative to k = 1.

    Lets the default ``split.refit_every`` be chosen as the largest k whose ``rel_mse`` stays within
    1.02 for every model on the default datasets.
    """
    splits = list(rolling_origin(len(y), SplitSettings(folds=folds)))
    rows = []
    for k in ks:
        make = reusing(make_model) if warm_start else make_model
        seconds, res = _timed(lambda make=make, k=k: _lagbench(y, splits, make, make_pipeline, k))
        rows.append({"k": k, "mse": _mse(y, splits, [r.y_hat[0] for r in res]), "seconds": seconds})
    out = pd.DataFrame(rows)
    base = out.loc[out["k"] == min(ks), "mse"].iloc[0]
    out["rel_mse"] = out["mse"] / base
    return out
