"""Ids (issue 10): the user's ``id`` kept as given; ``doc_key`` is unique; repeats are counted."""
from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq

from conftest import ROOT, write_jsonl
from pretrain_clean.pipeline.clean import CleanOptions, clean
from pretrain_clean.pipeline.config import parse_config
from test_config import LongEnough  # noqa: F401 - registers the test stage


def rows(folder: Path) -> list[dict]:
    found: list[dict] = []
    for part in sorted(folder.glob("*.parquet")):
        found += pq.read_table(part, columns=["id", "doc_key", "text"]).to_pylist()
    return found


def test_repeated_and_colliding_ids_are_kept_as_given_with_unique_keys(tmp_path: Path) -> None:
    # Reproduces issue 10: a generated id `a.jsonl:3` equalled a real input id in b.jsonl.
    write_jsonl(tmp_path / "in" / "a.jsonl", [{"id": "x", "text": "first long text"}, {"id": "x", "text": "tiny"},
                                              {"text": "no id, long enough"}])
    write_jsonl(tmp_path / "in" / "b.jsonl", [{"id": "a.jsonl:3", "text": "collides with a generated id"},
                                              {"id": "y", "text": "unique id, long"}])
    spec = parse_config({"stages": [{"stage": "test_long_enough", "min_chars": 10}]}, ROOT)
    out = tmp_path / "out"
    stats = clean(spec, [str(tmp_path / "in")], str(out), CleanOptions(show_progress=False))
    written = rows(out / "kept") + rows(out / "rejected")
    assert sorted((r["id"], r["doc_key"]) for r in written) == [
        ("a.jsonl:3", "a.jsonl:3"), ("a.jsonl:3", "b.jsonl:1"), ("x", "a.jsonl:1"), ("x", "a.jsonl:2"),
        ("y", "b.jsonl:2")]
    assert [r["id"] for r in rows(out / "rejected")] == ["x"]  # removed documents count too
    assert stats.duplicate_ids == 2 == json.loads((out / "stats.json").read_text())["duplicate_ids"]


def test_no_repeats_counts_zero(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "in" / "a.jsonl", [{"id": str(i), "text": f"text {i}"} for i in range(100)])
    spec = parse_config({}, ROOT)
    stats = clean(spec, [str(tmp_path / "in")], str(tmp_path / "out"), CleanOptions(show_progress=False))
    assert stats.duplicate_ids == 0 and stats.kept == 100


def test_id_hashes_read_the_named_column_whatever_its_place(tmp_path: Path) -> None:
    import pyarrow as pa

    from pretrain_clean.pipeline.ids import count_duplicates, id_hashes
    pq.write_table(pa.table({"other": ["x", "x", "x"], "id": ["a", "b", "a"]}), tmp_path / "t.parquet")
    hashes = id_hashes([str(tmp_path / "t.parquet")])
    assert len(hashes) == 3 and hashes.dtype.name == "uint64"
    assert hashes[0] == hashes[2] != hashes[1]
    assert count_duplicates(hashes) == 1
    assert count_duplicates(id_hashes([str(tmp_path / "t.parquet")], column="other")) == 2
