"""Deterministic streaming sample: formats, seeds, byte budget, held-out exclusion."""
from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pretrain_clean.paths import CONFIGS
from pretrain_clean.tokenizer.config import load_config
from pretrain_clean.tokenizer.sample import hashes_of, iter_documents, read_sample, sample_documents, text_hash, write_sample

DOCS = [f"document {i} " + "word " * (i % 17) + "中文" * (i % 5) for i in range(400)]


@pytest.fixture()
def corpus(tmp_path: Path) -> Path:
    """A cleaned-corpus dir (kept/*.parquet, the lead's layout) plus a rejected part to ignore."""
    kept = tmp_path / "clean" / "kept"
    kept.mkdir(parents=True)
    for part in range(2):
        docs = DOCS[part * 200:(part + 1) * 200]
        table = pa.table({"id": [str(i) for i in range(len(docs))], "text": docs, "source": ["t"] * len(docs),
                          "position": list(range(len(docs))), "meta": ["{}"] * len(docs)})
        pq.write_table(table, kept / f"part-{part:05d}.parquet")
    rejected = tmp_path / "clean" / "rejected"
    rejected.mkdir()
    pq.write_table(pa.table({"text": ["REJECTED"]}), rejected / "part-00000.parquet")
    return tmp_path / "clean"


def test_reads_kept_parquet_only(corpus: Path) -> None:
    texts = [t for _, t in iter_documents([corpus])]
    assert texts == DOCS


def test_reads_jsonl_gz_and_txt(tmp_path: Path) -> None:
    with gzip.open(tmp_path / "a.jsonl.gz", "wt", encoding="utf-8") as fh:
        fh.write(json.dumps({"text": "one"}) + "\n\n" + json.dumps({"text": "two\nlines"}) + "\n")
    (tmp_path / "b.txt").write_text("three\n\nfour\n", encoding="utf-8")
    assert [t for _, t in iter_documents([tmp_path])] == ["one", "two\nlines", "three", "four"]


def test_bad_json_line_is_named(tmp_path: Path) -> None:
    (tmp_path / "x.jsonl").write_text('{"text": "ok"}\n{"txt": 1}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"x.jsonl:2: expected a JSON object with a 'text' field"):
        list(iter_documents([tmp_path / "x.jsonl"]))


def test_sample_is_deterministic_and_respects_budget(corpus: Path) -> None:
    total = sum(len(d.encode()) for d in DOCS)
    a = list(sample_documents([corpus], total // 4, seed=1))
    b = list(sample_documents([corpus], total // 4, seed=1))
    c = list(sample_documents([corpus], total // 4, seed=2))
    assert a == b and a != c
    size = sum(len(t.encode()) for t in a)
    assert total // 8 < size <= total // 4 + max(len(d.encode()) for d in DOCS)
    assert list(sample_documents([corpus], None)) == DOCS


def test_excluded_documents_never_sampled(corpus: Path, tmp_path: Path) -> None:
    held = tmp_path / "eval.jsonl"
    held.write_text("".join(json.dumps({"text": d}) + "\n" for d in DOCS[::3]), encoding="utf-8")
    info = write_sample([corpus], tmp_path / "s", None, exclude_paths=[held])
    sampled = set(read_sample(tmp_path / "s"))
    assert sampled == set(DOCS) - set(DOCS[::3])
    assert info.excluded_docs == len(DOCS[::3])
    written = set((tmp_path / "s" / "sample_hashes.txt").read_text().split())
    assert written == {text_hash(t) for t in sampled} and not written & hashes_of([held])


def test_missing_input_is_named(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="nope"):
        list(iter_documents([tmp_path / "nope"]))


def test_config_unknown_key_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "t.toml"
    bad.write_text("[spm]\nvocab = 10\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"\[spm\]\.vocab: unknown key"):
        load_config(bad)


def test_default_config_loads() -> None:
    cfg = load_config(CONFIGS / "tokenizer.toml")
    assert cfg.spm.vocab_size == 64000 and cfg.bpe.vocab_size == 81920 and cfg.bpe.reserved == 200
    assert "<div>" in cfg.bpe.added_tokens and "，" in cfg.bpe.added_tokens
