"""A plain ``pip install .`` works as a new user meets it (issue 10, "What must show").

A fresh venv made with ``python3 -m venv``, its own stock pip (no upgrade), a non-editable
install of this checkout, then the main job run from a folder outside the checkout on the
bundled sample with the bundled default config. pip may use its cache; building KenLM's
Python module from source is most of the time when the cache is cold.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from conftest import ROOT

pytestmark = pytest.mark.slow

WEB_SUFFIXES = (".warc.gz", ".html")


def _run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: int) -> subprocess.CompletedProcess:
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{cmd} exited {result.returncode}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def _rows(folder: Path, columns: list[str]) -> list[dict]:
    rows: list[dict] = []
    for part in sorted(folder.glob("*.parquet")):
        rows += pq.read_table(part, columns=columns).to_pylist()
    return rows


def test_plain_pip_install_runs_the_main_job_outside_the_checkout(tmp_path: Path) -> None:
    started = time.monotonic()
    venv = tmp_path / "venv"
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    base_python = getattr(sys, "_base_executable", None) or "python3"
    _run([base_python, "-m", "venv", str(venv)], work, env, 120)
    _run([str(venv / "bin" / "pip"), "install", str(ROOT)], work, env, 1800)
    installed = time.monotonic()

    out = work / "out"
    _run([str(venv / "bin" / "pretrain-clean"), "clean", "--config", "default", "--input",
          str(ROOT / "data" / "sample"), "--output", str(out), "--workers", "2", "--quiet"], work, env, 900)
    help_text = _run([str(venv / "bin" / "python"), "-m", "pretrain_clean", "--help"], work, env, 120).stdout
    assert "clean" in help_text and "report-tokenizers" in help_text
    # the installed package, not this checkout, was imported
    where = _run([str(venv / "bin" / "python"), "-c", "import pretrain_clean; print(pretrain_clean.__file__)"],
                 work, env, 60).stdout
    assert str(venv) in where

    assert _rows(out / "quarantine", ["kind"]) == []
    documents = _rows(out / "kept", ["source", "text"]) + _rows(out / "rejected", ["source", "text"])
    web = [d for d in documents if d["source"].endswith(WEB_SUFFIXES) and d["text"].strip()]
    assert any(d["source"].endswith(".warc.gz") for d in web), "no WARC page was extracted"
    assert any(d["source"].endswith(".html") for d in web), "no HTML page was extracted"
    print(f"\ninstall {installed - started:.0f} s, clean run {time.monotonic() - installed:.0f} s")
