"""The neural refit perf workload returns a scoreboard row whose verdict follows its numbers."""

from __future__ import annotations

import numpy as np
import pytest

from bench.perf.neural_workloads import NeuralWorkload, refit_row


@pytest.mark.slow  # trains a few dozen nets: seconds alone, a minute on a loaded machine
def test_neural_refit_workload_returns_a_scoreboard_row():
    w = NeuralWorkload(prices=120, origins=4, refit_every=2, seeds=(0,))
    row = refit_row(w)
    assert row.ref_seconds > 0 and row.lagbench_seconds > 0 and row.metric.startswith("MSE")
    assert np.isfinite(row.ref_accuracy) and np.isfinite(row.lagbench_accuracy)
    assert row.met == (row.speedup >= 5 and row.lagbench_accuracy <= row.ref_accuracy)  # one seed: max = mean
