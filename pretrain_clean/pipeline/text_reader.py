"""Documents from plain text (``.txt``, ``.txt.gz``, ``.txt.zst``), split by ``input.txt_split``.

* ``"file"``: the whole file is one document (position 1);
* ``"line"``: each non-blank line is a document (position: its line number);
* ``"block"``: each run of non-blank lines, ended by a blank line, is a document
  (position: its first line's number; its lines joined with ``\\n``).

Line ends are ``\\n``, ``\\r\\n`` or ``\\r``; ids are ``source:position``. A line, block or
file over ``input.max_text_bytes`` is quarantined ``too_large`` without being held whole.
"""
from __future__ import annotations

from typing import BinaryIO, Iterator

from pretrain_clean.pipeline.config import InputConfig
from pretrain_clean.pipeline.records import Quarantined, Record, checked_document, snippet, too_large
from pretrain_clean.pipeline.streams import STREAM_ERRORS, Oversized, bounded_lines, decompressed, read_capped


def _document(data: bytes, cfg: InputConfig, source: str, position: int) -> Record:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Quarantined(source, position, "invalid_utf8", f"invalid UTF-8 at byte {exc.start}",
                           snippet(data), len(data))
    return checked_document(text, {cfg.text_field: text}, cfg, source, position, len(data))


def read_text(path: str, raw: BinaryIO, cfg: InputConfig, source: str) -> Iterator[Record]:
    """Documents from a plain-text file (see the module docstring for the split)."""
    stream = decompressed(path, raw)
    try:
        if cfg.txt_split == "file":
            yield from _whole_file(stream, cfg, source)
        else:
            yield from _split(stream, cfg, source)
    except STREAM_ERRORS as exc:  # truncated or corrupt compression
        yield Quarantined(source, 0, "truncated", f"unreadable: {type(exc).__name__}: {exc}")


def _whole_file(stream: BinaryIO, cfg: InputConfig, source: str) -> Iterator[Record]:
    data = read_capped(stream, cfg.max_text_bytes)
    if isinstance(data, Oversized):
        yield too_large(source, 1, "text file", data.size, data.head, cfg)
    elif not data.strip():
        yield Quarantined(source, 0, "empty_file", "file is empty")
    else:
        yield _document(data, cfg, source, 1)


def read_text_lines(stream: BinaryIO, cfg: InputConfig, source: str, first_line: int,
                    after_blank: bool, stop_line: int | None) -> Iterator[Record]:
    """Documents of one line-aligned byte range of a plain-text file (:mod:`pipeline.line_split`),
    split by lines or blocks; ``stream`` starts at line ``first_line``. Blocks: with
    ``after_blank`` the lines before the first blank line belong to an earlier range's block;
    the range ends at the first blank line numbered ``stop_line`` or more (None: the stream's end)."""
    try:
        yield from _split(stream, cfg, source, first_line, after_blank, stop_line, in_range=True)
    except STREAM_ERRORS as exc:
        yield Quarantined(source, first_line, "truncated", f"unreadable: {type(exc).__name__}: {exc}")


def _split(stream: BinaryIO, cfg: InputConfig, source: str, first_line: int = 1,
           after_blank: bool = False, stop_line: int | None = None, in_range: bool = False) -> Iterator[Record]:
    by_line = cfg.txt_split == "line"
    block: list[bytes] = []
    block_bytes = 0
    start = 0  # first line of the current block; 0: none
    oversized: Oversized | None = None  # the current block is over the cap
    any_record = in_range  # a range of a split file (holding text somewhere): never "empty_file"
    line_no = first_line - 1
    for line in bounded_lines(stream, cfg.max_text_bytes):
        line_no += 1
        blank = not isinstance(line, Oversized) and not line.strip()
        if after_blank:  # the tail of a block an earlier range owns
            if blank and stop_line is not None and line_no >= stop_line:
                return  # no blank line starts in this range: it owns no block
            after_blank = not blank
            continue
        if by_line:
            if isinstance(line, Oversized):
                any_record = True
                yield too_large(source, line_no, f"line {line_no}", line.size, line.head, cfg)
            elif not blank:
                any_record = True
                yield _document(line, cfg, source, line_no)
            continue
        if blank:
            if start:
                any_record = True
                yield _block_record(block, oversized, block_bytes, cfg, source, start)
                block, block_bytes, start, oversized = [], 0, 0, None
            if stop_line is not None and line_no >= stop_line:
                return  # the blocks after this blank line belong to the next range
            continue
        start = start or line_no
        size = line.size if isinstance(line, Oversized) else len(line)
        block_bytes += size + (1 if block_bytes else 0)
        if oversized is None and block_bytes > cfg.max_text_bytes:
            head = b"\n".join(block)[:4096] if block else line.head if isinstance(line, Oversized) else line
            oversized, block = Oversized(0, head), []
        elif oversized is None:
            block.append(line)  # type: ignore[arg-type]
    if start:
        any_record = True
        yield _block_record(block, oversized, block_bytes, cfg, source, start)
    if not any_record:
        yield Quarantined(source, 0, "empty_file", "file is empty" if not line_no else "file holds only blank lines")


def _block_record(block: list[bytes], oversized: Oversized | None, size: int, cfg: InputConfig,
                  source: str, start: int) -> Record:
    if oversized is not None:
        return too_large(source, start, f"block at line {start}", size, oversized.head, cfg)
    return _document(b"\n".join(block), cfg, source, start)
