"""Plain JSON lines and text cut into line-aligned byte ranges read the same records, with the
same positions and ids, as the whole file, at every range size (every boundary position)."""
from __future__ import annotations

import gzip
import json
import logging
from pathlib import Path

import pytest

from pretrain_clean.pipeline.config import InputConfig
from pretrain_clean.pipeline.line_split import read_line_range, thread_mapper
from pretrain_clean.pipeline.parts import PartTask
from pretrain_clean.pipeline.readers import Quarantined, Skipped, read_records
from pretrain_clean.pipeline.split import split_tasks


def _key(record) -> tuple:  # noqa: ANN001
    if isinstance(record, Quarantined):
        return ("q", record.position, record.kind, record.raw_bytes)
    doc = record.doc if isinstance(record, Skipped) else record
    return ("d", doc.id, doc.position, doc.text)


def _whole(path: Path, cfg: InputConfig) -> list[tuple]:
    return [_key(r) for r in read_records(str(path), cfg, path.name)]


def _parts(path: Path, cfg: InputConfig, part_bytes: int) -> tuple[list[tuple], int]:
    task = PartTask(0, str(path), path.name, path.stat().st_size)
    parts = split_tasks([task], part_bytes, cfg, thread_mapper(2))
    records = [_key(r) for part in parts
               for r in (read_line_range(part, cfg) if part.byte_range else read_records(part.path, cfg, part.source))]
    return records, len(parts)


