"""Processes forked for a local run die with the process that forked them.

A run killed with SIGKILL (``kill -9``, the OOM killer, a scheduler pre-empting the job) left
its datatrove workers cleaning their parts on their own, and datatrove's manager process (and
dedup's pool workers) waiting forever: a rerun then took the output's lock over (its holder
was dead) and raced the orphans for the same parts. Each such process asks the kernel to kill
it when its parent dies (Linux ``prctl(PR_SET_PDEATHSIG)``); elsewhere nothing changes.

Only for forked Python workers: the setting survives ``exec`` and fires when the *thread* that
forked exits, so a program started through ``subprocess`` (the JVM) must never get it.
"""
from __future__ import annotations

import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """In a forked worker: be killed (SIGKILL) when the parent process exits."""
    if not sys.platform.startswith("linux"):
        return
    parent = os.getppid()
    libc = ctypes.CDLL(None)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        return  # not allowed here (a sandbox): the worker lives as before
    if os.getppid() != parent:  # the parent died before the call
        os.kill(os.getpid(), signal.SIGKILL)
