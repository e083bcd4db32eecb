"""The driver's phase progress lines (Spark dedup)."""
from __future__ import annotations

import io
import re
import time

from pretrain_clean.pipeline.progress import PhaseProgress


def test_a_line_per_phase_ticks_while_one_runs_and_done() -> None:
    stream = io.StringIO()
    with PhaseProgress("job", lambda: "tasks 1/2", interval=0.05, stream=stream) as progress:
        progress.start("first")
        progress.end("3 found")
        progress.start("slow")
        time.sleep(0.3)
        progress.end()
    lines = stream.getvalue().splitlines()
    assert re.fullmatch(r"\[job\] first [\d.]+ s · 3 found", lines[0])
    assert any(re.fullmatch(r"\[job\] slow · 0m00s · tasks 1/2", line) for line in lines[1:-2])
    assert re.fullmatch(r"\[job\] slow [\d.]+ s", lines[-2]) and float(lines[-2].split()[2]) >= 0.3
    assert re.fullmatch(r"\[job\] done · 0m00s", lines[-1])


def test_disabled_prints_nothing_and_an_empty_detail_adds_nothing() -> None:
    stream = io.StringIO()
    with PhaseProgress("job", enabled=False, interval=0.01, stream=stream) as progress:
        progress.start("a")
        time.sleep(0.05)
        progress.end("x")
    assert stream.getvalue() == ""
    stream = io.StringIO()
    with PhaseProgress("job", lambda: "", interval=0.02, stream=stream) as progress:
        progress.start("a")
        time.sleep(0.1)
    assert "[job] a · 0m00s\n" in stream.getvalue()


def test_a_failed_block_prints_no_done_line() -> None:
    stream = io.StringIO()
    try:
        with PhaseProgress("job", stream=stream) as progress:
            progress.start("a")
            raise KeyError("boom")
    except KeyError:
        pass
    assert "done" not in stream.getvalue()
