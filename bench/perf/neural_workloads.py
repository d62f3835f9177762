"""``make perf`` workload: warm-started neural refits against retraining from scratch at every refit.

An LSTM (or RNN) on the last 1000 S&P 500 prices (arch's copy), differenced once and scaled,
window 20, one-step forecasts from ``origins`` rolling origins, refitted every ``refit_every``.
The reference retrains every refit from fresh weights (``finetune_epochs: null``); lagbench
fine-tunes the previous weights for ``finetune_epochs`` epochs. Both are run for every seed: the
accuracy goal is that the warm MSE stays within the seed-to-seed spread of from-scratch training.
``python -m bench.perf.neural_workloads [--quick] [--table]`` prints the row (and the schedule table).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from bench.data.package import sp500
from bench.engine.runner import backtest
from bench.perf.rows import ScoreRow, markdown
from bench.prep.splits import rolling_origin
from bench.prep.transforms import build_pipeline
from bench.settings import SplitSettings

SPEED_GOAL = 5.0  # reference seconds / warm seconds


@dataclass(frozen=True)
class NeuralWorkload:
    """What one measurement runs; ``quick`` shrinks origins and series to a smoke run."""

    cell: str = "lstm"
    prices: int = 1000
    origins: int = 100
    refit_every: int = 5
    reference_every: int = 1  # the reference retrains from scratch at every origin (issue goal)
    window: int = 20
    finetune_epochs: int = 1
    seeds: tuple[int, ...] = (0, 1, 2)


QUICK = NeuralWorkload(prices=300, origins=20, seeds=(0, 1))


@dataclass(frozen=True)
class Run:
    """One backtest: its wall seconds and the MSE of its one-step forecasts on the price scale."""

    seconds: float
    mse: float


def run(w: NeuralWorkload, seed: int, finetune_epochs: int | None, every: int | None = None) -> Run:
    """One backtest. Warm start: the factory hands back one model object, so each refit fits it again."""
    from bench.models import recurrent  # torch only when a neural workload runs

    make = {"rnn": recurrent.RNN, "gru": recurrent.GRU, "lstm": recurrent.LSTM}[w.cell]

    y = sp500(tail=w.prices).y.to_numpy()
    spec = SplitSettings(folds=w.origins, horizon=1)
    splits = list(rolling_origin(len(y), spec, min_train=len(y) - w.origins))
    kwargs = {
        "window": w.window,
        "seed": seed,
        "device": "cpu",
        "finetune_epochs": finetune_epochs,
    }
    shared = make(**kwargs)
    new = (lambda: shared) if finetune_epochs is not None else (lambda: make(**kwargs))
    start = time.perf_counter()
    k = w.refit_every if every is None else every
    res = backtest(y, splits, new, lambda: build_pipeline(diff=1, scale="standard"), 1, k)
    seconds = time.perf_counter() - start
    failed = [r.error for r in res if r.status != "ok"]
    if failed:
        raise RuntimeError(f"{len(failed)} failed folds, first: {failed[0]}")
    err = np.array([r.y_hat[0] - y[s.test][0] for r, s in zip(res, splits, strict=True)])
    return Run(seconds, float(np.mean(err**2)))


def refit_row(w: NeuralWorkload = NeuralWorkload(), quick: bool = False) -> ScoreRow:
    """Warm-started refits vs from-scratch retraining, every seed, interleaved seed by seed."""
    if quick:
        w = NeuralWorkload(**{**QUICK.__dict__, "cell": w.cell, "refit_every": w.refit_every,
                              "reference_every": w.reference_every})  # fmt: skip
    run(NeuralWorkload(cell=w.cell, prices=100, origins=2, refit_every=1), 0, None)  # torch set-up untimed
    ref, warm = [], []
    for seed in w.seeds:
        ref.append(run(w, seed, None, w.reference_every))
        warm.append(run(w, seed, w.finetune_epochs))
    ref_mse, warm_mse = [r.mse for r in ref], [r.mse for r in warm]
    ref_s, warm_s = sum(r.seconds for r in ref), sum(r.seconds for r in warm)
    speed = ref_s / warm_s
    accurate = statistics.mean(warm_mse) <= max(ref_mse)
    return ScoreRow(
        workload=f"{w.cell} refits: S&P 500 last {w.prices}, {w.origins} origins, refit each {w.refit_every}",
        reference=f"retrain from scratch every {w.reference_every} origin(s) (finetune_epochs: null)",
        ref_seconds=ref_s,
        lagbench_seconds=warm_s,
        metric=f"MSE, mean of {len(w.seeds)} seeds",
        ref_accuracy=statistics.mean(ref_mse),
        lagbench_accuracy=statistics.mean(warm_mse),
        goal=f">= {SPEED_GOAL:g}x less training time; warm MSE within the from-scratch seed spread",
        met=speed >= SPEED_GOAL and accurate,
        note=(
            f"finetune_epochs {w.finetune_epochs}; from-scratch MSE per seed "
            + ", ".join(f"{m:.4g}" for m in ref_mse)
            + "; warm "
            + ", ".join(f"{m:.4g}" for m in warm_mse)
        ),
    )


def schedule_table(
    cells: Sequence[str] = ("lstm", "rnn"), every: Sequence[int] = (1, 5, 10, 20), quick: bool = False
) -> pd.DataFrame:
    """MSE and seconds of warm and from-scratch refits per cell and refit_every (to pick a default)."""
    rows = []
    for cell in cells:
        for k in every:
            r = refit_row(NeuralWorkload(cell=cell, refit_every=k, reference_every=k), quick=quick)
            rows.append({"cell": cell, "refit_every": k, "scratch_mse": r.ref_accuracy,
                         "warm_mse": r.lagbench_accuracy, "scratch_s": r.ref_seconds,
                         "warm_s": r.lagbench_seconds, "speedup": r.speedup, "note": r.note})  # fmt: skip
    return pd.DataFrame(rows)


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(
        prog="python -m bench.perf.neural_workloads", description=__doc__.split("\n")[0]
    )
    ap.add_argument("--quick", action="store_true", help="smoke run: 300 prices, 20 origins, 2 seeds")
    ap.add_argument("--cell", default="lstm", choices=["rnn", "gru", "lstm"])
    ap.add_argument("--refit-every", type=int, default=5)
    ap.add_argument("--finetune-epochs", type=int, default=1)
    ap.add_argument(
        "--table", action="store_true", help="also the MSE at refit_every 1, 5, 10, 20 (lstm, rnn)"
    )
    a = ap.parse_args(argv)
    w = NeuralWorkload(cell=a.cell, refit_every=a.refit_every, finetune_epochs=a.finetune_epochs)
    row = refit_row(w, quick=a.quick)
    print(markdown([row]))
    print(f"# {row.note}")
    if a.table:
        with pd.option_context("display.width", 200, "display.max_colwidth", 80):
            print(schedule_table(quick=a.quick).to_string(index=False))


if __name__ == "__main__":
    main()
