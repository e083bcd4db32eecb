"""``fork_map.default_workers``: the CPUs this process may use (a container or ``taskset``
limits them below the machine's count), else the machine's count, else one."""
from __future__ import annotations

import os

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
