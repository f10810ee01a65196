"""Independent searches side by side in worker processes.

OR-Tools' search calls back into Python, so searches on threads take turns on Python's
global interpreter lock and share one core (docs/flows.md); processes run them at the same
time.
The workers are forked: each inherits the searches as they are in memory (the context,
instances and starts are never pickled), and only the plan parts come back. Where forking
is not available (Windows) or not safe (macOS, where system frameworks may be loaded), or
this process is itself a daemonic worker (a Dask worker, a worker of this pool), the
searches run one after another in this process.
"""

from __future__ import annotations

import itertools
import multiprocessing
import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any

Job = Callable[[], Any]

# The jobs of the pools being run, by pool, inherited by their forked workers (never
# pickled); by pool because two threads of one process (a flow's task runner) may each
# run a pool.
_JOBS: dict[int, Sequence[Job]] = {}
_LOCK = threading.Lock()
_POOLS = itertools.count()


def can_fork(workers: int, jobs: int) -> bool:
    """True when `jobs` searches can run in `workers` forked processes from this one."""
    return (
        workers > 1
        and jobs > 1
        and "fork" in multiprocessing.get_all_start_methods()
        and sys.platform != "darwin"
        and not multiprocessing.current_process().daemon
    )


def shares(sizes: Sequence[int], seconds: float, workers: int) -> list[float]:
    """Each search's budget when `workers` processes have `seconds` each: the processes'
    time split in proportion to the sizes, but no search longer than `seconds`."""
    total = sum(sizes) or 1
    return [min(seconds, seconds * workers * size / total) for size in sizes]


def run_side_by_side(jobs: Sequence[Job], sizes: Sequence[int], workers: int) -> list[Any]:
    """The results of `jobs`, in order, run in up to `workers` forked processes, the
    largest (by `sizes`) handed out first. A job's exception is raised here. The caller
    checks :func:`can_fork` first; each job keeps to its own deadline."""
    order = sorted(range(len(jobs)), key=lambda i: (-sizes[i], i))
    with _LOCK:
        pool_id = next(_POOLS)
        _JOBS[pool_id] = jobs
    try:
        context = multiprocessing.get_context("fork")
        with context.Pool(min(workers, len(jobs))) as pool:
            results = pool.map(_run, [(pool_id, i) for i in order], chunksize=1)
    finally:
        with _LOCK:
            del _JOBS[pool_id]
    out: list[Any] = [None] * len(jobs)
    for i, result in zip(order, results, strict=True):
        out[i] = result
    return out


def _run(job: tuple[int, int]) -> Any:
    pool_id, index = job
    return _JOBS[pool_id][index]()
