"""Start-up checks (issue 10, item 1): a library that will not import or a model that will not
load is one ``error:`` line and exit 2 before any output exists, never per-document quarantine."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, write_jsonl
from pretrain_clean.errors import EnvironmentProblem
from pretrain_clean.pipeline.clean import CleanOptions, clean
from pretrain_clean.pipeline.config import load_config

# Runs the console script's function with ``module`` made unimportable (as if not installed).
WITHOUT = "import sys; sys.modules[{module!r}] = None; from pretrain_clean.cli.main import main; sys.exit(main(sys.argv[1:]))"


@pytest.mark.parametrize("module, stage", [("kenlm", "perplexity"), ("fasttext", "language_id")])
def test_missing_library_is_an_error_before_any_output(tmp_path: Path, module: str, stage: str) -> None:
    write_jsonl(tmp_path / "in" / "a.jsonl", [{"text": "hello world"}])
    out = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, "-c", WITHOUT.format(module=module), "clean", "--config", "default",
         "--input", str(tmp_path / "in"), "--output", str(out), "--quiet"],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
    )
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1 and lines[0].startswith("error: stages["), result.stderr
    assert f"({stage}) needs the Python module '{module}', which cannot be imported" in lines[0]
    assert not out.exists()


def test_missing_library_raises_environment_problem(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "kenlm", None)
    write_jsonl(tmp_path / "in" / "a.jsonl", [{"text": "hello world"}])
    spec = load_config("default", ["stages.perplexity.head_percentile=29"])  # not cached yet
    with pytest.raises(EnvironmentProblem, match=r"\(perplexity\) needs the Python module 'kenlm'"):
        clean(spec, [str(tmp_path / "in")], str(tmp_path / "out"), CleanOptions(show_progress=False))
    assert not (tmp_path / "out").exists()


def test_model_that_cannot_load_is_an_error_before_any_output(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "in" / "a.jsonl", [{"text": "hello world"}])
    broken = tmp_path / "lid.ftz"
    broken.write_bytes(b"not a fastText model")
    result = subprocess.run(
        [sys.executable, "-m", "pretrain_clean", "clean", "--config", "default", "--input", str(tmp_path / "in"),
         "--output", str(tmp_path / "out"), "--set", f"stages.language_id.model_path={broken}", "--quiet"],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
    )
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1, result.stderr
    assert lines[0].startswith("error: stages[") and f"not a readable fastText model: {broken}" in lines[0]
    assert not (tmp_path / "out").exists()


def test_c_modules_missing_or_stale_are_clear_start_up_errors() -> None:
    """A checkout that never built the C modules, or built them before their last change, fails
    at import with what to run, not with a TypeError deep in a stage."""
    from pretrain_clean import native

    with pytest.raises(ImportError, match="C module filters._absent is not built: install the package"):
        native.load("filters._absent", 1)
    with pytest.raises(ImportError, match=r"filters._chunks is an old build \(VERSION 2, need 3\)"):
        native.load("filters._chunks", 3)
    assert native.load("filters._chunks", 2).VERSION == 2
    with pytest.raises(ImportError, match=r"pretrain_clean's C module paths is an old build \(VERSION None, need 1\)"):
        native.load("paths", 1)  # a module without VERSION: built before versions existed
