"""Every model YAML under conf/models: no leakage, determinism, a working forecast.

Parametrised over the config files themselves, so a new model is checked the moment its YAML lands.
"""

from __future__ import annotations

import numpy as np
import pytest
from hydra.utils import instantiate

from bench.engine.runner import backtest
from bench.prep.splits import rolling_origin
from bench.prep.transforms import build_pipeline
from bench.settings import SplitSettings

from conftest import compose, model_names

FOLDS, H = 6, 2


def factory(name: str):
    node = compose([f"models=[{name}]", "datasets=[]", "window=6", "debug=fast"]).models[name]
    if "period" in node and node.period is None:  # the suite passes the dataset's period
        node.period = 5
    if "window" in node and node.window > 10:  # presets with their own long window (rnn_tata)
        node.window = 10
    return instantiate(node)


def run(y: np.ndarray, name: str, seed: int = 0):
    make = factory(name)
    splits = list(rolling_origin(len(y), SplitSettings(folds=FOLDS, horizon=H, step=3), min_train=40))
    kwargs = {"seed": seed} if "seed" in compose([f"models=[{name}]", "datasets=[]"]).models[name] else {}
    res = backtest(y, splits, lambda: make(**kwargs), lambda: build_pipeline(diff=1), H,
                   on_error="raise")  # fmt: skip
    return splits, res


@pytest.mark.parametrize("name", model_names())
def test_data_after_an_origin_never_changes_forecasts_made_there(name, random_walk):
    splits, before = run(random_walk, name)
    cut = splits[1].origin + 1  # everything from here on is rewritten
    future_changed = random_walk.copy()
    future_changed[cut:] = future_changed[cut:] * 3.0 + 40.0
    _, after = run(future_changed, name)
    for s, a, b in zip(splits, before, after, strict=True):
        if s.origin < cut:
            np.testing.assert_array_equal(a.y_hat, b.y_hat, err_msg=f"fold {s.fold} leaked")
    assert not np.array_equal(before[-1].y_hat, after[-1].y_hat), "later folds must see new data"


@pytest.mark.parametrize("name", model_names())
def test_same_seed_gives_identical_forecasts(name, random_walk):
    _, a = run(random_walk, name, seed=3)
    _, b = run(random_walk, name, seed=3)
    for x, y in zip(a, b, strict=True):
        assert x.status == y.status == "ok"
        assert x.y_hat.shape == (H,) and np.all(np.isfinite(x.y_hat))
        np.testing.assert_array_equal(x.y_hat, y.y_hat)
