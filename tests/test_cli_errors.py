"""One error style for every job: usage, config and input problems are one ``error:`` line, exit 2.

Run through ``python -m pretrain_clean`` (the console script's own function) from a folder
outside the checkout, as a user would meet them.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import write_jsonl

CLI = [sys.executable, "-m", "pretrain_clean"]


def one_error_line(tmp_path: Path, *args: str) -> str:
    """Run a subcommand; assert exit 2 and a single ``error:`` line; return that line."""
    result = subprocess.run([*CLI, *args], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "in" / "a.jsonl", [{"text": "hello world"}])


@pytest.mark.parametrize("args, message", [
    (["clean", "--config", "minimal", "--input", "nope.jsonl", "--output", "o"], "error: input not found: nope.jsonl"),
    (["clean", "--config", "nope.toml", "--input", "in", "--output", "o"], "error: config file not found"),
    (["clean", "--config", "minimal", "--input", "in", "--output", "o", "--workers", "0"],
     "error: argument --workers: expected an integer >= 1, got 0 (see pretrain-clean clean --help)"),
    (["clean", "--config", "minimal", "--input", "in", "--output", "o", "--workers", "two"],
     "error: argument --workers: invalid positive value: 'two'"),
    (["clean", "--config", "minimal", "--input", "in"], "error: the following arguments are required: --output"),
    (["clean", "--config", "minimal", "--input", "in", "--output", "afile"], "error: output afile is a file"),
    (["clean", "--config", "minimal", "--input", "in", "--output", "in/o"], "error: output in/o is inside input in"),
    (["dedup", "--config", "default", "--input", "nope", "--output", "o"], "error: input not found: nope"),
    (["dedup", "--config", "default", "--input", "in", "--output", "o"],
     "error: no input files (.parquet) in: in (inputs not read: 1 files of unknown type: in/a.jsonl)"),
    (["dedup", "--config", "default", "--input", "run", "--output", "afile"], "error: output afile is a file"),
    (["train-tokenizer", "--kind", "spm", "--input", "nope", "--output", "o"], "error: input not found: nope"),
    (["train-tokenizer", "--kind", "xx", "--input", "in", "--output", "o"], "error: argument --kind: invalid choice"),
    (["train-tokenizer", "--kind", "spm", "--input", "in", "--output", "o", "--vocab-size", "-5"],
     "error: argument --vocab-size: expected an integer >= 1, got -5"),
    (["report-tokenizers", "--tokenizer", "x=nope.json", "--output", "o", "--no-references"],
     "error: tokenizer file nope.json does not exist"),
    (["report-tokenizers", "--tokenizer", "nope.json", "--output", "o"], "error: --tokenizer 'nope.json': expected NAME=PATH"),
    (["shards", "--tokenizer", "nope.json", "--input", "run", "--output", "o"], "error: tokenizer file not found: "),
    (["shards", "--tokenizer", "nope.json", "--input", "run", "--output", "o", "--seq-len", "x"],
     "error: argument --seq-len: invalid int value: 'x'"),
    (["shards", "--tokenizer", "nope.json", "--input", "run", "--output", "afile"], "error: output afile is a file"),
    (["verify-shards"], "error: the following arguments are required: dir"),
    (["verify-shards", "nope"], "error: shard folder not found: nope"),
    (["train-kenlm", "--input", "nope", "--output", "o.bin"], "error: input not found: nope"),
    (["train-quality", "--positive", "nope", "--negative", "in", "--output", "o.ftz"], "error: input not found: nope"),
    (["train-toxicity", "--positive", "in", "--negative", "nope", "--output", "o.ftz"], "error: input not found: nope"),
    (["train-quality", "--positive", "in", "--negative", "in", "--output", "o.ftz", "--epoch", "x"],
     "error: argument --epoch: invalid int value: 'x' (see pretrain-clean train-quality --help)"),
    (["no-such-job"], "error: unknown subcommand 'no-such-job'"),
])
def test_every_job_reports_user_errors_as_one_line(tmp_path: Path, corpus: Path, args: list[str], message: str) -> None:
    (tmp_path / "afile").write_text("not a folder")
    (tmp_path / "run" / "kept").mkdir(parents=True)
    (tmp_path / "run" / "kept" / "part-00000.parquet").write_bytes(b"")
    if args[0] == "no-such-job":  # the usage text follows the error line
        result = subprocess.run([*CLI, *args], capture_output=True, text=True, cwd=tmp_path, timeout=60)
        assert result.returncode == 2 and result.stderr.startswith(message)
        return
    assert one_error_line(tmp_path, *args).startswith(message)


def test_report_overlap_refused_only_with_fail_on_overlap(tmp_path: Path) -> None:
    from pretrain_clean.paths import RESOURCES
    from pretrain_clean.tokenizer.sample import text_hash

    tok = tmp_path / "tok"
    tok.mkdir()
    (tok / "gpt2.tiktoken").write_bytes((RESOURCES / "tokenizers" / "gpt2.tiktoken").read_bytes())
    (tok / "sample_hashes.txt").write_text(text_hash("seen in training") + "\n")
    ev = write_jsonl(tmp_path / "en.jsonl", [{"text": "seen in training"}, {"text": "held out"}])
    args = ["report-tokenizers", "--tokenizer", f"ours={tok / 'gpt2.tiktoken'}", "--eval", f"en={ev}",
            "--no-references", "--output", str(tmp_path / "rep")]
    done = subprocess.run([*CLI, *args], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Excluded from every tokenizer's evaluation: 1 documents of en." in done.stdout
    line = one_error_line(tmp_path, *args, "--fail-on-overlap")
    assert "1/2 documents of eval set 'en' are in the training sample of 'ours'" in line
