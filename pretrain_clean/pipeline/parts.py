"""Process one input file ("part"): read, run the cascade, write outputs, record stats.

This is the unit both engines schedule. A part's outputs are
``<kept>/part-NNNNN.parquet``, ``rejected/part-NNNNN.parquet``,
``quarantine/part-NNNNN.parquet`` and, written last, ``_parts/part-NNNNN.json`` (its
stats). A part whose stats file exists is complete and is skipped on rerun. Paths may be
local or URIs (:mod:`pipeline.storage`); each file is written, then published.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from pretrain_clean.pipeline import storage
from pretrain_clean.pipeline.cascade import Cascade, Outcome, text_bytes
from pretrain_clean.pipeline.config import RunSpec
from pretrain_clean.pipeline.document import Document
from pretrain_clean.pipeline.line_split import read_line_range
from pretrain_clean.pipeline.readers import CountingReader, Quarantined, Skipped, read_records
from pretrain_clean.pipeline.records import INPUT_STAGE, STAGE_ERROR
from pretrain_clean.pipeline.split import read_row_groups
from pretrain_clean.pipeline.stats import Stats
from pretrain_clean.pipeline.writers import (
    KEPT_SCHEMA, QUARANTINE_SCHEMA, REJECTED_SCHEMA, AtomicParquetWriter, outcome_columns,
    quarantine_columns,
)

PARTS_DIR = "_parts"


@dataclass(frozen=True)
class PartTask:
    """One input file to process, with its stable index and source name."""

    index: int
    path: str
    source: str
    size: int
    row_groups: tuple[int, int] | None = None
    """``[first, end)`` row groups of a parquet file cut into several parts (:mod:`pipeline.split`)."""
    byte_range: tuple[int, int] | None = None
    """``[start, end)`` bytes of a plain JSON-lines/text file cut into several parts (:mod:`pipeline.line_split`)."""
    lines_before: tuple[int, int] | None = None
    """Line ends in the file before ``byte_range``'s start and end (its parts' line numbers)."""

    @property
    def name(self) -> str:
        return f"part-{self.index:05d}"


def part_stats_path(out_dir: str | Path, task: PartTask) -> str:
    return storage.join(str(out_dir), PARTS_DIR, f"{task.name}.json")


def load_part_stats(out_dir: str | Path, task: PartTask) -> Stats | None:
    """The stats of a completed part, or None when it has not completed."""
    path = part_stats_path(out_dir, task)
    try:
        return Stats.from_json(storage.read_text(path))
    except FileNotFoundError:
        return None


class Progress:
    """Hooks a runner can pass to see documents and raw bytes as they are read."""

    def on_open(self, reader: CountingReader) -> None:  # pragma: no cover - interface
        pass

    def on_documents(self, count: int) -> None:  # pragma: no cover - interface
        pass


def process_part(
    task: PartTask,
    spec: RunSpec,
    cascade: Cascade,
    out_dir: str | Path,
    kept_subdir: str = "kept",
    progress: Progress | None = None,
) -> Stats:
    """Run one part to completion (or return its recorded stats if already complete)."""
    done = load_part_stats(out_dir, task)
    if done is not None:
        return done
    out = str(out_dir)
    stats = Stats(parts=1)
    writers = {
        "kept": AtomicParquetWriter(storage.join(out, kept_subdir, f"{task.name}.parquet"), KEPT_SCHEMA),
        "rejected": AtomicParquetWriter(storage.join(out, "rejected", f"{task.name}.parquet"), REJECTED_SCHEMA),
        "quarantine": AtomicParquetWriter(storage.join(out, "quarantine", f"{task.name}.parquet"), QUARANTINE_SCHEMA),
    }
    try:
        _run_part(task, spec, cascade, stats, writers, progress)
        stats.check_accounting(f"{task.path}")
        start = time.perf_counter()
        for writer in writers.values():
            writer.commit()
        stats.write_seconds += time.perf_counter() - start
    except BaseException:
        for writer in writers.values():
            writer.abort()
        raise
    storage.write_text(part_stats_path(out, task), stats.to_json())  # the marker, written last
    return stats


def _run_part(
    task: PartTask, spec: RunSpec, cascade: Cascade, stats: Stats,
    writers: dict[str, AtomicParquetWriter], progress: Progress | None,
) -> None:
    batch: list[Document] = []
    quarantined: list[Quarantined] = []
    skipped: list[Outcome] = []  # removed while reading (stage "input")
    on_open: Callable[[CountingReader], None] | None = progress.on_open if progress else None
    started = time.perf_counter()
    busy = 0.0  # time spent outside reading

    def flush_side() -> float:
        """Write the quarantined and skipped records held so far (bounds memory)."""
        start = time.perf_counter()
        if quarantined:
            writers["quarantine"].write_rows(quarantine_columns(quarantined))
            quarantined.clear()
        if skipped:
            writers["rejected"].write_rows(outcome_columns(skipped, rejected=True))
            skipped.clear()
        spent = time.perf_counter() - start
        stats.write_seconds += spent
        return spent

    def flush() -> float:
        start = time.perf_counter()
        if batch:
            _write_outcomes(cascade.run(batch, stats), stats, writers, quarantined)
            if progress:
                progress.on_documents(len(batch))
            batch.clear()
        return time.perf_counter() - start + flush_side()

    if task.row_groups:
        records = read_row_groups(task, spec.input, on_open)
    elif task.byte_range:
        records = read_line_range(task, spec.input, on_open)
    else:
        records = read_records(task.path, spec.input, task.source, on_open)
    for record in records:
        stats.documents_in += 1
        if isinstance(record, Quarantined):
            _count_quarantined(stats, record)
            quarantined.append(record)
        elif isinstance(record, Skipped):
            _count_skipped(stats, record)
            skipped.append(Outcome(record.doc, INPUT_STAGE, record.reason))
        else:
            stats.bytes_in += text_bytes(record)
            batch.append(record)
            if len(batch) >= spec.run.batch_size:
                busy += flush()
            continue
        if len(quarantined) + len(skipped) >= spec.run.batch_size:
            busy += flush_side()
    busy += flush()
    stats.read_seconds += time.perf_counter() - started - busy


def _count_skipped(stats: Stats, record: Skipped) -> None:
    key = f"{INPUT_STAGE}.{record.reason}"
    stats.removed[key] += 1
    stats.bytes_in += record.raw_bytes
    stats.bytes_skipped += record.raw_bytes
    stats.add_example(key, record.doc.id, record.doc.meta.get("url") or "")


def _count_quarantined(stats: Stats, record: Quarantined) -> None:
    stats.quarantined += 1
    stats.bytes_in += record.raw_bytes
    stats.bytes_quarantined += record.raw_bytes
    stats.quarantine_errors[record.kind] += 1


def _write_outcomes(
    outcomes: list[Outcome], stats: Stats, writers: dict[str, AtomicParquetWriter],
    quarantined: list[Quarantined],
) -> None:
    kept, rejected = [], []
    for outcome in outcomes:
        if outcome.error is not None:
            quarantined.append(stage_error(outcome, stats))
        elif outcome.kept:
            kept.append(outcome)
            stats.kept += 1
            stats.bytes_kept += text_bytes(outcome.doc)
        else:
            rejected.append(outcome)
    start = time.perf_counter()
    writers["kept"].write_rows(outcome_columns(kept, rejected=False))
    writers["rejected"].write_rows(outcome_columns(rejected, rejected=True))
    stats.write_seconds += time.perf_counter() - start


def stage_error(outcome: Outcome, stats: Stats) -> Quarantined:
    """The quarantine record of a document a stage failed on, counted in ``stats``."""
    doc = outcome.doc
    record = Quarantined(doc.source, doc.position, STAGE_ERROR, outcome.error or "",
                         doc.text[:1000], text_bytes(doc))
    stats.quarantined += 1
    stats.bytes_quarantined += record.raw_bytes
    stats.bytes_stage_errors += record.raw_bytes
    stats.quarantine_errors[record.kind] += 1
    return record
