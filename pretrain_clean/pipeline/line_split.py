"""Big plain JSON-lines and text files cut into line-aligned byte ranges: several parts per file.

A part covering bytes ``[start, end)`` owns every line that *starts* in it: it seeks to
``start``, skips to the first line start at or after it (unless ``start`` is 0), and reads past
``end`` to finish its last line. Line ends are ``\\n``, ``\\r\\n`` and a lone ``\\r``, as for
the readers (:func:`pipeline.streams.bounded_lines`). With ``input.txt_split = "block"`` a part
owns the blocks that follow a blank line starting in its range (part 0 also the first block),
and reads on until the blank line that ends its last block.

Positions stay line numbers, so ids (``<source>:<line>``) do not depend on the split. A part
learns its first line number from a cheap pass that counts the line ends of every byte range,
run in parallel as tasks of the engine (threads locally, a Spark job on Spark); the driver only
adds the counts. Nothing reads a file whole in one place.
"""
from __future__ import annotations

import dataclasses
import io
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, BinaryIO, Callable, Iterator, TypeVar

from pretrain_clean.pipeline import storage
from pretrain_clean.pipeline.config import InputConfig
from pretrain_clean.pipeline.readers import open_counted, read_jsonl
from pretrain_clean.pipeline.records import Quarantined, Record, utf8_safe
from pretrain_clean.pipeline.streams import CHUNK, CountingReader
from pretrain_clean.pipeline.text_reader import read_text_lines

if TYPE_CHECKING:
    from pretrain_clean.pipeline.parts import PartTask

T = TypeVar("T")
R = TypeVar("R")
Mapper = Callable[[Callable[[T], R], list[T]], list[R]]
"""Runs a function over items, in parallel where it can; results in the items' order."""

SPLITTABLE = (".jsonl", ".json", ".txt")
"""Plain (uncompressed) files read line by line, so a byte range can be read on its own."""

_BLANK = b" \t\n\r\x0b\x0c"  # what bytes.strip() removes: a line of only these is blank


def splittable(path: str, cfg: InputConfig) -> bool:
    """True for plain JSON lines, and plain text split by lines or blocks.

    >>> cfg = InputConfig(txt_split="line")
    >>> splittable("a.JSONL", cfg), splittable("a.jsonl.gz", cfg), splittable("a.txt", InputConfig())
    (True, False, False)
    """
    lower = path.lower()
    if lower.endswith(".txt"):
        return cfg.txt_split != "file"
    return lower.endswith(SPLITTABLE)


def byte_ranges(size: int, target: int) -> list[tuple[int, int]]:
    """``[0, size)`` cut into ranges of ``target`` bytes (the last one shorter).

    >>> byte_ranges(10, 4), byte_ranges(8, 4), byte_ranges(3, 4)
    ([(0, 4), (4, 8), (8, 10)], [(0, 4), (4, 8)], [(0, 3)])
    """
    return [(lo, min(lo + target, size)) for lo in range(0, size, target)] or [(0, 0)]


def count_line_ends(item: tuple[str, int, int]) -> tuple[int, bool]:
    """For ``(path, start, end)``: how many line ends finish in ``[start, end)`` (a ``\\r\\n``
    counts once, where its ``\\n`` is), and whether the range holds a non-blank byte.

    >>> import tempfile, os
    >>> with tempfile.NamedTemporaryFile(delete=False) as f:
    ...     _ = f.write(b"a\\r\\nb\\rc\\n\\n d")
    >>> [count_line_ends((f.name, lo, hi)) for lo, hi in [(0, 2), (2, 3), (3, 10), (0, 10), (6, 9)]]
    [(0, True), (1, False), (3, True), (4, True), (2, False)]
    >>> os.remove(f.name)
    """
    path, start, end = item
    ends, text = 0, False
    with storage.open_input(path) as handle:
        handle.seek(start)
        pos = start
        while pos < end:
            data = handle.read(min(CHUNK, end - pos) + 1)  # one byte more: a \r's next byte
            if not data:
                break
            body = data[:end - pos]
            ends += body.count(b"\n") + body.count(b"\r") - data.count(b"\r\n")
            text = text or bool(body.translate(None, _BLANK))
            pos += len(body)
            handle.seek(pos)
    return ends, text


