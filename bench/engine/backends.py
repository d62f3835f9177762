"""Where tasks run: in this process, in joblib worker processes (loky), or on a Ray cluster.

Results come back in task order whatever the backend, and every task is seeded, so the numbers
are the same with one worker, many, or Ray. Worker processes inherit the one-thread BLAS/OpenMP
pinning from the environment (the Makefile exports it; Ray gives each 1-CPU task one thread).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from joblib import Parallel, delayed

from bench.errors import ConfigError

T = TypeVar("T")
R = TypeVar("R")


def connect_ray(address: str | None) -> Any:
    """The ``ray`` module, connected: to ``address`` (``auto``, ``host:6379``, ``ray://host:10001``), else
    to a cluster started with ``ray start`` on this machine, else to a private local Ray."""
    try:
        import ray
    except ImportError as exc:
        raise ConfigError(
            "backend=ray needs the optional ray extra: pip install -e '.[ray]' (or use backend=loky)"
        ) from exc
    # Ray reports usage statistics unless told not to; a benchmark run should not phone home.
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    if not ray.is_initialized():
        try:
            ray.init(address=address, include_dashboard=False, log_to_driver=False)
        except ConnectionError as exc:
            raise ConfigError(
                f"ray_address={address}: no Ray cluster answered there ({' '.join(str(exc).split())[:200]}); "
                "start one (ray start --head), give its address (host:6379 or ray://host:10001), or leave "
                "ray_address null for a private local Ray"
            ) from exc
    return ray


def _call(fn: Callable[[T], R], item: T) -> R:
    return fn(item)


def ray_map(fn: Callable[[T], R], items: Sequence[T], n_jobs: int, address: str | None) -> Iterator[R]:
    """``fn`` over ``items`` as Ray tasks of one CPU each, at most ``n_jobs`` in flight (-1: all of them;
    the cluster queues what it cannot run yet), yielded in order as they finish.

    Ray's own tasks rather than joblib's Ray backend: that backend drops to one process when it is
    started inside a loky worker (a job of a joblib-launched sweep) and cannot yield lazily.
    """
    ray = connect_ray(address)
    remote = ray.remote(num_cpus=1)(_call)
    fn_ref = ray.put(fn)  # shipped once, not once per task
    limit = len(items) if n_jobs < 1 else n_jobs
    in_flight: dict[Any, int] = {}  # task ref -> item index
    done: dict[int, R] = {}  # finished ahead of their turn
    queue = iter(range(len(items)))

    def top_up() -> None:
        while len(in_flight) < limit and (j := next(queue, None)) is not None:
            in_flight[remote.remote(fn_ref, items[j])] = j

    try:
        for i in range(len(items)):
            while i not in done:
                top_up()
                ready, _ = ray.wait(list(in_flight), num_returns=1)
                try:
                    done[in_flight.pop(ready[0])] = ray.get(ready[0])
                except ray.exceptions.RayTaskError as exc:
                    # The task's own exception, as loky raises it (the run's error handling reads its type).
                    raise exc.cause if isinstance(exc.cause, BaseException) else exc from None
            top_up()  # keep the cluster busy while the caller handles this result
            yield done.pop(i)
    finally:  # an error or an interrupt: leave nothing running on a shared cluster
        for ref in in_flight:
            ray.cancel(ref)


def parallel_map(
    fn: Callable[[T], R], items: Sequence[T], n_jobs: int, backend: str = "loky", address: str | None = None
) -> Iterator[R]:
    """``fn`` over ``items``, lazily and in order."""
    if backend == "ray":
        yield from ray_map(fn, items, n_jobs, address)
        return
    if n_jobs == 1 or len(items) < 2:
        yield from (fn(x) for x in items)
        return
    yield from Parallel(n_jobs=n_jobs, return_as="generator")(delayed(fn)(x) for x in items)
