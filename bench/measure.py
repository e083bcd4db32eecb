"""Honest side-by-side timing for the bench scripts.

Every side runs as its own process tree, the sides interleaved (A B A B ..., at least three
rounds) so load from other users of the machine falls on both; for each run we record the
wall time, the CPU time of the whole process tree (the larger of ``RUSAGE_CHILDREN``, which
counts every descendant that was waited for, and the sum over every process seen in the tree
of its user + system time, sampled every 50 ms from ``/proc``) and the peak of the tree's
summed proportional set size (PSS: resident memory with shared pages divided among the
processes sharing them, so forked workers do not count their parent's pages twice; read every
0.5 s and whenever resident memory grew, :data:`PSS_EVERY`: reading it costs the tree time). Ratios are medians over rounds of per-round ratios.
"""
from __future__ import annotations

import os
import resource
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass(frozen=True)
class Run:
    """One run of one side."""

    wall: float
    cpu: float
    peak_rss_mib: float
    """Peak of the tree's summed PSS (resident memory, shared pages divided among sharers)."""


TICK = os.sysconf("SC_CLK_TCK")


def _pss(pid: int, rss: int) -> int:
    """Proportional set size in bytes (shared pages split among their users, so forked
    workers do not count their parent's pages again); ``rss`` where unavailable."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as fh:
            for line in fh:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return rss


PSS_EVERY = 10
"""Samples between two reads of the tree's PSS (every 0.5 s), besides a read whenever the
tree's resident memory grew 5% past the last read's. ``/proc/PID/smaps_rollup`` walks the
process's page tables: 1-6 ms for a JVM or a Python worker holding models, so reading it at
every 50 ms sample took about a quarter of a core from a Spark run on 2 cores (a tenth of its
wall time) and less from the local engine's smaller tree, biasing the ratios. CPU (from
``/proc/PID/stat``, ~10 µs) is still sampled every 50 ms."""


def _tree(root: int, cpu_seen: dict[int, float], rss_only: bool = False) -> int:
    """Summed proportional set size of ``root`` and its descendants (``rss_only``: their
    resident size, cheap to read, an upper bound of it); records each one's CPU seconds so
    far (user + system) in ``cpu_seen``."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    cpu: dict[int, float] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                fields = fh.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry.name)
        children.setdefault(int(fields[1]), []).append(pid)
        rss[pid] = int(fields[21]) * PAGE
        cpu[pid] = (int(fields[11]) + int(fields[12])) / TICK
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        if pid in rss:
            total += rss[pid] if rss_only else _pss(pid, rss[pid])
        if pid in cpu:
            cpu_seen[pid] = max(cpu_seen.get(pid, 0.0), cpu[pid])
        todo += children.get(pid, [])
    return total


def measure(cmd: list[str], env: dict[str, str] | None = None, also: tuple[int, ...] = ()) -> Run:
    """Run ``cmd`` (from the repo root) to completion; raise with its stderr if it fails.

    ``also``: processes that are not ``cmd``'s descendants but work for it (a Spark
    standalone cluster's master and workers, whose executors run the tasks): their trees'
    CPU during the run and their memory count too."""
    base: dict[int, float] = {}
    for pid in also:
        _tree(pid, base)  # their CPU before the run
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err, env=env)
        peak, rss_at_read, sample = 0, 0, 0
        cpu_seen: dict[int, float] = {}
        while proc.poll() is None:
            rss = sum(_tree(pid, cpu_seen, rss_only=True) for pid in (proc.pid, *also))
            if sample % PSS_EVERY == 0 or rss > 1.05 * rss_at_read:
                peak = max(peak, sum(_tree(pid, {}) for pid in (proc.pid, *also)))
                rss_at_read = rss
            sample += 1
            time.sleep(0.05)
        wall = time.perf_counter() - start
        if proc.returncode != 0:
            err.seek(0)
            raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err.read().decode()[-3000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    reaped = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    # rusage misses descendants nobody waited for (pool workers killed at exit); sampling
    # misses each process's last <= 50 ms: both are lower bounds, take the larger.
    return Run(wall, max(reaped, sum(cpu - base.get(pid, 0.0) for pid, cpu in cpu_seen.items())), peak / 2**20)


def interleave(
    sides: dict[str, list[str]], rounds: int = 3, before_each: Callable[[str], None] | None = None,
    env: dict[str, str] | None = None, log: Callable[[str], None] = print, also: tuple[int, ...] = (),
) -> dict[str, list[Run]]:
    """``rounds`` rounds of every side in turn (A B A B ...); ``before_each(name)`` runs
    before each run (e.g. to clear its output folder); ``also`` as for :func:`measure`."""
    if rounds < 3:
        raise ValueError("rounds: at least 3 interleaved rounds (a median of two is a mean)")
    runs: dict[str, list[Run]] = {name: [] for name in sides}
    for r in range(rounds):
        for name, cmd in sides.items():
            if before_each:
                before_each(name)
            run = measure(cmd, env, also)
            runs[name].append(run)
            log(f"  round {r + 1}/{rounds} {name:<22} wall {run.wall:7.2f} s  CPU {run.cpu:7.2f} s  "
                f"peak {run.peak_rss_mib:7.0f} MiB")
    return runs


def median_ratio(runs: dict[str, list[Run]], slow: str, fast: str, attr: str) -> float:
    """Median over rounds of ``slow / fast`` for ``attr`` (``wall`` or ``cpu``)."""
    return statistics.median(getattr(a, attr) / getattr(b, attr) for a, b in zip(runs[slow], runs[fast]))


def table(runs: dict[str, list[Run]], docs: dict[str, int]) -> str:
    """Markdown table: per side median wall and CPU, documents/s per core (CPU), peak RSS."""
    lines = ["| side | docs | wall s (median) | CPU s (median) | docs/s | docs/s per core (CPU) | peak memory MiB (PSS, max) |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for name, rs in runs.items():
        wall = statistics.median(r.wall for r in rs)
        cpu = statistics.median(r.cpu for r in rs)
        n = docs[name]
        lines.append(f"| {name} | {n:,} | {wall:.2f} | {cpu:.2f} | {n / wall:,.0f} | {n / cpu:,.0f} | "
                     f"{max(r.peak_rss_mib for r in rs):,.0f} |")
    return "\n".join(lines)


def load_note() -> str:
    """The 1-minute load average and the CPUs, to print next to the figures."""
    return f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"


def self_sides(script: str, names: list[str], *args: str) -> dict[str, list[str]]:
    """One command per side that reruns ``script`` (a bench script) with ``--side NAME`` and
    ``args``: each side then runs as its own process tree, measured by :func:`interleave`."""
    import sys

    return {name: [sys.executable, script, *args, "--side", name] for name in names}


def report(runs: dict[str, list[Run]], docs: dict[str, int], pairs: list[tuple[str, str]],
           log: Callable[[str], None] = print) -> None:
    """:func:`table`, then for each ``(slow, fast)`` pair the median per-round ratios of CPU
    and wall time."""
    log(table(runs, docs))
    for slow, fast in pairs:
        log(f"{slow} / {fast}, median of per-round ratios: CPU {median_ratio(runs, slow, fast, 'cpu'):.2f}x, "
            f"wall {median_ratio(runs, slow, fast, 'wall'):.2f}x")
