"""The neural refit perf workload returns a scoreboard row whose verdict follows its numbers."""

from __future__ import annotations

import pytest

from bench.perf.neural_workloads import NeuralWorkload, refit_row, run


@pytest.mark.slow  # trains a few dozen nets: seconds alone, a minute on a loaded machine
def test_neural_refit_row_reports_the_mse_of_the_runs_it_names():
    w = NeuralWorkload(prices=120, origins=4, refit_every=2, seeds=(0,))
    row = refit_row(w)
    # The same runs again (seeded, so identical): from scratch at every origin vs warm-started refits.
    scratch, warm = run(w, 0, None, w.reference_every), run(w, 0, w.finetune_epochs)
    assert (row.ref_accuracy, row.lagbench_accuracy) == (scratch.mse, warm.mse)
    assert scratch.mse != warm.mse, "the two schedules train differently"
    assert row.metric == "MSE, mean of 1 seeds"
    assert row.met == (row.speedup >= 5 and row.lagbench_accuracy <= row.ref_accuracy)  # one seed: max = mean
