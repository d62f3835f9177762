"""The out-of-process part of ``make perf``: BLAS threads in child processes.

Children are lagbench's own ``python -m bench.perf.blas_child`` (same code, same configs),
so the only thing that differs between the compared runs is the environment they start with.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path

from bench.perf.core import REFERENCE_MODEL, PerfOptions, Timing, interleave, run_loop, setup


def blas_threads(s: PerfOptions) -> tuple[list[Timing], list[str]]:
    """One ARIMA loop in child processes with 1 vs 2 OpenBLAS threads, alone and ``jobs`` at once."""
    configs = [(j, k) for j in s.blas_jobs for k in (1, 2)]
    with ExitStack() as stack:
        groups = {c: stack.enter_context(BlasWorkers(*c, s)) for c in configs}
        t = interleave({c: g.run for c, g in groups.items()}, s.repeats)
        pools = {k: groups[(j, k)].pools for j, k in configs}
    out = []
    for (j, k), x in t.items():
        tag = "" if j == 1 else f"{j}jobs."
        ref = f"blas.arima.{tag}threads1"
        out.append(Timing(f"blas.arima.{tag}threads{k}", f"{s.blas_folds} folds", tuple(x), ref))
    return out, [f"BLAS in children with OPENBLAS_NUM_THREADS={k}: {v}" for k, v in sorted(pools.items())]


class BlasWorkers:
    """``jobs`` warmed-up children with ``threads`` BLAS threads, released together at each ``run``.

    Children stay alive across repeats (imports are paid once, outside every timing) and wait on
    stdin, idle, while other configurations are timed.
    """

    def __init__(self, jobs: int, threads: int, s: PerfOptions) -> None:
        env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
        cmd = [sys.executable, "-m", "bench.perf.blas_child", str(s.blas_folds), *s.overrides]
        self.errs = [tempfile.TemporaryFile() for _ in range(jobs)]
        self.procs = [
            subprocess.Popen(cmd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=e, text=True)
            for e in self.errs
        ]
        self.pools = ""

    def __enter__(self) -> BlasWorkers:
        self.pools = self._read()[0]["pools"]  # each child reports once its warm-up fold is done
        return self

    def run(self) -> float:
        """The batch's wall time: the slowest child's loop (they share the cores)."""
        for proc in self.procs:
            proc.stdin.write("go\n")
            proc.stdin.flush()
        return max(r["seconds"] for r in self._read())

    def _read(self) -> list[dict]:
        out = []
        for proc, err in zip(self.procs, self.errs, strict=True):
            line = proc.stdout.readline()
            if not line:
                proc.wait()
                err.seek(0)
                tail = err.read().decode(errors="replace")[-2000:]
                raise RuntimeError(f"BLAS child exited ({proc.returncode}):\n{tail}")
            out.append(json.loads(line))
        return out

    def __exit__(self, *exc: object) -> None:
        for proc, err in zip(self.procs, self.errs, strict=True):
            proc.stdin.close()  # end of input ends the child's loop
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            proc.stdout.close()
            err.close()


def blas_child(folds: int, overrides: Sequence[str]) -> None:
    """Child side of ``BlasWorkers``: warm up, report, then time the ARIMA loop at every "go"."""
    p, runs = setup([REFERENCE_MODEL], folds, overrides)
    run_loop(p, runs[REFERENCE_MODEL], folds=1)
    print(json.dumps({"pools": describe_pools()}), flush=True)
    for _ in sys.stdin:
        secs = run_loop(p, runs[REFERENCE_MODEL])
        print(json.dumps({"seconds": secs}), flush=True)


def describe_pools() -> str:
    from threadpoolctl import threadpool_info  # a scikit-learn dependency, so always installed

    pools = [
        f"{i['internal_api']} ({Path(i['filepath']).name}) × {i['num_threads']}" for i in threadpool_info()
    ]
    return ", ".join(pools) or "none loaded"
