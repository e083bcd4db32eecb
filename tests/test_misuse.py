"""Misuse of the clean job's output (issue 10): refused before any work, never half-done."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq

from conftest import ROOT, write_jsonl
from pretrain_clean.pipeline.plan import LOCK_FILE

CLI = [sys.executable, "-m", "pretrain_clean"]


def pretrain_clean(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, cwd=ROOT, timeout=300)


def rows(folder: Path) -> int:
    return sum(pq.ParquetFile(p).metadata.num_rows for p in folder.glob("*.parquet"))


def clean(inputs: Path | str, out: Path, *extra: str) -> subprocess.CompletedProcess:
    return pretrain_clean("clean", "--config", "minimal", "--input", str(inputs), "--output", str(out),
                          "--workers", "1", "--quiet", *extra)


def many_files(folder: Path, files: int = 40, docs: int = 400) -> Path:
    for i in range(files):
        write_jsonl(folder / f"f{i:02d}.jsonl", [{"text": f"file {i} document {j} " * 30} for j in range(docs)])
    return folder


def test_second_run_into_the_same_output_fails_fast_and_the_first_finishes(tmp_path: Path) -> None:
    # Reproduces issue 10: without a lock the second run deleted the first's temp files.
    inputs = many_files(tmp_path / "in", docs=2000)  # long enough that the second run starts before the first ends
    out = tmp_path / "out"
    first = subprocess.Popen([*CLI, "clean", "--config", "minimal", "--input", str(inputs), "--output", str(out),
                              "--workers", "1", "--quiet"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    deadline = time.time() + 120
    while time.time() < deadline and not list((out / "_parts").glob("*.json")):
        time.sleep(0.01)
    started = time.monotonic()
    second = clean(inputs, out)
    assert time.monotonic() - started < 30
    assert second.returncode == 2
    assert second.stderr.startswith(f"error: output {out} is in use by another run (pid {first.pid} on ")
    assert first.wait(timeout=300) == 0, first.stderr
    assert rows(out / "kept") == 40 * 2000
    assert not (out / LOCK_FILE).exists()


def test_a_stale_lock_from_a_killed_run_is_taken_over(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "in" / "a.jsonl", [{"text": "hello"}])
    out = tmp_path / "out"
    out.mkdir()
    gone = subprocess.Popen(["true"])
    gone.wait()
    (out / LOCK_FILE).write_text(json.dumps({"pid": gone.pid, "host": os.uname().nodename, "started": "x"}))
    result = clean(tmp_path / "in", out)
    assert result.returncode == 0, result.stderr
    assert rows(out / "kept") == 1 and not (out / LOCK_FILE).exists()


def test_a_live_lock_on_another_host_is_respected(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "in" / "a.jsonl", [{"text": "hello"}])
    out = tmp_path / "out"
    out.mkdir()
    (out / LOCK_FILE).write_text(json.dumps({"pid": 1, "host": "other-node", "started": "x"}))
    result = clean(tmp_path / "in", out, "--overwrite")
    assert result.returncode == 2 and "in use by another run (pid 1 on other-node" in result.stderr
    assert (out / LOCK_FILE).exists()


def test_output_inside_an_input_is_refused_before_any_work(tmp_path: Path) -> None:
    # Reproduces issue 10: a rerun read the first run's outputs as input (6,000 docs became 19,296).
    inputs = many_files(tmp_path / "in", files=2, docs=10)
    result = clean(inputs, inputs / "out")
    assert result.returncode == 2
    assert result.stderr.strip() == (f"error: output {inputs / 'out'} is inside input {inputs}: the run would "
                                     "read its own results; choose an output folder outside the inputs")
    assert not (inputs / "out").exists()


def test_an_input_holding_an_earlier_runs_output_is_refused(tmp_path: Path) -> None:
    inputs = many_files(tmp_path / "data" / "raw", files=2, docs=10)
    assert clean(inputs, tmp_path / "data" / "run1").returncode == 0
    result = clean(tmp_path / "data", tmp_path / "run2")
    assert result.returncode == 2
    assert f"error: input {tmp_path / 'data' / 'run1'} holds the output of an earlier run" in result.stderr
    assert not (tmp_path / "run2").exists()


def test_an_input_inside_the_output_is_refused_and_overwrite_deletes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_jsonl(out / "raw" / "a.jsonl", [{"text": "hello"}])
    result = clean(out / "raw", out, "--overwrite")
    assert result.returncode == 2 and f"input {out / 'raw'} is inside output {out}" in result.stderr
    assert (out / "raw" / "a.jsonl").exists()


def test_overwrite_clears_the_output_before_the_inputs_are_listed(tmp_path: Path) -> None:
    inputs = many_files(tmp_path / "in", files=2, docs=10)
    out = tmp_path / "out"
    (out / "kept").mkdir(parents=True)
    (out / "kept" / "part-00099.parquet").write_bytes(b"left over")
    (out / "stats.json").write_text("{}")
    result = clean(inputs, out, "--overwrite")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (out / "kept").iterdir()) == ["part-00000.parquet", "part-00001.parquet"]
    assert rows(out / "kept") == 20 and json.loads((out / "stats.json").read_text())["documents_in"] == 20


def test_symlinked_file_leaving_the_input_folder_is_not_read(tmp_path: Path) -> None:
    # Reproduces issue 10: `-> /etc/passwd` inside an input folder ended up in quarantine/raw.
    write_jsonl(tmp_path / "in" / "a.jsonl", [{"text": "hello"}])
    secret = write_jsonl(tmp_path / "private" / "secret.jsonl", [{"text": "password"}])
    os.symlink(secret, tmp_path / "in" / "secret.jsonl")
    result = clean(tmp_path / "in", tmp_path / "out")
    assert result.returncode == 0 and "symlinks leaving the input tree" in result.stderr
    assert rows(tmp_path / "out" / "kept") == 1 and rows(tmp_path / "out" / "quarantine") == 0
    followed = clean(tmp_path / "in", tmp_path / "out2", "--follow-symlinks")
    assert followed.returncode == 0 and rows(tmp_path / "out2" / "kept") == 2


def test_lock_unit_behaviour(tmp_path: Path) -> None:
    import pytest

    from pretrain_clean.errors import UsageError
    from pretrain_clean.pipeline.output_guard import acquire, output_lock

    with output_lock(str(tmp_path / "out")) as lock:
        assert json.loads(lock.read_text())["pid"] == os.getpid()
        with pytest.raises(UsageError, match=f"in use by another run \\(pid {os.getpid()} on "):
            acquire(str(tmp_path / "out"))  # a live holder, even this very process, is respected
    assert not (tmp_path / "out").exists()  # made by the lock, left empty: removed again
    (tmp_path / "kept").mkdir()
    (tmp_path / "kept" / LOCK_FILE).write_text("")  # half-written by someone: never guessed stale
    with pytest.raises(UsageError, match="exists but cannot be read"):
        acquire(str(tmp_path / "kept"))
    (tmp_path / "afile").write_text("x")
    with pytest.raises(UsageError, match="is a file"), output_lock(str(tmp_path / "afile")):
        pass


def test_a_txt_named_explicitly_is_read_as_text(tmp_path: Path) -> None:
    # Issue 10: a .txt given by name was quarantined line by line as malformed JSON.
    notes = tmp_path / "in" / "notes.txt"
    notes.parent.mkdir()
    notes.write_text("first line of prose\nsecond line, not JSON\n", encoding="utf-8")
    result = clean(notes, tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert rows(tmp_path / "out" / "kept") == 1 and rows(tmp_path / "out" / "quarantine") == 0
