"""``python -m bench.perf.blas_child FOLDS [overrides…]``: the child side of the BLAS-threads timing.

Warms up, reports its BLAS pools on one JSON line, then times the ARIMA loop once per "go" line on
stdin. Started by ``bench.perf.procs.BlasWorkers`` with a chosen OPENBLAS_NUM_THREADS.
"""

from __future__ import annotations

import sys

from bench.perf.procs import blas_child

if __name__ == "__main__":
    blas_child(int(sys.argv[1]), sys.argv[2:])