def _check_every_split(path: Path, cfg: InputConfig) -> list[tuple]:
    """Every range size from 1 byte to the file's size gives the whole file's records."""
    whole = _whole(path, cfg)
    size = path.stat().st_size
    for part_bytes in range(1, size + 1):
        records, count = _parts(path, cfg, part_bytes)
        assert records == whole, part_bytes
        assert count == -(-size // part_bytes), part_bytes
    return whole


JSONL = InputConfig()
LINES = InputConfig(txt_split="line")
BLOCKS = InputConfig(txt_split="block")


def test_jsonl_with_crlf_lone_cr_and_no_final_newline(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_bytes(b'{"text": "one"}\r\n{"text": "two"}\r{"text": "three"}\n\n'
                     b'{"text": "four"}\r\n\r\n{"text": "five"}')  # no final newline
    whole = _check_every_split(path, JSONL)
    assert [(r[1], r[3]) for r in whole] == [("a.jsonl:1", "one"), ("a.jsonl:2", "two"), ("a.jsonl:3", "three"),
                                            ("a.jsonl:5", "four"), ("a.jsonl:7", "five")]


def test_jsonl_bad_lines_keep_their_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "b.jsonl"
    path.write_bytes(b'{"text": "ok"}\n{broken\n\xff\xfe\n{"id": "x", "text": "named"}\n[1]\n')
    whole = _check_every_split(path, JSONL)
    assert [r[:3] for r in whole] == [("d", "b.jsonl:1", 1), ("q", 2, "malformed_json"),
                                      ("q", 3, "invalid_utf8"), ("d", "x", 4), ("q", 5, "not_an_object")]


def test_a_record_longer_than_several_ranges(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    long = "word " * 200
    path.write_text(json.dumps({"text": "short"}) + "\n" + json.dumps({"text": long}) + "\n"
                    + json.dumps({"text": "after"}) + "\n")
    assert [r[2] for r in _whole(path, JSONL)] == [1, 2, 3]
    for part_bytes in (7, 64, 100):  # the long line spans many ranges; the ranges inside it own nothing
        records, count = _parts(path, JSONL, part_bytes)
        assert records == _whole(path, JSONL) and count > 3


def test_a_range_boundary_exactly_on_a_newline(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    first = b'{"text": "a"}\n'
    path.write_bytes(first + b'{"text": "b"}\n{"text": "c"}\n')
    records, count = _parts(path, JSONL, len(first))  # range 2 starts right after the first newline
    assert count == 3 and [r[1] for r in records] == ["d.jsonl:1", "d.jsonl:2", "d.jsonl:3"]
    records, _ = _parts(path, JSONL, len(first) - 1)  # ... or right on it
    assert [r[1] for r in records] == ["d.jsonl:1", "d.jsonl:2", "d.jsonl:3"]


def test_an_oversized_line_is_quarantined_once(tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl"
    path.write_text('{"text": "a"}\n' + json.dumps({"text": "x" * 300}) + '\n{"text": "b"}\n')
    cfg = InputConfig(max_text_bytes=100)
    whole = _check_every_split(path, cfg)
    assert [r[:3] for r in whole] == [("d", "e.jsonl:1", 1), ("q", 2, "too_large"), ("d", "e.jsonl:3", 3)]


def test_text_lines_with_every_line_end(tmp_path: Path) -> None:
    path = tmp_path / "f.txt"
    path.write_bytes("第一行\r\nsecond\rthird\n\n  \nlast".encode())
    whole = _check_every_split(path, LINES)
    assert [(r[2], r[3]) for r in whole] == [(1, "第一行"), (2, "second"), (3, "third"), (6, "last")]


def test_text_blocks_align_on_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "g.txt"
    path.write_bytes(b"a1\na2\n\nb1\r\nb2\r\n\r\n\r\nc1\rc2\r\rd1\n \nlast block\nno end")
    whole = _check_every_split(path, BLOCKS)
    assert [(r[2], r[3]) for r in whole] == [(1, "a1\na2"), (4, "b1\nb2"), (8, "c1\nc2"), (11, "d1"),
                                            (13, "last block\nno end")]


def test_text_starting_with_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "h.txt"
    path.write_bytes(b"\n\n\nx y\n\nz\n")
    assert [r[2] for r in _check_every_split(path, BLOCKS)] == [4, 6]
    assert [r[2] for r in _check_every_split(path, LINES)] == [4, 6]


def test_blank_text_file_stays_one_part_with_its_empty_file_record(tmp_path: Path) -> None:
    path = tmp_path / "i.txt"
    path.write_bytes(b"\n  \n\r\n\t\n")
    for cfg in (LINES, BLOCKS):
        records, count = _parts(path, cfg, 2)
        assert count == 1 and records == _whole(path, cfg) == [("q", 0, "empty_file", 0)]


@pytest.mark.parametrize("name, data, error", [
    ("blank.jsonl", b"\n  \n\r\n\t\n", "file holds only blank lines"),
    ("blank.jsonl.gz", gzip.compress(b"\n\n  \n"), "file holds only blank lines"),
    ("empty.jsonl.gz", gzip.compress(b""), "file is empty"),
])
def test_blank_jsonl_file_is_one_empty_file_record_like_a_text_file(tmp_path: Path, name: str, data: bytes,
                                                                     error: str) -> None:
    """A JSON-lines file of blank lines gave no record at all, while the text reader makes one
    ``empty_file`` record: every input file now shows in the outputs."""
    path = tmp_path / name
    path.write_bytes(data)
    records = list(read_records(str(path), JSONL, path.name))
    assert [(type(r).__name__, r.kind, r.position) for r in records] == [("Quarantined", "empty_file", 0)]
    assert records[0].error == error
    if not name.endswith(".gz"):
        split, count = _parts(path, JSONL, 2)
        assert count == 1 and split == _whole(path, JSONL)  # not split: the record needs the whole file


def test_a_split_jsonl_file_whose_first_range_is_blank_has_no_empty_file_record(tmp_path: Path) -> None:
    path = tmp_path / "late.jsonl"
    path.write_bytes(b"\n" * 40 + b'{"text": "late"}\n')
    whole = _check_every_split(path, JSONL)
    assert [(r[0], r[2], r[3]) for r in whole] == [("d", 41, "late")]


def test_what_is_not_split(tmp_path: Path, caplog) -> None:
    gz = tmp_path / "j.jsonl.gz"
    gz.write_bytes(gzip.compress(b'{"text": "a"}\n' * 50))
    whole_text = tmp_path / "k.txt"
    whole_text.write_text("one document\n" * 20)
    tasks = [PartTask(0, str(gz), gz.name, gz.stat().st_size),
             PartTask(1, str(whole_text), whole_text.name, whole_text.stat().st_size)]
    with caplog.at_level(logging.WARNING):
        parts = split_tasks(tasks, 10, InputConfig(txt_split="file"))
    assert parts == tasks
    assert f"j.jsonl.gz: {gz.stat().st_size / 1e6:.1f} MB is read as one part" in caplog.text
    assert "k.txt" in caplog.text


def test_part_names_follow_file_and_range_order(tmp_path: Path) -> None:
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    first.write_text('{"text": "a"}\n' * 3)
    second.write_text('{"text": "b"}\n' * 2)
    tasks = [PartTask(0, str(first), "a.jsonl", 42), PartTask(1, str(second), "b.jsonl", 28)]
    parts = split_tasks(tasks, 20, JSONL)
    assert [(p.name, p.source, p.byte_range, p.lines_before) for p in parts] == [
        ("part-00000", "a.jsonl", (0, 20), (0, 1)), ("part-00001", "a.jsonl", (20, 40), (1, 2)),
        ("part-00002", "a.jsonl", (40, 42), (2, 3)),
        ("part-00003", "b.jsonl", (0, 20), (0, 1)), ("part-00004", "b.jsonl", (20, 28), (1, 2)),
    ]


@pytest.mark.parametrize("split", ["line", "block"])
def test_a_uri_input_is_read_by_ranges(tmp_path: Path, split: str) -> None:
    """fsspec URIs seek and read ranges too (the memory filesystem stands for an object store)."""
    import fsspec

    data = b"alpha beta\n\ngamma delta\r\nepsilon\n\nzeta\n"
    with fsspec.open("memory://split-test/t.txt", "wb") as fh:
        fh.write(data)
    local = tmp_path / "t.txt"
    local.write_bytes(data)
    cfg = InputConfig(txt_split=split)
    task = PartTask(0, "memory://split-test/t.txt", "t.txt", len(data))
    parts = split_tasks([task], 5, cfg)
    assert len(parts) == -(-len(data) // 5)
    assert [_key(r) for p in parts for r in read_line_range(p, cfg)] == _whole(local, cfg)
