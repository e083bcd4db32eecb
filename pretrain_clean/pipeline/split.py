"""Big inputs cut into several parts (tasks) per file: parquet by row-group ranges, plain
JSON lines and text by line-aligned byte ranges (:mod:`pipeline.line_split`).

A part of a split file reads only its row groups (or lines), and positions stay the file's
row (line) numbers, so document ids (``<source>:<row>`` when the input has none), kept
documents and removal counts are the same whatever the split size. Parts are numbered in
(file, range) order, so their names are deterministic for a given ``[run] part_bytes``.

Compressed streams (``.gz``, ``.zst``), text read as one document per file, WARC and HTML
files stay one part each; a file over ``part_bytes`` gets a warning with its size (cutting a
compressed stream needs reading it whole).
"""
from __future__ import annotations

import dataclasses
import logging
from typing import TYPE_CHECKING, Callable, Iterator

from pretrain_clean.pipeline import storage
from pretrain_clean.pipeline.config import InputConfig
from pretrain_clean.pipeline.line_split import Mapper, split_lines
from pretrain_clean.pipeline.parquet_reader import read_parquet
from pretrain_clean.pipeline.records import Record
from pretrain_clean.pipeline.streams import CountingReader

if TYPE_CHECKING:
    from pretrain_clean.pipeline.parts import PartTask

log = logging.getLogger(__name__)


def row_group_ranges(sizes: list[int], target: int) -> list[tuple[int, int]]:
    """Consecutive row groups gathered into ranges of about ``target`` bytes (at least one
    group each; a range closes once it reaches ``target``).

    >>> row_group_ranges([40, 40, 40, 40, 40], 100)
    [(0, 3), (3, 5)]
    >>> row_group_ranges([500, 10], 100)
    [(0, 1), (1, 2)]
    >>> row_group_ranges([10, 10], 100)
    [(0, 2)]
    """
    ranges, start, acc = [], 0, 0
    for i, size in enumerate(sizes):
        acc += size
        if acc >= target:
            ranges.append((start, i + 1))
            start, acc = i + 1, 0
    if start < len(sizes):
        ranges.append((start, len(sizes)))
    return ranges


def split_tasks(tasks: list["PartTask"], part_bytes: int | None, cfg: InputConfig | None = None,
                mapper: Mapper | None = None) -> list["PartTask"]:
    """``tasks`` with each file over ``part_bytes`` cut into parts, renumbered: parquet by row
    groups, plain JSON lines and text (with ``cfg.txt_split`` "line" or "block") by
    line-aligned byte ranges, whose line-end counts run through ``mapper`` (default: in turn)."""
    if not part_bytes:
        return tasks
    cfg = cfg or InputConfig()
    by_lines = split_lines(tasks, part_bytes, cfg, mapper or _in_turn)
    out: list["PartTask"] = []
    for task in tasks:
        pieces = [task]
        if task.index in by_lines:
            pieces = by_lines[task.index]
        elif task.size > part_bytes and task.path.lower().endswith(".parquet"):
            meta = storage.parquet_file(task.path).metadata
            sizes = [meta.row_group(i).total_byte_size for i in range(meta.num_row_groups)]
            ranges = row_group_ranges(sizes, part_bytes)
            if len(ranges) > 1:
                share = [sum(sizes[lo:hi]) for lo, hi in ranges]
                pieces = [dataclasses.replace(task, row_groups=r, size=task.size * s // max(sum(share), 1))
                          for r, s in zip(ranges, share)]
        elif task.size > part_bytes:
            log.warning("%s: %.1f MB is read as one part (compressed files, whole-file text, WARC and HTML "
                        "are not split)", task.path, task.size / 1e6)
        out += [dataclasses.replace(p, index=len(out) + i) for i, p in enumerate(pieces)]
    return out


def _in_turn(function: Callable, items: list) -> list:
    return [function(item) for item in items]


def read_row_groups(task: "PartTask", cfg: InputConfig,
                    on_open: Callable[[CountingReader], None] | None = None) -> Iterator[Record]:
    """The records of ``task.row_groups`` of its parquet file, positioned by the file's rows."""
    raw = CountingReader(storage.open_input(task.path))
    if on_open is not None:
        on_open(raw)
    with raw:
        yield from read_parquet(task.path, raw, cfg, task.source, task.row_groups)
