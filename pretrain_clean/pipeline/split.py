"""Big parquet inputs cut into row-group ranges: several parts (tasks) per file.

A part of a split file reads only its row groups, and positions stay the file's row numbers
(from 1), so document ids (``<source>:<row>`` when the input has none), kept documents and
removal counts are the same whatever the split size. Parts are numbered in (file, range)
order, so their names are deterministic for a given ``[run] part_bytes``.

JSON lines, WARC and HTML files stay one part each; a file over ``part_bytes`` gets a warning
with its size (cutting compressed streams needs reading them whole; line-aligned byte ranges
of plain JSON lines are not implemented yet).
"""
from __future__ import annotations

import dataclasses
import logging
from typing import TYPE_CHECKING, Callable, Iterator

from pretrain_clean.pipeline import storage
from pretrain_clean.pipeline.config import InputConfig
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


def split_tasks(tasks: list["PartTask"], part_bytes: int | None) -> list["PartTask"]:
    """``tasks`` with each parquet file over ``part_bytes`` cut into row-group ranges, renumbered."""
    if not part_bytes:
        return tasks
    out: list["PartTask"] = []
    for task in tasks:
        pieces = [task]
        if task.size > part_bytes and task.path.lower().endswith(".parquet"):
            meta = storage.parquet_file(task.path).metadata
            sizes = [meta.row_group(i).total_byte_size for i in range(meta.num_row_groups)]
            ranges = row_group_ranges(sizes, part_bytes)
            if len(ranges) > 1:
                share = [sum(sizes[lo:hi]) for lo, hi in ranges]
                pieces = [dataclasses.replace(task, row_groups=r, size=task.size * s // max(sum(share), 1))
                          for r, s in zip(ranges, share)]
        elif task.size > part_bytes:
            log.warning("%s: %.1f MB is read as one part (only parquet files are split, by row groups)",
                        task.path, task.size / 1e6)
        out += [dataclasses.replace(p, index=len(out) + i) for i, p in enumerate(pieces)]
    return out


def read_row_groups(task: "PartTask", cfg: InputConfig,
                    on_open: Callable[[CountingReader], None] | None = None) -> Iterator[Record]:
    """The records of ``task.row_groups`` of its parquet file, positioned by the file's rows."""
    raw = CountingReader(storage.open_input(task.path))
    if on_open is not None:
        on_open(raw)
    with raw:
        yield from read_parquet(task.path, raw, cfg, task.source, task.row_groups)
