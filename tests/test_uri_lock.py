"""The output lock on an object store (moto S3 server on loopback): a second concurrent run into
the same ``s3://`` output is refused; a lock left by a killed run is taken over."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import ROOT, write_jsonl
from s3_server import moto_s3

pytest.importorskip("s3fs")

from pretrain_clean.errors import UsageError  # noqa: E402
from pretrain_clean.pipeline import storage, uri_lock  # noqa: E402
from pretrain_clean.pipeline.output_guard import clear_output, output_lock  # noqa: E402
from pretrain_clean.pipeline.uri_lock import STALE_S, UriLock  # noqa: E402

CLI = [sys.executable, "-m", "pretrain_clean"]


@pytest.fixture(scope="module")
def s3():
    with moto_s3(("corpus", "out")) as env:
        yield env


def _clean(inputs: str, out: str) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, "clean", "--config", "minimal", "--input", inputs, "--output", out,
                           "--workers", "1", "--quiet"], capture_output=True, text=True, cwd=ROOT, timeout=300)


def _put_lock(out: str, **holder: object) -> None:
    storage.write_text(f"{out}/_run.lock", json.dumps(holder))


def test_a_second_run_into_an_s3_output_fails_fast(s3, tmp_path: Path) -> None:
    write_jsonl(tmp_path / "a.jsonl", [{"text": "hello world"}, {"text": "second document"}])
    storage.write_bytes("s3://corpus/lock/a.jsonl", (tmp_path / "a.jsonl").read_bytes())
    first = UriLock("s3://out/busy")  # the first run, holding the output
    first.acquire()
    try:
        started = time.monotonic()
        second = _clean("s3://corpus/lock", "s3://out/busy")
        assert second.returncode == 2 and time.monotonic() - started < 60
        assert second.stderr.startswith(f"error: output s3://out/busy is in use by another run (pid {os.getpid()} on ")
        assert not storage.exists("s3://out/busy/kept")  # refused before any work
    finally:
        first.release()
    done = _clean("s3://corpus/lock", "s3://out/busy")
    assert done.returncode == 0, done.stderr
    kept = storage.list_files("s3://out/busy/kept", ".parquet")
    assert sum(storage.parquet_file(p).metadata.num_rows for p in kept) == 2
    assert not storage.exists("s3://out/busy/_run.lock")  # released when the run ended


def test_a_run_killed_with_sigkill_leaves_a_lock_its_rerun_takes_over(s3, tmp_path: Path) -> None:
    for i in range(20):
        write_jsonl(tmp_path / "in" / f"f{i:02d}.jsonl", [{"text": f"file {i} document {j} " * 30} for j in range(300)])
    for path in sorted((tmp_path / "in").iterdir()):
        storage.write_bytes(f"s3://corpus/killed/{path.name}", path.read_bytes())
    first = subprocess.Popen([*CLI, "clean", "--config", "minimal", "--input", "s3://corpus/killed", "--output",
                              "s3://out/killed", "--workers", "1", "--quiet"], cwd=ROOT,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while not storage.exists("s3://out/killed/_parts/part-00000.json"):
        assert first.poll() is None and time.time() < deadline, "the first run ended before it could be killed"
        time.sleep(0.05)
    first.kill()
    first.wait()
    assert json.loads(storage.read_text("s3://out/killed/_run.lock"))["pid"] == first.pid  # left behind
    rerun = _clean("s3://corpus/killed", "s3://out/killed")
    assert rerun.returncode == 0, rerun.stderr
    kept = storage.list_files("s3://out/killed/kept", ".parquet")
    assert sum(storage.parquet_file(p).metadata.num_rows for p in kept) == 6000
    assert not storage.exists("s3://out/killed/_run.lock")


def test_a_lock_of_a_dead_process_on_this_host_is_taken_over(s3) -> None:
    gone = subprocess.Popen(["true"])
    gone.wait()
    _put_lock("s3://out/dead", run_id="old", pid=gone.pid, host=socket.gethostname(), heartbeat=time.time())
    with output_lock("s3://out/dead") as path:
        assert json.loads(storage.read_text(path))["pid"] == os.getpid()
    assert not storage.exists("s3://out/dead/_run.lock")


@pytest.mark.parametrize("age, taken", [(STALE_S - 5, False), (STALE_S + 5, True)])
def test_a_lock_from_another_host_is_stale_after_its_heartbeat_stops(s3, age: float, taken: bool) -> None:
    out = f"s3://out/host-{int(age)}"
    _put_lock(out, run_id="other", pid=1, host="other-node", started="x", heartbeat=time.time() - age)
    lock = UriLock(out)
    if not taken:
        with pytest.raises(UsageError, match="in use by another run \\(pid 1 on other-node"):
            lock.acquire()
        return
    lock.acquire()
    assert json.loads(storage.read_text(f"{out}/_run.lock"))["run_id"] == lock.info["run_id"]
    lock.release()


def test_the_heartbeat_refreshes_a_held_lock(s3, monkeypatch) -> None:
    monkeypatch.setattr(uri_lock, "HEARTBEAT_S", 0.05)
    lock = UriLock("s3://out/beat")
    lock.acquire()
    first = lock.read()["heartbeat"]  # (a GET of the whole object: it is rewritten meanwhile)
    deadline = time.time() + 20
    while lock.read()["heartbeat"] == first:
        assert time.time() < deadline, "no heartbeat"
        time.sleep(0.05)
    lock.release()
    assert not storage.exists("s3://out/beat/_run.lock")


def _race(out: str, runs: int) -> list[str]:
    results: list[str] = []
    locks = [UriLock(out) for _ in range(runs)]
    barrier = threading.Barrier(runs)

    def take(lock: UriLock) -> None:
        barrier.wait()
        try:
            lock.acquire()
            results.append("held")
        except UsageError:
            results.append("refused")

    threads = [threading.Thread(target=take, args=(lock,)) for lock in locks]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for lock in locks:
        lock.release()
    return sorted(results)


def test_of_racing_runs_exactly_one_holds_the_lock(s3) -> None:
    assert _race("s3://out/race", 4) == ["held", "refused", "refused", "refused"]


def test_a_store_without_exclusive_create_writes_and_reads_back(s3, monkeypatch) -> None:
    """Stores where fsspec's "xb" mode is refused fall back to write, pause, read back."""
    monkeypatch.setattr(uri_lock, "SETTLE_S", 0.2)
    opened = UriLock.__init__

    def no_exclusive(self: UriLock, out_dir: str) -> None:
        opened(self, out_dir)
        real_open = self.fs.open

        def refuse_x(path: str, mode: str = "rb", **kw: object):  # noqa: ANN202
            if "x" in mode:
                raise NotImplementedError("no exclusive create")
            return real_open(path, mode, **kw)

        self.fs = type("NoX", (), {"__getattr__": lambda _, name: getattr(real_open.__self__, name),
                                   "open": staticmethod(refuse_x)})()

    monkeypatch.setattr(UriLock, "__init__", no_exclusive)
    first = UriLock("s3://out/nox")
    first.acquire()
    with pytest.raises(UsageError, match="in use by another run"):
        UriLock("s3://out/nox").acquire()
    first.release()
    assert not storage.exists("s3://out/nox/_run.lock")


def test_overwrite_on_s3_clears_everything_but_the_lock(s3) -> None:
    for name in ("kept/part-00000.parquet", "_parts/part-00000.json", "stats.json"):
        storage.write_text(f"s3://out/ow/{name}", "x")
    with output_lock("s3://out/ow"):
        clear_output("s3://out/ow")
        assert [storage.basename(p) for p in storage.list_files("s3://out/ow")] == ["_run.lock"]
