"""The sales article's own protocol (SOURCES.md §1), run as the article ran it — leaks included.

This is NOT a lagbench benchmark mode and is never reachable from ``bench.run``: it exists only so
the reproduction page can put the article's number next to what the same net scores honestly.
What it does, as the article did:

- first differences of the whole series, divided by the maximum of the whole differenced series
  (the scale is fitted on every value, test months included — leakage);
- windows of 3 differences → the next one; the last 10 windows are the test set;
- the article's net (``lstm_sales``: LSTM 128 → LSTM 128 → Dense 64 → Dense 32 → 1, Adam 1e-3 ×0.1
  every 100 epochs, MSE) trained on the other windows, 128 epochs, batch 9;
- forecasts re-integrated by one running sum of predicted differences along the whole path (in
  sample, then on through the test months), never re-anchored on observed levels;
- "ALLMSE": the MSE over every point from position ``num_steps + 1`` on, in-sample and test together.

Our reading of the anchor: the running sum starts from the observed level just before the first
target (position ``num_steps``), so the first predicted level is the first scored one. The
article's output layer is tanh; lagbench's net has a linear output (stated on the page).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from hydra.utils import get_object

from bench.settings import ModelSettings

NUM_STEPS = 3
TEST_WINDOWS = 10
ARTICLE = {"epochs": 128, "batch_size": 9}  # max(128, 9·4) epochs, int(45 / 5) batch


@dataclass(frozen=True)
class LeakyResult:
    """One seed of the article's protocol on the original scale."""

    seed: int
    allmse: float  # the article's score: in-sample and test points together
    test_mse_path: float  # the last 10 months of the same running-sum path
    test_mse_anchored: float  # the last 10 months, each re-anchored on the observed previous level
    persistence_test_mse: float  # repeat the last observed level, same 10 months
    path: np.ndarray  # predicted levels at positions num_steps + 1 … n − 1


def windows(d: np.ndarray, k: int = NUM_STEPS) -> tuple[np.ndarray, np.ndarray]:
    """Every window of ``k`` consecutive differences and the difference after it."""
    X = np.stack([d[i : i + k] for i in range(len(d) - k)])
    return X, d[k:]


def leaky_run(y: np.ndarray, model: ModelSettings, seed: int, **overrides: object) -> LeakyResult:
    """The article's pipeline for one seed (``overrides`` change the net's training, e.g. epochs)."""
    y = np.asarray(y, dtype=float)
    d = np.diff(y)
    scale = float(np.max(d))  # the whole differenced series: the leak the article made
    z = d / scale
    X, _ = windows(z)
    n_train = len(X) - TEST_WINDOWS
    params = {**model.params, **ARTICLE, **overrides, "seed": seed}
    net = get_object(model.target)(**params)
    # fit() windows its input itself: the first n_train windows come from z[: n_train + NUM_STEPS].
    net.fit(z[: n_train + NUM_STEPS])
    p = np.array([net.one_step(x) for x in X]) * scale  # teacher-forced inputs, as the article
    path = y[NUM_STEPS] + np.cumsum(p)  # one running sum, never re-anchored
    target = y[NUM_STEPS + 1 :]
    test = slice(-TEST_WINDOWS, None)
    anchored = y[NUM_STEPS:-1] + p
    persistence = y[NUM_STEPS:-1]
    return LeakyResult(
        seed=seed,
        allmse=float(np.mean((target - path) ** 2)),
        test_mse_path=float(np.mean((target[test] - path[test]) ** 2)),
        test_mse_anchored=float(np.mean((target[test] - anchored[test]) ** 2)),
        persistence_test_mse=float(np.mean((target[test] - persistence[test]) ** 2)),
        path=path,
    )
