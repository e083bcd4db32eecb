"""``fork_map.default_workers``: the CPUs this process may use (a container or ``taskset``
limits them below the machine's count), else the machine's count, else one."""
from __future__ import annotations

import os
import time

import pytest

from pretrain_clean.pipeline.fork_map import default_workers


def test_default_workers_follow_the_affinity_mask_not_the_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 3}, raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 64)
    assert default_workers() == 2


def test_default_workers_without_an_affinity_call(monkeypatch: pytest.MonkeyPatch) -> None:
    """macOS and Windows have no ``os.sched_getaffinity``: the machine's count, or 1 if unknown."""
    monkeypatch.delattr(os, "sched_getaffinity", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 3)
    assert default_workers() == 3
    monkeypatch.setattr(os, "cpu_count", lambda: None)
    assert default_workers() == 1


def _pid(_: int) -> int:
    time.sleep(0.05)  # busy long enough that a bigger pool would start more processes
    return os.getpid()


def _square(x: int) -> int:
    return x * x


def test_fork_map_uses_at_most_the_workers_asked_for() -> None:
    """``workers`` bounds the processes (and so the memory): 1 worker, or 1 job, runs here;
    2 workers over 6 jobs fork 2 processes, never more; results keep the jobs' order."""
    from pretrain_clean.pipeline.fork_map import fork_map

    here = os.getpid()
    assert fork_map(_pid, list(range(4)), 1) == [here] * 4
    assert fork_map(_pid, [0], 8) == [here]
    pids = fork_map(_pid, list(range(6)), 2)
    assert here not in pids and len(set(pids)) <= 2
    assert fork_map(_square, list(range(6)), 2) == [0, 1, 4, 9, 16, 25]


def test_fork_map_without_fork_runs_in_this_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Windows has no fork: the jobs run one after another here."""
    from pretrain_clean.pipeline import fork_map as module

    monkeypatch.setattr(module, "get_all_start_methods", lambda: ["spawn"])
    assert module.fork_map(_pid, list(range(3)), 4) == [os.getpid()] * 3
