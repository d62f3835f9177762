"""The neural refit perf workload returns a scoreboard row whose verdict follows its numbers."""

from __future__ import annotations

import numpy as np
import pytest

from bench.perf.batched_workloads import BATCH_GOAL, HEAD_GOAL, BatchWorkload, batch_row, head_row
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


@pytest.mark.slow  # fits a few M3 nets one at a time and batched, then six S&P 500 LSTMs
def test_batched_and_likelihood_head_workloads_return_rows_whose_verdict_follows_their_numbers():
    row = batch_row(BatchWorkload(series=4, epochs=3, spread_seeds=(1,)))
    assert row.metric.startswith("mean sMAPE") and "spread" in row.note
    assert np.isfinite(row.ref_accuracy) and abs(row.lagbench_accuracy - row.ref_accuracy) < 1e-3
    assert not row.met or row.speedup >= BATCH_GOAL
    head = head_row(quick=True)
    assert np.isfinite(head.ref_accuracy) and np.isfinite(head.lagbench_accuracy)
    assert head.met == (head.lagbench_seconds / head.ref_seconds <= HEAD_GOAL)


@pytest.mark.slow  # two small engine runs with lstm_auto's 20 trials
def test_tuning_workload_row_compares_the_tuned_and_untuned_runs_it_names():
    from bench.perf.tuning_workloads import TUNE_GOAL, tuning_row

    row = tuning_row(quick=True)
    assert np.isfinite(row.ref_accuracy) and np.isfinite(row.lagbench_accuracy)
    assert row.ref_accuracy != row.lagbench_accuracy, "the tuned net must be a different net"
    assert row.met == (row.lagbench_seconds / row.ref_seconds <= TUNE_GOAL)
