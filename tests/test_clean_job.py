"""The clean job end to end on the local engine: outputs, accounting, usage errors, resume."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq

from conftest import ROOT, write_jsonl
from pretrain_clean.pipeline.clean import CleanOptions, clean
from pretrain_clean.pipeline.config import parse_config
from test_config import LongEnough  # noqa: F401 - registers the test stage

JOB = [sys.executable, str(ROOT / "jobs" / "clean.py")]
TIMING_KEYS = {"seconds", "read_seconds", "write_seconds", "dedup_seconds"}


def run_job(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*JOB, *args], capture_output=True, text=True, cwd=ROOT, timeout=300)


def without_timings(value):
    if isinstance(value, dict):
        return {k: without_timings(v) for k, v in value.items() if k not in TIMING_KEYS}
    return value


def read_dir(path: Path) -> list[dict]:
    rows = []
    for part in sorted(path.glob("*.parquet")):
        rows += pq.read_table(part).to_pylist()
    return rows


def messy_inputs(folder: Path) -> Path:
    write_jsonl(folder / "a.jsonl", [{"id": "a1", "text": "long enough text here"}, {"id": "a2", "text": "short"},
                                     '{"text": oops}', b'{"text": "\xff"}', {"title": "none"}])
    write_jsonl(folder / "b.jsonl.gz", [{"text": "another long enough document"}], compress=True)
    (folder / "empty.jsonl").write_bytes(b"")
    return folder


def test_every_document_is_kept_removed_or_quarantined(tmp_path: Path) -> None:
    spec = parse_config({"stages": [{"stage": "test_long_enough", "min_chars": 10}]}, ROOT)
    out = tmp_path / "out"
    stats = clean(spec, [str(messy_inputs(tmp_path / "in"))], str(out), CleanOptions(show_progress=False))
    assert (stats.documents_in, stats.kept, stats.removed_total, stats.quarantined) == (7, 2, 1, 4)
    saved = json.loads((out / "stats.json").read_text())
    assert saved["removed"] == {"test_long_enough.too_short": 1}
    assert saved["quarantine_errors"] == {"empty_file": 1, "invalid_utf8": 1, "malformed_json": 1, "missing_text": 1}
    assert saved["examples"] == {"test_long_enough.too_short": [{"id": "a2", "text": "short"}]}
    removals = (out / "removals.md").read_text()
    assert "| `test_long_enough.too_short` | 1 | `a2`: short |" in removals
    assert saved["stages"]["test_long_enough"]["documents_in"] == 3
    assert {r["id"] for r in read_dir(out / "kept")} == {"a1", "b.jsonl.gz:1"}
    (rejected,) = read_dir(out / "rejected")
    assert (rejected["id"], rejected["stage"], rejected["reason"]) == ("a2", "test_long_enough", "too_short")
    quarantine = {(r["source"], r["position"], r["kind"]) for r in read_dir(out / "quarantine")}
    assert quarantine == {("a.jsonl", 3, "malformed_json"), ("a.jsonl", 4, "invalid_utf8"),
                          ("a.jsonl", 5, "missing_text"), ("empty.jsonl", 0, "empty_file")}
    assert (out / "funnel.md").exists() and (out / "funnel.svg").read_text().startswith("<svg")
    assert "| test_long_enough | 2 |" in (out / "funnel.md").read_text()


def test_missing_input_is_a_one_line_error(tmp_path: Path) -> None:
    result = run_job("--config", "minimal", "--input", str(tmp_path / "nope.jsonl"),
                     "--output", str(tmp_path / "out"))
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: input not found: {tmp_path / 'nope.jsonl'}"
    assert not (tmp_path / "out").exists()


def test_unwritable_output_is_an_error_before_work(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "a.jsonl", [{"text": "x"}])
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    result = run_job("--config", "minimal", "--input", str(tmp_path / "a.jsonl"),
                     "--output", str(blocker / "out"))
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: output directory is not writable: {blocker / 'out'}")


def test_bad_config_is_an_error_naming_the_key(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('[input]\ntext_feld = "text"\n')
    write_jsonl(tmp_path / "a.jsonl", [{"text": "x"}])
    result = run_job("--config", str(config), "--input", str(tmp_path / "a.jsonl"), "--output", str(tmp_path / "o"))
    assert result.returncode == 2 and "error: input.text_feld: unknown key" in result.stderr


def test_rerun_with_other_config_needs_overwrite(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "in" / "a.jsonl", [{"text": "hello world"}])
    out = str(tmp_path / "out")
    assert run_job("--config", "minimal", "--input", str(tmp_path / "in"), "--output", out,
                   "--quiet").returncode == 0
    other = tmp_path / "other.toml"
    other.write_text('[input]\nmax_text_bytes = 100\n')
    result = run_job("--config", str(other), "--input", str(tmp_path / "in"), "--output", out)
    assert result.returncode == 2 and "different config or input" in result.stderr
    assert run_job("--config", str(other), "--input", str(tmp_path / "in"), "--output", out,
                   "--overwrite", "--quiet").returncode == 0


def test_rerun_after_kill_completes_and_matches_uninterrupted_run(tmp_path: Path) -> None:
    for i in range(40):
        write_jsonl(tmp_path / "in" / f"f{i:02d}.jsonl",
                    [{"text": f"file {i} document {j} " * 30} for j in range(400)] + ["not json"])
    args = ["--config", "minimal", "--input", str(tmp_path / "in"), "--workers", "1", "--quiet"]
    killed = tmp_path / "killed"
    proc = subprocess.Popen([*JOB, *args, "--output", str(killed)], cwd=ROOT, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and len(list((killed / "_parts").glob("*.json"))) < 3:
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done_before = len(list((killed / "_parts").glob("*.json")))
    assert 3 <= done_before < 40 and not (killed / "stats.json").exists()

    assert run_job(*args, "--output", str(killed)).returncode == 0
    fresh = tmp_path / "fresh"
    assert run_job(*args, "--output", str(fresh)).returncode == 0
    resumed_stats = json.loads((killed / "stats.json").read_text())
    assert without_timings(resumed_stats) == without_timings(json.loads((fresh / "stats.json").read_text()))
    assert resumed_stats["documents_in"] == 40 * 401 and resumed_stats["quarantined"] == 40
    for sub in ("kept", "rejected", "quarantine"):
        assert read_dir(killed / sub) == read_dir(fresh / sub)
    assert not list(killed.rglob(".*.tmp-*"))


QUIET_RUN = """
import sys, threading, time
from pretrain_clean.paths import CONFIGS
from pretrain_clean.pipeline.clean import CleanOptions, clean
from pretrain_clean.pipeline.config import load_config

if __name__ == "__main__":
    threading.Thread(target=time.sleep, args=(60,), daemon=True).start()  # a live thread: forkserver workers
    clean(load_config(CONFIGS / "minimal.toml"), [sys.argv[1]], sys.argv[2],
          CleanOptions(workers=2, show_progress=False))
"""


def test_quiet_run_with_forkserver_workers_prints_no_datatrove_banner(tmp_path: Path) -> None:
    """``--quiet`` with two workers started by forkserver (another thread was running, so no
    fork): datatrove's "Launching pipeline" banner came from the children before our step ran."""
    docs = [{"id": str(i), "text": f"plain text number {i} " * 20} for i in range(40)]
    for name in ("a", "b"):
        write_jsonl(tmp_path / "in" / f"{name}.jsonl", docs)
    script = tmp_path / "quiet.py"
    script.write_text(QUIET_RUN, encoding="utf-8")
    run = subprocess.run([sys.executable, str(script), str(tmp_path / "in"), str(tmp_path / "out")],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "Launching pipeline" not in run.stderr and "PIPELINE" not in run.stderr, run.stderr
    assert sum(pq.ParquetFile(p).metadata.num_rows for p in (tmp_path / "out" / "kept").glob("*.parquet")) == 80
