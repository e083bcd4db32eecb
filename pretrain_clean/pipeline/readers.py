"""Read input files into records: documents, counted removals, or quarantine records.

Supported: ``.jsonl``/``.json`` (one JSON object a line), the same with ``.gz`` or
``.zst``; plain text ``.txt``/``.txt.gz``/``.txt.zst`` (:mod:`pipeline.text_reader`);
``.parquet`` (:mod:`pipeline.parquet_reader`); ``.warc``/``.warc.gz`` and
``.html``/``.htm`` (:mod:`pipeline.web_reader`).
Readers never raise on bad data: a broken line, bad UTF-8, a record nested too deep, an
unpaired surrogate, a missing text field, an empty file or a truncated archive each yield a
:class:`Quarantined` record naming the file, the line (or record) and the problem, and
reading goes on where it can. Lines and decompressed streams are read with the
``input.max_text_bytes`` cap (:mod:`pipeline.streams`), so memory stays bounded.
"""
from __future__ import annotations

import io
import json
from typing import BinaryIO, Callable, Iterator

from pretrain_clean.pipeline.config import InputConfig
from pretrain_clean.pipeline.document import Document
from pretrain_clean.pipeline.parquet_reader import read_parquet
from pretrain_clean.pipeline.records import (
    MAX_JSON_DEPTH, Quarantined, Record, Skipped, make_document, snippet, too_large, utf8_safe,
)
from pretrain_clean.pipeline.storage import open_input, size
from pretrain_clean.pipeline.streams import STREAM_ERRORS, CountingReader, Oversized, bounded_lines, decompressed
from pretrain_clean.pipeline.text_reader import read_text
from pretrain_clean.pipeline.web_reader import check_html_extractor, read_html, read_warc

__all__ = [
    "SUFFIXES", "CountingReader", "Document", "Quarantined", "Record", "Skipped",
    "check_environment", "is_supported", "read_records", "reader_for",
]

JSON_SUFFIXES = (".jsonl", ".json", ".jsonl.gz", ".json.gz", ".jsonl.zst", ".json.zst")
TEXT_SUFFIXES = (".txt", ".txt.gz", ".txt.zst")
WEB_SUFFIXES = (".warc", ".warc.gz", ".html", ".htm")
SUFFIXES = JSON_SUFFIXES + TEXT_SUFFIXES + (".parquet",) + WEB_SUFFIXES


def is_supported(path: str) -> bool:
    """True when ``path`` has a suffix this module reads.

    >>> is_supported("a/B.JSONL.GZ"), is_supported("notes.txt.zst"), is_supported("x.pdf")
    (True, True, False)
    """
    return path.lower().endswith(SUFFIXES)


def check_environment(paths: list[str]) -> None:
    """Fail once, before any work, when a library the inputs need is missing or broken
    (raises :class:`pretrain_clean.errors.EnvironmentProblem`)."""
    if any(p.lower().endswith(WEB_SUFFIXES) for p in paths):
        check_html_extractor()


def read_jsonl(path: str, raw: BinaryIO, cfg: InputConfig, source: str, first_line: int = 1,
               in_range: bool = False) -> Iterator[Record]:
    """Documents from a (possibly compressed) JSON-lines stream whose first line is
    ``first_line``. ``in_range``: a byte range of a split file (:mod:`pipeline.line_split`),
    which holds text somewhere; else a file with no line but blank ones is one ``empty_file``
    record, as the text reader makes."""
    stream = decompressed(path, raw)
    line_no = first_line - 1
    any_record = in_range
    lines = bounded_lines(stream, cfg.max_text_bytes)
    while True:
        try:
            line = next(lines, None)
        except STREAM_ERRORS as exc:  # truncated or corrupt compression
            yield Quarantined(source, line_no + 1,
                              "truncated", f"unreadable after line {line_no}: {type(exc).__name__}: {exc}")
            return
        if line is None:
            break
        line_no += 1
        if isinstance(line, Oversized):
            any_record = True
            yield too_large(source, line_no, f"line {line_no}", line.size, line.head, cfg)
            continue
        if not line.strip():
            continue
        any_record = True
        yield _json_record(line, cfg, source, line_no)
    if not any_record:
        yield Quarantined(source, 0, "empty_file", "file is empty" if line_no == 0 else "file holds only blank lines")


def _json_record(line: bytes, cfg: InputConfig, source: str, line_no: int) -> Record:
    try:
        decoded = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Quarantined(source, line_no, "invalid_utf8", f"invalid UTF-8 at byte {exc.start} of the line",
                           snippet(line), len(line))
    try:
        record = json.loads(decoded)
    except json.JSONDecodeError as exc:
        return Quarantined(source, line_no, "malformed_json", f"malformed JSON: {exc.msg} at column {exc.colno}",
                           snippet(decoded), len(line))
    except RecursionError:  # deeper than Python's JSON parser goes
        return Quarantined(source, line_no, "too_deep", f"JSON nests deeper than {MAX_JSON_DEPTH} levels",
                           snippet(decoded), len(line))
    return make_document(record, cfg, source, line_no, len(line))


Reader = Callable[[str, BinaryIO, InputConfig, str], Iterator[Record]]


def reader_for(path: str) -> Reader:
    """The reader function for a file name."""
    lower = path.lower()
    if lower.endswith(".parquet"):
        return read_parquet
    if lower.endswith((".warc", ".warc.gz")):
        return read_warc
    if lower.endswith((".html", ".htm")):
        return read_html
    if lower.endswith(TEXT_SUFFIXES):
        return read_text
    return read_jsonl


def open_counted(path: str, source: str, on_open: Callable[[CountingReader], None] | None = None
                 ) -> tuple[CountingReader, int] | Quarantined:
    """``path`` (local or URI) opened for counted reads, with its size; or, when it cannot be
    opened, the one ``unreadable_file`` record that stands for it."""
    try:
        handle = open_input(path)
        file_size = size(path)
    except OSError as exc:
        return Quarantined(source, 0, "unreadable_file", f"cannot open file: {exc.strerror or exc}")
    counting = CountingReader(handle)
    if on_open is not None:
        on_open(counting)
    return counting, file_size


def read_records(path: str, cfg: InputConfig, source: str,
                 on_open: Callable[[CountingReader], None] | None = None) -> Iterator[Record]:
    """All records of one input file; an unopenable file is one quarantine record.

    ``source`` (the name written to outputs) is made UTF-8-safe first (:func:`utf8_safe`):
    a file name with non-UTF-8 bytes shows them as ``\\udcXX`` escapes.
    """
    source = utf8_safe(source)
    opened = open_counted(path, source, on_open)
    if isinstance(opened, Quarantined):
        yield opened
        return
    counting, file_size = opened
    with io.BufferedReader(counting, buffer_size=1 << 20) as raw:
        if file_size == 0:
            yield Quarantined(source, 0, "empty_file", "file is empty")
            return
        yield from reader_for(path)(path, raw, cfg, source)
