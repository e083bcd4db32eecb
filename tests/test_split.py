"""A big parquet input cut into row-group ranges gives the same documents, ids and removal
counts as one part per file, on both engines."""
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
    write_jsonl(folder / "small.jsonl", [{"text": t} for t in texts[:40]])
    return folder


def _result(out: Path) -> tuple:
    stats = json.loads((out / "stats.json").read_text())
    ids = [i for p in storage.list_files(str(out / "kept"), ".parquet") for i in pq.read_table(p).column("id").to_pylist()]
    return ids, stats["removed"], stats["kept"], stats["documents_in"], stats["parts"]


def _run(tmp_path: Path, corpus: Path, part_bytes: str, engine: str = "local") -> tuple:
    cfg = tmp_path / f"c-{part_bytes}-{engine}.toml"
    cfg.write_text(CONFIG.format(part_bytes=part_bytes))
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
    assert _run(tmp_path, corpus, "1")[4] == 13  # 12 row groups + the jsonl file


def test_split_tasks_plan_and_warn(tmp_path: Path, caplog) -> None:
    corpus = _corpus(tmp_path / "in")
    big = str(corpus / "big.parquet")
    size = storage.size(big)
    tasks = [PartTask(0, big, "big.parquet", size), PartTask(1, str(corpus / "small.jsonl"), "small.jsonl", 5000)]
    assert split_tasks(tasks, None) == tasks
    with caplog.at_level(logging.WARNING):
        parts = split_tasks(tasks, 100)
    assert [p.row_groups for p in parts] == [(i, i + 1) for i in range(12)] + [None]
    assert [p.index for p in parts] == list(range(13)) and parts[-1].source == "small.jsonl"
    assert "small.jsonl: 0.0 MB is read as one part" in caplog.text
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
