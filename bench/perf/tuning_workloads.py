"""``make perf`` workload of the tuned nets: ``lstm_auto`` against ``lstm`` on the default suite.

Both run through the whole engine (``run_tables``: transforms, folds, refits, warm starts, batching)
on the default suite's datasets with one seed and no cache, so the ratio is what a user pays for the
fair fight: 20 trials at the first fit of every series, trained side by side in rounds of 10 (the
presets' halving: one epoch each on at most the last 512 values, the best 2 in full), then the
chosen net warm-started at later refits. Accuracy: the mean over series of each net's MSE
ratio to persistence (``rel_mse``). Goal (issue): the tuned net costs at most 4× the untuned one.
``python -m bench.perf.tuning_workloads [--quick]`` prints the row.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from bench.perf.rows import ScoreRow, markdown

TUNE_GOAL = 4.0  # tuned seconds / untuned seconds, at most
QUICK_DATASETS = ("sine", "sunspots")


def _run(model: str, datasets: Sequence[str] | None) -> tuple[float, float]:
    """Wall seconds and mean ``rel_mse`` of ``model`` (with naive as the baseline) on ``datasets``."""
    from bench.benchmark import run_tables
    from bench.config import settings_of

    overrides = [f"models=[naive,{model}]", "seeds=[0]", "cache=false", "n_jobs=1"]
    if datasets is not None:
        overrides.append(f"datasets=[{','.join(datasets)}]")
    s = settings_of(overrides)
    with tempfile.TemporaryDirectory(prefix="lagbench-perf-tune-") as tmp:
        start = time.perf_counter()
        tables = run_tables(s, Path(tmp))
        seconds = time.perf_counter() - start
    metrics: pd.DataFrame = tables["metrics"]
    rows = metrics[(metrics["model"] == model) & metrics["rel_mse"].notna()]
    return seconds, float(rows["rel_mse"].mean())


def tuning_row(quick: bool = False) -> ScoreRow:
    """``lstm_auto`` vs ``lstm``: wall seconds of the whole run, mean MSE ratio to naive."""
    datasets = QUICK_DATASETS if quick else None
    _run("lstm", ("sine",))  # torch and the data loaders warmed up, untimed
    ref_s, ref_acc = _run("lstm", datasets)
    lag_s, lag_acc = _run("lstm_auto", datasets)
    where = ", ".join(datasets) if datasets else "the default suite's datasets"
    return ScoreRow(
        workload=f"lstm_auto (20 trials at the first fit) on {where}, one seed",
        reference="lstm (untuned defaults), same run settings",
        ref_seconds=ref_s,
        lagbench_seconds=lag_s,
        metric="mean MSE ratio to naive over series",
        ref_accuracy=ref_acc,
        lagbench_accuracy=lag_acc,
        goal=f"tuned costs <= {TUNE_GOAL:g}x the untuned net (wall seconds, naive included in both)",
        met=lag_s / ref_s <= TUNE_GOAL,
        note=f"cost ratio {lag_s / ref_s:.2f}x; rel_mse lstm {ref_acc:.3f}, lstm_auto {lag_acc:.3f}",
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="two small datasets instead of the suite's")
    args = parser.parse_args(argv)
    row = tuning_row(quick=args.quick)
    print(markdown([row]))
    print(f"- {row.note}")


if __name__ == "__main__":
    main()
