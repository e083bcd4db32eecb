"""One part processed directly (``pipeline/parts.py``): every record read is kept, rejected
or quarantined, in the parquet outputs a user reads; batches and side records are flushed
at ``run.batch_size``; a part that loses a document raises ``AccountingError`` and
publishes nothing; a finished part's marker makes a rerun return its stats without reading.

The reader is replaced by a list of records (documents, ``Quarantined``, ``Skipped``), so
each test states exactly what was read.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Iterator

import pyarrow.parquet as pq
import pytest

from pretrain_clean.paths import CONFIGS
from pretrain_clean.pipeline import parts
from pretrain_clean.pipeline.cascade import Cascade, Outcome
from pretrain_clean.pipeline.config import parse_config
from pretrain_clean.pipeline.document import Document
from pretrain_clean.pipeline.records import Quarantined, Skipped
from pretrain_clean.pipeline.report import funnel_rows
from pretrain_clean.pipeline.stage import Stage
from pretrain_clean.pipeline.stats import AccountingError, Stats
from pretrain_clean.pipeline.writers import AtomicParquetWriter

READ_PAUSE = 0.01
"""Seconds the fake reader spends on each record (read time the part must report)."""


@dataclass
class DropMarked(Stage):
    """Drops documents whose text starts with "drop"; fails on "boom"; sleeps ``pause``."""

    name: ClassVar[str] = "parts_test_drop_marked"
    pause: float = 0.0

    def apply(self, doc: Document) -> str | None:
        time.sleep(self.pause)
        if doc.text.startswith("boom"):
            raise ValueError("cannot judge this one")
        return "marked" if doc.text.startswith("drop") else None


class Progress(parts.Progress):
    def __init__(self) -> None:
        self.batches: list[int] = []
        self.opened = 0

    def on_open(self, reader: object) -> None:
        self.opened += 1

    def on_documents(self, count: int) -> None:
        self.batches.append(count)


def fake_reader(monkeypatch: pytest.MonkeyPatch, records: list[object]) -> None:
    def read_records(path: str, cfg: object, source: str, on_open: object) -> Iterator[object]:
        assert (path, source) == ("in.jsonl", "in-source.jsonl")
        assert cfg.text_field == "body"  # the run's input settings
        if on_open is not None:
            on_open(None)
        for record in records:
            time.sleep(READ_PAUSE)
            yield record

    monkeypatch.setattr(parts, "read_records", read_records)


def doc(n: int, text: str) -> Document:
    return Document(f"d{n}", text, "in.jsonl", n, meta={"url": f"https://example.com/{n}"})


def quarantined(n: int, kind: str = "malformed_json", size: int = 7) -> Quarantined:
    return Quarantined("in.jsonl", n, kind, "bad record", "{not js", size)


def skipped(n: int, url: bool = True) -> Skipped:
    meta = {"url": f"https://example.com/s{n}"} if url else {}
    return Skipped(Document(f"s{n}", "", "in.warc", n, meta=meta), "not_html", 50)


def run_part(tmp_path: Path, batch_size: int = 2, cascade: Cascade | None = None,
             progress: parts.Progress | None = None) -> tuple[Stats, Path]:
    spec = parse_config({"run": {"batch_size": batch_size}, "input": {"text_field": "body"}}, CONFIGS)
    task = parts.PartTask(3, "in.jsonl", "in-source.jsonl", 100)
    out = tmp_path / "out"
    stats = parts.process_part(task, spec, cascade or Cascade([DropMarked()]), out, progress=progress)
    return stats, out


def rows(out: Path, sub: str) -> list[dict]:
    path = out / sub / "part-00003.parquet"
    return pq.read_table(path).to_pylist()


def row_groups(out: Path, sub: str) -> int:
    return pq.ParquetFile(out / sub / "part-00003.parquet").num_row_groups


def test_every_record_is_kept_rejected_or_quarantined(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    records = [doc(0, "keep one"), doc(1, "drop one"), quarantined(2), skipped(3), doc(4, "keep two"),
               doc(5, "boom" + "x" * 1500), quarantined(6, "invalid_utf8", 11), quarantined(7), doc(8, "boom"),
               skipped(9, url=False)]
    fake_reader(monkeypatch, records)
    stats, out = run_part(tmp_path)
    kept, rejected, quarantine = rows(out, "kept"), rows(out, "rejected"), rows(out, "quarantine")
    assert [r["id"] for r in kept] == ["d0", "d4"]
    # written in the order batches end: d0-d1, then d4-d5 with the side records read meanwhile
    assert [(r["id"], r["stage"], r["reason"]) for r in rejected] == [
        ("d1", "parts_test_drop_marked", "marked"), ("s3", "input", "not_html"), ("s9", "input", "not_html")]
    assert [(r["source"], r["position"], r["kind"]) for r in quarantine] == [
        ("in.jsonl", 2, "malformed_json"), ("in.jsonl", 5, "stage_error"), ("in.jsonl", 6, "invalid_utf8"),
        ("in.jsonl", 7, "malformed_json"), ("in.jsonl", 8, "stage_error")]
    assert len(quarantine[1]["raw"]) == 1000  # a failing document's text is kept up to 1000 characters
    assert "cannot judge this one" in quarantine[1]["error"]
    # the counts match the rows
    assert (stats.documents_in, stats.kept, stats.removed_total, stats.quarantined) == (10, 2, 3, 5)
    assert dict(stats.removed) == {"input.not_html": 2, "parts_test_drop_marked.marked": 1}
    assert dict(stats.quarantine_errors) == {"malformed_json": 2, "invalid_utf8": 1, "stage_error": 2}
    doc_bytes = len("keep one") + len("drop one") + len("keep two") + 1504 + 4
    assert stats.bytes_in == doc_bytes + 7 + 11 + 7 + 50 + 50  # text; quarantined and skipped records' raw size
    assert stats.bytes_quarantined == 7 + 11 + 7 + 1504 + 4
    assert stats.bytes_skipped == 50 + 50
    assert stats.bytes_stage_errors == 1504 + 4
    # the funnel's readable row keeps what a stage failed on: it was read
    readable = next(row for row in funnel_rows(stats) if row[0] == "readable")
    assert readable == ("readable", 10 - 3 - 2, doc_bytes)
    assert stats.bytes_kept == len("keep one") + len("keep two")
    assert stats.examples["input.not_html"] == [{"id": "s3", "text": "https://example.com/s3"},
                                                {"id": "s9", "text": ""}]  # no URL: no text
    assert stats.parts == 1


def test_marker_holds_the_parts_stats_and_a_rerun_reads_nothing(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    fake_reader(monkeypatch, [doc(0, "keep"), doc(1, "drop"), quarantined(2)])
    stats, out = run_part(tmp_path)
    marker = out / "_parts" / "part-00003.json"
    assert json.loads(marker.read_text()) == json.loads(stats.to_json())
    assert parts.load_part_stats(out, parts.PartTask(3, "in.jsonl", "in.jsonl", 100)).to_json() == stats.to_json()
    assert parts.load_part_stats(out, parts.PartTask(4, "in.jsonl", "in.jsonl", 100)) is None

    def no_reading(*args: object) -> Iterator[object]:
        raise AssertionError("a finished part was read again")

    monkeypatch.setattr(parts, "read_records", no_reading)
    again, _ = run_part(tmp_path)
    assert again.to_json() == stats.to_json()


def test_documents_are_flushed_at_batch_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # keep, drop, keep, drop, keep with batch_size 2: batches of 2, 2, 1, each written as it ends
    fake_reader(monkeypatch, [doc(i, "drop" if i % 2 else "keep") for i in range(5)])
    progress = Progress()
    stats, out = run_part(tmp_path, batch_size=2, progress=progress)
    assert progress.batches == [2, 2, 1] and progress.opened == 1
    assert (row_groups(out, "kept"), row_groups(out, "rejected")) == (3, 2)
    assert stats.stages["parts_test_drop_marked"].documents_in == 5


def test_batch_exactly_full_is_written_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_reader(monkeypatch, [doc(i, "keep") for i in range(4)])
    progress = Progress()
    run_part(tmp_path, batch_size=4, progress=progress)
    assert progress.batches == [4]  # no empty batch after a full one


def test_side_records_are_flushed_at_batch_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # 5 quarantined and skipped records, no documents, batch_size 2: written 2 + 2 + 1
    fake_reader(monkeypatch, [quarantined(0), skipped(1), quarantined(2), quarantined(3), skipped(4)])
    stats, out = run_part(tmp_path, batch_size=2)
    assert [r["position"] for r in rows(out, "quarantine")] == [0, 2, 3]
    assert [r["id"] for r in rows(out, "rejected")] == ["s1", "s4"]
    assert (row_groups(out, "quarantine"), row_groups(out, "rejected")) == (2, 2)
    assert rows(out, "kept") == []
    assert (stats.documents_in, stats.quarantined, stats.removed_total) == (5, 3, 2)


def test_side_flush_happens_when_batch_size_is_reached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_reader(monkeypatch, [quarantined(i) for i in range(5)])
    _, out = run_part(tmp_path, batch_size=2)
    meta = pq.ParquetFile(out / "quarantine" / "part-00003.parquet").metadata
    assert [meta.row_group(i).num_rows for i in range(meta.num_row_groups)] == [2, 2, 1]


WRITE_PAUSE = 0.02


def slow_writers(monkeypatch: pytest.MonkeyPatch) -> dict[str, float]:
    """Make every parquet write and commit take WRITE_PAUSE more; return the time spent in each."""
    spent = {"write_rows": 0.0, "commit": 0.0}
    for name in spent:
        original = getattr(AtomicParquetWriter, name)

        def slow(self: AtomicParquetWriter, *args: object, _original=original, _name=name) -> None:
            start = time.perf_counter()
            time.sleep(WRITE_PAUSE)
            _original(self, *args)
            spent[_name] += time.perf_counter() - start

        monkeypatch.setattr(AtomicParquetWriter, name, slow)
    return spent


def test_write_time_counts_every_batch_and_the_commits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_reader(monkeypatch, [doc(i, "drop" if i % 2 else "keep") for i in range(6)])  # no side records
    spent = slow_writers(monkeypatch)
    start = time.perf_counter()
    stats, _ = run_part(tmp_path, batch_size=2)
    wall = time.perf_counter() - start
    assert spent["write_rows"] >= 6 * WRITE_PAUSE and spent["commit"] >= 3 * WRITE_PAUSE
    assert spent["write_rows"] + spent["commit"] <= stats.write_seconds <= wall


def test_write_time_counts_the_quarantined_and_skipped_records_too(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    records = [quarantined(0), quarantined(1), skipped(2), skipped(3), quarantined(4), doc(5, "keep")]
    fake_reader(monkeypatch, records)
    spent = slow_writers(monkeypatch)
    start = time.perf_counter()
    stats, _ = run_part(tmp_path, batch_size=2)
    wall = time.perf_counter() - start
    assert spent["write_rows"] >= 5 * WRITE_PAUSE  # side records in three writes, the document's kept and rejected
    assert spent["write_rows"] + spent["commit"] <= stats.write_seconds <= wall


def test_read_time_excludes_judging_and_writing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # side records between batches: their writes happen inside a batch's flush and at the end
    records = [doc(0, "keep"), quarantined(1), doc(2, "keep"), skipped(3), doc(4, "keep"), quarantined(5),
               quarantined(6), doc(7, "keep"), quarantined(8), doc(9, "keep")]  # the last batch ends with the input
    fake_reader(monkeypatch, records)
    spent = slow_writers(monkeypatch)
    start = time.perf_counter()
    stats, _ = run_part(tmp_path, batch_size=2, cascade=Cascade([DropMarked(pause=0.02)]))
    wall = time.perf_counter() - start
    judged = stats.stages["parts_test_drop_marked"].seconds
    assert judged >= 5 * 0.02
    assert stats.read_seconds >= len(records) * READ_PAUSE
    # reading, judging, writing and committing are disjoint slices of the part's time
    assert stats.read_seconds + judged + spent["write_rows"] + spent["commit"] <= wall


class LosingCascade(Cascade):
    """A broken cascade that forgets the last document of each batch."""

    def run(self, docs: list[Document], stats: Stats) -> list[Outcome]:
        return super().run(docs, stats)[:-1]


def test_a_part_that_loses_a_document_raises_and_publishes_nothing(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    fake_reader(monkeypatch, [doc(0, "keep"), doc(1, "keep"), quarantined(2)])
    with pytest.raises(AccountingError, match=r"^in\.jsonl: 3 documents in but 1 kept \+ 0 removed \+ "
                                              r"1 quarantined = 2$"):
        run_part(tmp_path, cascade=LosingCascade([DropMarked()]))
    out = tmp_path / "out"
    assert sorted(p.name for p in out.rglob("*") if p.is_file()) == []  # no output, no marker


def test_an_interrupted_part_publishes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(path: str, cfg: object, source: str, on_open: object) -> Iterator[object]:
        yield doc(0, "keep")
        yield doc(1, "keep")
        yield doc(2, "keep")
        raise KeyboardInterrupt

    monkeypatch.setattr(parts, "read_records", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run_part(tmp_path, batch_size=2)  # one batch was already written to the kept file
    assert sorted(p.name for p in (tmp_path / "out").rglob("*") if p.is_file()) == []


def test_part_names_and_marker_paths() -> None:
    task = parts.PartTask(12, "x.jsonl", "x.jsonl", 1)
    assert task.name == "part-00012"
    assert parts.part_stats_path("s3://bucket/out", task) == "s3://bucket/out/_parts/part-00012.json"


def test_a_part_of_row_groups_reads_only_its_row_groups(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[int, int] | None] = []

    def read_row_groups(task: parts.PartTask, cfg: object, on_open: object) -> Iterator[object]:
        seen.append(task.row_groups)
        assert cfg.text_field == "body"
        on_open(None)
        yield doc(0, "keep")

    def whole_file(*args: object) -> Iterator[object]:
        raise AssertionError("a row-group part must not read the whole file")

    monkeypatch.setattr(parts, "read_row_groups", read_row_groups)
    monkeypatch.setattr(parts, "read_records", whole_file)
    spec = parse_config({"input": {"text_field": "body"}}, CONFIGS)
    task = parts.PartTask(3, "big.parquet", "big.parquet", 100, row_groups=(2, 4))
    progress = Progress()
    stats = parts.process_part(task, spec, Cascade([DropMarked()]), tmp_path / "out", progress=progress)
    assert seen == [(2, 4)] and stats.kept == 1 and progress.opened == 1
    assert [r["id"] for r in rows(tmp_path / "out", "kept")] == ["d0"]


def test_a_part_of_a_byte_range_reads_only_its_lines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[int, int] | None] = []

    def read_line_range(task: parts.PartTask, cfg: object, on_open: object) -> Iterator[object]:
        seen.append(task.byte_range)
        assert cfg.text_field == "body"
        on_open(None)
        yield doc(0, "keep")

    def not_called(*args: object) -> Iterator[object]:
        raise AssertionError("a byte-range part must read only its range")

    monkeypatch.setattr(parts, "read_line_range", read_line_range)
    monkeypatch.setattr(parts, "read_records", not_called)
    monkeypatch.setattr(parts, "read_row_groups", not_called)
    spec = parse_config({"input": {"text_field": "body"}}, CONFIGS)
    task = parts.PartTask(3, "big.jsonl", "big.jsonl", 100, byte_range=(10, 90), lines_before=(1, 8))
    progress = Progress()
    stats = parts.process_part(task, spec, Cascade([DropMarked()]), tmp_path / "out", progress=progress)
    assert seen == [(10, 90)] and stats.kept == 1 and progress.opened == 1
