"""A local run killed with SIGKILL leaves no process behind (``pipeline/parent_death.py``): its
datatrove workers stop cleaning parts, datatrove's manager and dedup's pool workers exit, so a
rerun does not race orphans for the output."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import write_jsonl

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")


def _processes_naming(text: str) -> list[int]:
    """Pids of the processes whose command line contains ``text``."""
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/cmdline", "rb") as fh:
                    if text.encode() in fh.read():
                        found.append(int(entry.name))
            except OSError:
                pass
    return found


def _wait_until(check, timeout: float) -> bool:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return check()


def _markers(out: Path) -> int:
    return len(list((out / "_parts").glob("*.json"))) if (out / "_parts").is_dir() else 0


@pytest.mark.slow
def test_a_killed_local_run_leaves_no_worker_cleaning_parts(tmp_path: Path) -> None:
    sample = Path(__file__).resolve().parent.parent / "data" / "sample" / "web_en" / "demos_data_mixture_data_redpajama-c4-refined.jsonl"
    texts = [line for line in sample.read_text(encoding="utf-8").splitlines() if line.strip()]
    for f in range(8):  # parts enough that the run is still cleaning when the first marker appears
        write_jsonl(tmp_path / "in" / f"f{f}.jsonl", [{"id": f"{f}-{i}", "text": f"{f} {i} " + t[:3000]}
                                                      for i, t in enumerate(texts * 12)])
    out = tmp_path / "out"
    run = subprocess.Popen([sys.executable, "-m", "pretrain_clean", "clean", "--config", "default", "--input",
                            str(tmp_path / "in"), "--output", str(out), "--workers", "2", "--quiet"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert _wait_until(lambda: _markers(out) >= 1 or run.poll() is not None, 120)
        assert run.poll() is None, "the run ended before it could be killed"
        assert len(_processes_naming(str(out))) >= 3  # the driver, datatrove's manager, the workers
        run.send_signal(signal.SIGKILL)
        run.wait()
        assert _wait_until(lambda: not _processes_naming(str(out)), 5), _processes_naming(str(out))
        done = _markers(out)
        time.sleep(1)
        assert _markers(out) == done < 8  # nobody went on cleaning
    finally:
        for pid in _processes_naming(str(out)):
            os.kill(pid, signal.SIGKILL)


FORK_MAP = """
import os, sys, time
from pretrain_clean.pipeline.fork_map import fork_map

def job(i):
    open(os.path.join(sys.argv[1], f"{os.getpid()}.pid"), "w").close()
    time.sleep(60)

fork_map(job, [0, 1], 2)
"""


@pytest.mark.slow
def test_fork_map_workers_die_with_their_parent(tmp_path: Path) -> None:
    run = subprocess.Popen([sys.executable, "-c", FORK_MAP, str(tmp_path)])
    try:
        assert _wait_until(lambda: len(list(tmp_path.glob("*.pid"))) == 2, 60)
        workers = [int(p.stem) for p in tmp_path.glob("*.pid")]
        run.send_signal(signal.SIGKILL)
        run.wait()
        assert _wait_until(lambda: not any(os.path.exists(f"/proc/{pid}") for pid in workers), 5)
    finally:
        for p in tmp_path.glob("*.pid"):
            if os.path.exists(f"/proc/{p.stem}"):
                os.kill(int(p.stem), signal.SIGKILL)


PR_GET_PDEATHSIG = 2


def test_a_worker_asks_for_sigkill_when_its_parent_dies() -> None:
    import ctypes

    from pretrain_clean.pipeline.parent_death import die_with_parent

    pid = os.fork()
    if pid == 0:  # the child reports the signal it asked for as its exit status
        try:
            die_with_parent()
            sig = ctypes.c_int(-1)
            ctypes.CDLL(None).prctl(PR_GET_PDEATHSIG, ctypes.byref(sig), 0, 0, 0)
            os._exit(sig.value)
        finally:
            os._exit(99)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == signal.SIGKILL


def test_a_parent_gone_before_the_call_kills_the_worker_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from pretrain_clean.pipeline import parent_death

    parents, killed, asked = iter([4242, 1]), [], []
    monkeypatch.setattr(parent_death.os, "getppid", lambda: next(parents))
    monkeypatch.setattr(parent_death.os, "kill", lambda pid, sig: killed.append((pid, sig)))
    monkeypatch.setattr(parent_death.ctypes, "CDLL", lambda *a, **k: type("Libc", (), {
        "prctl": staticmethod(lambda *args: asked.append(args) or 0)}))
    parent_death.die_with_parent()
    assert asked == [(parent_death.PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)]
    assert killed == [(os.getpid(), signal.SIGKILL)]


@pytest.mark.parametrize("platform, refused", [("darwin", False), ("linux", True)])
def test_nothing_changes_where_the_call_is_not_available(monkeypatch: pytest.MonkeyPatch, platform: str,
                                                         refused: bool) -> None:
    from pretrain_clean.pipeline import parent_death

    calls = []
    monkeypatch.setattr(parent_death.sys, "platform", platform)
    monkeypatch.setattr(parent_death.os, "getppid", lambda: calls.append("getppid") or 4242)
    monkeypatch.setattr(parent_death.os, "kill", lambda pid, sig: calls.append("kill"))
    monkeypatch.setattr(parent_death.ctypes, "CDLL", lambda *a, **k: type("Libc", (), {
        "prctl": staticmethod(lambda *args: calls.append("prctl") or -1)}))
    parent_death.die_with_parent()
    assert calls == (["getppid", "prctl"] if refused else [])  # a refused call kills nobody
