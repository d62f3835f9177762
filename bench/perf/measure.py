"""Every ``make perf`` section in one call: the table and notes on the threads in use."""

from __future__ import annotations

import os
from collections.abc import Callable

import pandas as pd

from bench.perf.core import (
    REFERENCE_MODEL,
    PerfOptions,
    Timing,
    model_costs,
    refit_savings,
    runner_overhead,
    table,
)
from bench.perf.procs import blas_threads, describe_pools


def measure(s: PerfOptions, log: Callable[[str], None] = lambda _: None) -> tuple[pd.DataFrame, list[str]]:
    """Run every section; return the table and notes on the threads in use."""
    if s.repeats < 1 or REFERENCE_MODEL not in s.models:
        raise ValueError(f"need repeats >= 1 and {REFERENCE_MODEL!r} among the models (the reference)")
    timings: list[Timing] = []
    sections = [("runner overhead", runner_overhead), ("model cost per fold", model_costs),
                ("refit_every", refit_savings)]  # fmt: skip
    for label, section in sections:
        log(f"perf: {label} …")
        timings += section(s)
    log("perf: BLAS threads …")
    blas, notes = blas_threads(s)
    return table(timings + blas), [describe_env(), *notes]


def describe_env() -> str:
    import torch

    keys = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
    env = " ".join(f"{k}={os.environ.get(k, 'unset')}" for k in keys)
    return f"{os.cpu_count()} CPUs; {env}; torch threads {torch.get_num_threads()}; BLAS {describe_pools()}"
