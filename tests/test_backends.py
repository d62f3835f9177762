"""Task backends: one process, loky workers and Ray return the same results in the same order.

Models are imported inside the tests: loky workers import this module to find ``slow_identity``.
"""

from __future__ import annotations

import os
import time
from functools import partial

import numpy as np
import pytest

from bench.engine.backends import parallel_map


def series(seed: int) -> np.ndarray:
    return 50 + np.cumsum(np.random.default_rng(seed).normal(0, 1, 80))


def task(make_model) -> partial:
    """One dataset × model over 6 origins: the same picklable unit of work the suite runs."""
    from bench.engine.runner import backtest
    from bench.prep.splits import rolling_origin
    from bench.prep.transforms import build_pipeline
    from bench.settings import SplitSettings

    return partial(
        backtest,
        splits=list(rolling_origin(80, SplitSettings(folds=6), min_train=30)),
        make_model=make_model,
        make_pipeline=partial(build_pipeline, diff=1, scale="standard"),
        horizon=1,
    )


def forecasts(results) -> list[np.ndarray]:
    return [np.concatenate([r.y_hat for r in folds]) for folds in results]


def slow_identity(x: float) -> float:
    time.sleep(0.3 if x == 0 else 0.0)  # the first item finishes last
    return x


@pytest.mark.slow  # ~13 s of worker start-up on a loaded 2-core machine
def test_loky_with_two_workers_gives_what_one_process_gives():
    from bench.models.linear import RidgeAR

    fn = task(partial(RidgeAR, window=5))
    items = [series(s) for s in range(4)]
    one, two = list(parallel_map(fn, items, n_jobs=1)), list(parallel_map(fn, items, n_jobs=2))
    for a, b in zip(forecasts(one), forecasts(two), strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(forecasts(one)[0], forecasts(one)[1])  # the items really differ


def test_results_keep_the_order_of_the_items():
    assert list(parallel_map(slow_identity, [0.0, 1.0, 2.0, 3.0], n_jobs=2)) == [0.0, 1.0, 2.0, 3.0]
    assert list(parallel_map(slow_identity, [], n_jobs=2)) == []


@pytest.mark.slow
def test_ray_gives_what_loky_gives_in_the_same_order():
    pytest.importorskip("ray", reason="ray is not installed (pip install -e .[ray])")
    from bench.models.arima import ARIMA

    fn = task(partial(ARIMA, order=[1, 1]))
    items = [series(s) for s in range(3)]
    import ray as ray_mod

    loky = list(parallel_map(fn, items, n_jobs=1))
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    try:
        ray_mod.init(num_cpus=2, include_dashboard=False, log_to_driver=False)  # a private local Ray
        ray = list(parallel_map(fn, items, n_jobs=2, backend="ray"))
    finally:
        ray_mod.shutdown()
    for a, b in zip(forecasts(loky), forecasts(ray), strict=True):
        np.testing.assert_array_equal(a, b)
