"""CPU-bound work over a list in forked processes on this machine (dedup's passes, the
scoring pass after dedup)."""
from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_all_start_methods, get_context
from typing import Callable, TypeVar

from pretrain_clean.pipeline.parent_death import die_with_parent

T = TypeVar("T")
R = TypeVar("R")


def default_workers() -> int:
    """The CPUs this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def fork_map(fn: Callable[[T], R], jobs: list[T], workers: int) -> list[R]:
    """``[fn(job) for job in jobs]``, in up to ``workers`` forked processes when there are
    several jobs. Fork, not spawn: a caller's script needs no ``__main__`` guard, children
    inherit what the parent loaded (models set up once), and Arrow and jemalloc restart
    their thread pools in a forked child. A worker dies with this process (a killed run
    leaves none behind: :mod:`pipeline.parent_death`)."""
    workers = max(1, min(workers, len(jobs)))
    if workers == 1 or "fork" not in get_all_start_methods():
        return [fn(job) for job in jobs]
    with ProcessPoolExecutor(workers, mp_context=get_context("fork"), initializer=die_with_parent) as pool:
        return list(pool.map(fn, jobs))
