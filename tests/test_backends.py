"""Task backends: one process, loky workers and Ray return the same results in the same order.

Models are imported inside the tests: loky workers import this module to find ``slow_identity``.
"""

from __future__ import annotations

import sys
import time
import types
from functools import partial

import numpy as np
import pandas as pd
import pytest

from bench.engine.backends import parallel_map
from bench.errors import ConfigError

from conftest import run_suite


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


def test_backend_ray_without_ray_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` fails as it does without the extra
    with pytest.raises(
        ConfigError, match=r"backend=ray needs the optional ray extra: pip install -e '\.\[ray\]'"
    ):
        list(parallel_map(slow_identity, [1.0, 2.0], n_jobs=2, backend="ray"))


def test_a_ray_address_where_no_cluster_answers_is_a_settings_error(monkeypatch):
    def init(**kwargs):
        raise ConnectionError("Could not find any running Ray instance")

    fake = types.SimpleNamespace(is_initialized=lambda: False, init=init)
    monkeypatch.setitem(sys.modules, "ray", fake)
    with pytest.raises(ConfigError, match=r"ray_address=auto: no Ray cluster answered there \(Could not"):
        list(parallel_map(slow_identity, [1.0], n_jobs=1, backend="ray", address="auto"))


def fails_on_two(x: float) -> float:
    if x == 2.0:
        raise ValueError("deliberate failure on item 2")
    return x


@pytest.mark.slow
def test_ray_keeps_the_order_and_raises_the_tasks_own_error(private_ray):
    # One task in flight or all of them: the first item sleeps, yet comes back first.
    for n_jobs in (1, 2, -1):
        assert list(parallel_map(slow_identity, [0.0, 1.0, 2.0, 3.0], n_jobs, backend="ray")) == [0, 1, 2, 3]
    assert list(parallel_map(slow_identity, [], n_jobs=2, backend="ray")) == []
    with pytest.raises(ValueError, match="deliberate failure on item 2"):
        list(parallel_map(fails_on_two, [0.0, 1.0, 2.0, 3.0], n_jobs=2, backend="ray"))


@pytest.mark.slow
def test_ray_gives_what_one_process_gives_in_the_same_order(private_ray):
    from bench.models.arima import ARIMA

    fn = task(partial(ARIMA, order=[1, 1]))
    items = [series(s) for s in range(3)]
    one = list(parallel_map(fn, items, n_jobs=1))
    ray = list(parallel_map(fn, items, n_jobs=2, backend="ray"))
    for a, b in zip(forecasts(one), forecasts(ray), strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(forecasts(one)[0], forecasts(one)[1])  # the items really differ


@pytest.mark.slow
def test_a_run_on_ray_forecasts_what_a_run_in_one_process_forecasts(private_ray, tmp_path):
    """The whole suite (a stochastic net over seeds, ARIMA, two datasets): backend=ray vs n_jobs=1."""
    base = ["datasets=[sine,random_walk]", "models=[naive,arima,lstm]", "split.folds=4", "window=5"]
    base += ["seeds=[0,1]", "debug=fast"]
    one = run_suite(base, tmp_path / "one")["forecasts"]
    ray = run_suite([*base, "backend=ray", "n_jobs=2"], tmp_path / "ray")["forecasts"]
    assert len(one) == (4 + 4) * (1 + 1 + 2)  # origins x (naive, arima, lstm x 2 seeds)
    pd.testing.assert_frame_equal(one.drop(columns="y_hat"), ray.drop(columns="y_hat"))
    np.testing.assert_allclose(ray["y_hat"], one["y_hat"], rtol=0, atol=1e-9)