def line_start(handle: BinaryIO, pos: int, size: int) -> tuple[int, int]:
    """The first line start at or after ``pos``, and how many line ends finish in
    ``[pos, that start)`` (0 or 1). Reads from ``pos - 1`` only as far as the next line end.

    >>> data = io.BytesIO(b"ab\\r\\ncd\\nef")
    >>> [line_start(data, p, 9) for p in (0, 1, 3, 4, 5, 7, 8, 9)]
    [(0, 0), (4, 1), (4, 1), (4, 0), (7, 1), (7, 0), (9, 0), (9, 0)]
    """
    if pos <= 0 or pos >= size:
        return min(max(pos, 0), size), 0
    handle.seek(pos - 1)
    offset, after_cr = pos - 1, False
    while True:
        chunk = handle.read(CHUNK)
        if not chunk:
            end = offset - 1 if after_cr else None  # a \r as the file's last byte
            break
        if after_cr:
            end = offset if chunk[:1] == b"\n" else offset - 1
            break
        hits = [i for i in (chunk.find(b"\n"), chunk.find(b"\r")) if i >= 0]
        if hits:
            i = min(hits)
            if chunk[i:i + 1] == b"\n" or chunk[i + 1:i + 2] not in (b"\n", b""):
                end = offset + i
                break
            if chunk[i + 1:i + 2] == b"\n":
                end = offset + i + 1
                break
            after_cr = True  # a \r as the chunk's last byte: the next chunk tells
        offset += len(chunk)
    if end is None:
        return size, 0
    return end + 1, int(end >= pos)


class RangeReader(io.RawIOBase):
    """Bytes ``[start, end)`` of a seekable binary file, read from its current position."""

    def __init__(self, raw: BinaryIO, start: int, end: int) -> None:
        raw.seek(start)
        self._raw, self._left = raw, end - start

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # noqa: ANN001 - io's signature
        if self._left <= 0:
            return 0
        view = memoryview(buffer)[:self._left]
        n = self._raw.readinto(view) or 0
        self._left -= n
        return n


def thread_mapper(workers: int) -> Mapper:
    """A :data:`Mapper` on ``workers`` threads (the counting pass mostly waits on reads)."""
    def run(function: Callable[[T], R], items: list[T]) -> list[R]:
        with ThreadPoolExecutor(max(1, workers)) as pool:
            return list(pool.map(function, items))
    return run


def split_lines(tasks: list["PartTask"], part_bytes: int, cfg: InputConfig,
                mapper: Mapper) -> dict[int, list["PartTask"]]:
    """The parts of every plain JSON-lines/text file over ``part_bytes``, by task index.

    One counting pass per byte range runs through ``mapper``; a text file holding only blank
    lines stays one part (its one ``empty_file`` record needs the whole file).
    """
    wanted = [t for t in tasks if t.size > part_bytes and splittable(t.path, cfg)]
    ranges = {t.index: byte_ranges(t.size, part_bytes) for t in wanted}
    items = [(t.path, lo, hi) for t in wanted for lo, hi in ranges[t.index]]
    counts = iter(mapper(count_line_ends, items) if items else [])
    out: dict[int, list["PartTask"]] = {}
    for task in wanted:
        found = [next(counts) for _ in ranges[task.index]]
        if not any(text for _, text in found):
            continue
        before = [0]
        for ends, _ in found:
            before.append(before[-1] + ends)
        out[task.index] = [
            dataclasses.replace(task, byte_range=(lo, hi), size=hi - lo, lines_before=(before[i], before[i + 1]))
            for i, (lo, hi) in enumerate(ranges[task.index])
        ]
    return out


def read_line_range(task: "PartTask", cfg: InputConfig,
                    on_open: Callable[[CountingReader], None] | None = None) -> Iterator[Record]:
    """The records a byte range of a plain JSON-lines/text file owns, positioned by the file's lines."""
    assert task.byte_range is not None and task.lines_before is not None
    source = utf8_safe(task.source)
    opened = open_counted(task.path, source, on_open)
    if isinstance(opened, Quarantined):
        yield opened
        return
    raw, size = opened
    with raw:
        (lo, hi), (before_lo, before_hi) = task.byte_range, task.lines_before
        start, skipped = line_start(raw, lo, size)
        end, skipped_end = line_start(raw, hi, size)
        first = before_lo + skipped + 1
        if start >= size or (start >= end and not task.path.lower().endswith(".txt")):
            return
        if task.path.lower().endswith(".txt") and cfg.txt_split == "block":
            stop = before_hi + skipped_end + 1 if end < size else None
            stream = io.BufferedReader(RangeReader(raw, start, size), CHUNK)
            yield from read_text_lines(stream, cfg, source, first, after_blank=lo > 0, stop_line=stop)
            return
        stream = io.BufferedReader(RangeReader(raw, start, end), CHUNK)
        if task.path.lower().endswith(".txt"):
            yield from read_text_lines(stream, cfg, source, first, after_blank=False, stop_line=None)
        else:
            yield from read_jsonl(task.path, stream, cfg, source, first, in_range=True)
