"""The ``make perf`` scoreboard: every workload against its reference, timed in the same run.

Rows come from the workload modules (ARIMA, ARIMA-GARCH, neural refits, batched nets, likelihood
heads, tuned nets); a workload whose optional reference is missing (statsforecast, the ``[perf]`` extra) is
listed with the reason it was skipped. ``--suite`` adds the default suite's wall time and peak memory.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.perf.rows import ScoreRow, markdown
from bench.store import write_text

DEFAULT_REFIT_EVERY = 20  # conf/config.yaml split.refit_every: chosen from refit_schedule evidence


def workloads(quick: bool, refit_every: int) -> list[tuple[str, Callable[[], ScoreRow | str]]]:
    from bench.perf import arima_workloads as aw
    from bench.perf import batched_workloads as bw
    from bench.perf import neural_workloads as nw
    from bench.perf import tuning_workloads as tw

    return [
        ("ARIMA vs the textbook loop", lambda: aw.arima_vs_textbook(refit_every, quick)),
        ("ARIMA vs statsforecast", lambda: aw.arima_vs_statsforecast(refit_every, quick)),
        ("ARIMA-GARCH vs the arch loop", lambda: aw.garch_vs_arch(refit_every, quick)),
        (
            "neural warm refits vs from scratch",
            lambda: nw.refit_row(nw.NeuralWorkload(refit_every=refit_every), quick),
        ),
        ("local nets one at a time vs batched", lambda: bw.batch_row(quick=quick)),
        ("likelihood-head LSTM vs the MSE LSTM", lambda: bw.head_row(quick=quick)),
        ("three seeds of the local nets vs one", lambda: bw.seeds_row(quick=quick)),
        ("lstm_auto vs lstm on the default suite", lambda: tw.tuning_row(quick=quick)),
    ]


def suite_memory(args: list[str] | None = None) -> tuple[float, float]:
    """Wall seconds and peak RSS (GB, the largest single process) of ``python -m bench.run``."""
    with tempfile.TemporaryDirectory(prefix="lagbench-perf-") as tmp:
        cmd = [sys.executable, "-m", "bench.run", f"hydra.run.dir={tmp}/run", "cache=false", *(args or [])]
        start = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, text=True)
        wall = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{done.stderr[-2000:]}")
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, peak_kb / 1024**2


def scoreboard(quick: bool, refit_every: int, suite: bool, out: Path | None, log=print) -> list[str]:
    """Run every workload; write ``results/perf.md``; return its lines."""
    rows, skipped = [], []
    for label, work in workloads(quick, refit_every):
        log(f"perf: {label} …")
        got = work()
        (rows if isinstance(got, ScoreRow) else skipped).append(
            got if isinstance(got, ScoreRow) else f"{label}: {got}"
        )
    lines = [f"# lagbench performance scoreboard (refit_every={refit_every}{', quick' if quick else ''})", "",
             "Every reference is timed in the same run as lagbench; speedup = reference s / lagbench s; "
             "accuracy diff > 0 means lagbench is less accurate.", "", markdown(rows), ""]  # fmt: skip
    lines += [f"- skipped: {s}" for s in skipped]
    lines += [f"- {r.workload}: {r.note}" for r in rows if r.note]
    if suite:
        log("perf: default suite (peak memory) …")
        wall, peak = suite_memory()
        verdict = "met" if peak <= 1.5 else "**not met**"
        lines += ["", f"- default suite (`python -m bench.run`): {wall:.0f} s wall, peak RSS {peak:.2f} GB "
                  f"(largest single process; goal ≤ 1.5 GB: {verdict})"]  # fmt: skip
    if out is not None:
        write_text("\n".join(lines) + "\n", out)
    return lines
