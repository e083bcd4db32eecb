"""A big parquet input cut into row-group ranges, and a big JSON-lines or text file cut into
line-aligned byte ranges, give the same documents, ids and removal counts as one part per file,
on both engines (rows counted in the parquet outputs)."""
from __future__ import annotations

import json
import logging
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import write_jsonl
from pretrain_clean.pipeline import storage
from pretrain_clean.pipeline.clean import CleanOptions, clean
from pretrain_clean.pipeline.config import ConfigError, load_config
from pretrain_clean.pipeline.parts import PartTask
from pretrain_clean.pipeline.split import split_tasks

CONFIG = """
[run]
part_bytes = {part_bytes}

[[stages]]
stage = "gopher_quality"
min_doc_words = 8
min_stop_words = 1

[dedup]
exact = true
minhash = true
paragraph = true
"""
WORDS = "the river runs past the old mill and the children play in the water all day long".split()


def _corpus(folder: Path) -> Path:
    """One parquet file of 12 row groups (no id column: ids are "<file>:<row>"), with exact and
    near duplicates across row groups and some too-short documents."""
    texts = []
    for i in range(600):
        if i % 7 == 0:
            texts.append("too short")
        elif i % 5 == 0:
            texts.append(texts[i // 2])  # a copy of an earlier document, often in another row group
        else:
            texts.append(" ".join(WORDS[i % 9:] + WORDS[: i % 9]) + f" number {i} item {i * 31 % 97}")
    folder.mkdir(parents=True)
    pq.write_table(pa.table({"text": texts}), folder / "big.parquet", row_group_size=50)
    write_jsonl(folder / "small.jsonl.gz", [{"text": t} for t in texts[:40]], compress=True)  # never split
    return folder


def _lines_corpus(folder: Path) -> Path:
    """One JSON-lines file (CRLF and LF line ends, a blank line, a malformed line, no final
    newline, no ids: ids are "<file>:<line>") and the same texts as a text file, one a line."""
    texts = [t.replace("\n", " ") for t in pq.read_table(_corpus(folder / "pq") / "big.parquet").column("text").to_pylist()]
    lines = [json.dumps({"text": t}, ensure_ascii=False).encode() for t in texts]
    lines[100], lines[200] = b"", b'{"text": broken'
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "big.jsonl").write_bytes(b"\r\n".join(lines[:300]) + b"\n" + b"\n".join(lines[300:]))
    (folder / "big.txt").write_bytes("\n".join(texts).encode())
    blocks = ["\n".join(texts[i:i + 1 + i % 3]) for i in range(0, len(texts), 3)]  # blocks of 1 to 3 lines
    (folder / "blocks.txt").write_bytes("\r\n\r\n".join(blocks[:50]).encode() + b"\n\n\n" + "\n\n".join(blocks[50:]).encode())
    return folder


def _rows(out: Path, sub: str) -> int:
    return sum(pq.ParquetFile(p).metadata.num_rows for p in storage.list_files(str(out / sub), ".parquet"))


def _result(out: Path) -> tuple:
    stats = json.loads((out / "stats.json").read_text())
    ids = [i for p in storage.list_files(str(out / "kept"), ".parquet") for i in pq.read_table(p).column("id").to_pylist()]
    rows = {sub: _rows(out, sub) for sub in ("kept", "rejected", "quarantine")}
    assert sum(rows.values()) == stats["documents_in"]  # every record is one output row
    return ids, stats["removed"], rows, stats["documents_in"], stats["parts"]


def _run(tmp_path: Path, corpus: Path, part_bytes: str, engine: str = "local", extra: str = "") -> tuple:
    cfg = tmp_path / f"c-{part_bytes}-{engine}.toml"
    cfg.write_text(extra + CONFIG.format(part_bytes=part_bytes))
    out = tmp_path / f"out-{part_bytes}-{engine}"
    clean(load_config(cfg), [str(corpus)], str(out), CleanOptions(engine=engine, show_progress=False))
    return _result(out)


def test_split_sizes_give_the_same_ids_and_removal_counts(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path / "in")
    whole = _run(tmp_path, corpus, '"off"')
    assert whole[4] == 2 and whole[1].get("dedup_exact.duplicate", 0) > 0 and whole[1]["gopher_quality.too_few_words"] > 0
    size = (corpus / "big.parquet").stat().st_size
    for part_bytes in (size // 3, size // 12, 1):
        split = _run(tmp_path, corpus, str(part_bytes))
        assert split[:4] == whole[:4], part_bytes
        assert split[4] > 2
    assert _run(tmp_path, corpus, "1")[4] == 13  # 12 row groups + the compressed jsonl file


@pytest.mark.parametrize("name, extra", [("big.jsonl", ""), ("big.txt", '[input]\ntxt_split = "line"\n'),
                                         ("blocks.txt", '[input]\ntxt_split = "block"\n')])
def test_line_ranges_give_the_same_ids_and_removal_counts(tmp_path: Path, name: str, extra: str) -> None:
    corpus = _lines_corpus(tmp_path / "in") / name
    whole = _run(tmp_path, corpus, '"off"', extra=extra)
    assert whole[4] == 1 and whole[1].get("dedup_exact.duplicate", 0) > 0 and whole[2]["rejected"] > 0
    assert whole[2]["quarantine"] == (1 if name == "big.jsonl" else 0)
    size = corpus.stat().st_size
    for parts in (3, 17):
        split = _run(tmp_path, corpus, str(-(-size // parts)), extra=extra)
        assert split[:4] == whole[:4] and split[4] == parts, parts


def test_split_tasks_plan_and_warn(tmp_path: Path, caplog) -> None:
    corpus = _corpus(tmp_path / "in")
    big = str(corpus / "big.parquet")
    size = storage.size(big)
    tasks = [PartTask(0, big, "big.parquet", size), PartTask(1, str(corpus / "small.jsonl.gz"), "small.jsonl.gz", 5000)]
    assert split_tasks(tasks, None) == tasks
    with caplog.at_level(logging.WARNING):
        parts = split_tasks(tasks, 100)
    assert [p.row_groups for p in parts] == [(i, i + 1) for i in range(12)] + [None]
    assert [p.index for p in parts] == list(range(13)) and parts[-1].source == "small.jsonl.gz"
    assert "small.jsonl.gz: 0.0 MB is read as one part" in caplog.text
    assert split_tasks(tasks, size) == tasks  # not over the limit: unchanged


def test_part_bytes_must_be_positive(tmp_path: Path) -> None:
    (tmp_path / "c.toml").write_text(CONFIG.format(part_bytes=0))
    with pytest.raises(ConfigError, match="part_bytes must be positive"):
        load_config(tmp_path / "c.toml")


@pytest.mark.slow
def test_split_on_spark_equals_unsplit_local(tmp_path: Path, spark) -> None:
    corpus = _corpus(tmp_path / "in")
    whole = _run(tmp_path, corpus, '"off"')
    split = _run(tmp_path, corpus, str((corpus / "big.parquet").stat().st_size // 5), engine="spark")
    assert split[:4] == whole[:4] and split[4] > 2


@pytest.mark.slow
@pytest.mark.parametrize("name, extra", [("big.jsonl", ""), ("big.txt", '[input]\ntxt_split = "line"\n')])
def test_line_ranges_on_spark_equal_unsplit_local(tmp_path: Path, spark, name: str, extra: str) -> None:
    corpus = _lines_corpus(tmp_path / "in") / name
    whole = _run(tmp_path, corpus, '"off"', extra=extra)
    split = _run(tmp_path, corpus, str(corpus.stat().st_size // 5), engine="spark", extra=extra)
    assert split[:4] == whole[:4] and split[4] == 6
