"""Where tasks run: in this process, in joblib worker processes (loky), or on a Ray cluster.

Results come back in task order whatever the backend, and every task is seeded, so the numbers
are the same with one worker, many, or Ray. Worker processes inherit the one-thread BLAS/OpenMP
pinning from the environment (the Makefile exports it).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

from joblib import Parallel, delayed, parallel_config

from bench.errors import ConfigError

T = TypeVar("T")
R = TypeVar("R")


def ray_backend(address: str | None) -> None:
    """Register joblib's Ray backend and connect (an existing cluster by address, else local)."""
    try:
        import ray
        from ray.util.joblib import register_ray
    except ImportError as exc:
        raise ConfigError(
            "backend=ray needs the optional ray extra: pip install -e '.[ray]' (or use backend=loky)"
        ) from exc
    register_ray()
    # Ray reports usage statistics unless told not to; a benchmark run should not phone home.
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    if not ray.is_initialized():
        ray.init(address=address, include_dashboard=False, log_to_driver=False)


def parallel_map(
    fn: Callable[[T], R], items: Sequence[T], n_jobs: int, backend: str = "loky", address: str | None = None
) -> Iterator[R]:
    """``fn`` over ``items``, lazily and in order."""
    if backend == "ray":
        ray_backend(address)
        # joblib's Ray backend refuses return_as="generator": collect the list, then yield in order.
        with parallel_config(backend="ray", n_jobs=n_jobs):
            results = Parallel()(delayed(fn)(x) for x in items)
        yield from results
        return
    if n_jobs == 1 or len(items) < 2:
        yield from (fn(x) for x in items)
        return
    yield from Parallel(n_jobs=n_jobs, return_as="generator")(delayed(fn)(x) for x in items)
