"""Byte streams for the readers: byte counting, decompression, and reads with a size cap.

Memory stays bounded whatever the input: decompressed streams are read in chunks of
:data:`CHUNK` bytes (a 2 MB ``.gz`` of zeros never becomes one 2 GB string), and a line or
file longer than its cap is reported as :class:`Oversized` after at most the cap plus one
chunk was held, the rest being skipped without keeping it.
"""
from __future__ import annotations

import gzip
import io
import zlib
from dataclasses import dataclass
from typing import Any, BinaryIO, Iterator

try:  # the standard library from Python 3.14; the backport before
    from compression import zstd  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - depends on the Python version
    from backports import zstd  # type: ignore[no-redef]

STREAM_ERRORS: tuple[type[Exception], ...] = (OSError, EOFError, zlib.error, zstd.ZstdError)
"""What reading a cut or corrupt compressed stream raises (``BadGzipFile`` is an OSError)."""

CHUNK = 1 << 20
"""Bytes read from a (decompressed) stream at a time; also the margin over a cap."""


class CountingReader(io.RawIOBase):
    """A binary file wrapper whose ``consumed`` tells how many raw bytes were read (for ETA)."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return self._raw.seekable()

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._raw.seek(offset, whence)

    def tell(self) -> int:
        return self._raw.tell()

    def readinto(self, buffer: Any) -> int:
        n = self._raw.readinto(buffer)
        self.consumed += n or 0
        return n

    def close(self) -> None:
        self._raw.close()
        super().close()


def decompressed(path: str, raw: BinaryIO) -> BinaryIO:
    """``raw`` decompressed by the file name's suffix (``.gz``, ``.zst``), else ``raw``.

    A stream cut short raises ``EOFError`` when read (zstd included: its frames are
    checked to their end, and concatenated frames are read as one stream).
    """
    lower = path.lower()
    if lower.endswith(".gz"):
        return gzip.GzipFile(fileobj=raw)  # type: ignore[return-value]
    if lower.endswith(".zst"):
        return zstd.ZstdFile(raw)  # type: ignore[no-any-return]
    return raw


@dataclass
class Oversized:
    """A line (or file) longer than the cap; ``size`` is its full length in bytes."""

    size: int
    head: bytes
    """Its first bytes (for the quarantine snippet)."""


HEAD_BYTES = 4096


def bounded_lines(stream: BinaryIO, cap: int) -> Iterator[bytes | Oversized]:
    """The lines of ``stream`` without their ends; a line over ``cap`` bytes is an
    :class:`Oversized` instead, found holding at most ``cap`` + :data:`CHUNK` bytes.

    Line ends are ``\\n``, ``\\r\\n`` and a lone ``\\r`` (files from old Mac tools).

    >>> list(bounded_lines(io.BytesIO(b"a\\rb\\r\\nc\\n\\nlong line\\nd"), cap=4))
    [b'a', b'b', b'c', b'', Oversized(size=9, head=b'long line'), b'd']
    """
    pending = b""
    skipping: Oversized | None = None  # the line being skipped past its cap
    after_cr = False  # the previous chunk ended with \r: a leading \n belongs to it
    read = getattr(stream, "read1", stream.read)  # read1: what one decompression step gave
    while True:
        chunk = read(CHUNK)  # (so a cut stream loses at most that step's lines)
        if not chunk:
            break
        if after_cr and chunk[:1] == b"\n":
            chunk = chunk[1:]
            if not chunk:
                after_cr = False
                continue
        after_cr = chunk[-1:] == b"\r"
        if skipping is not None:
            end = _first_line_end(chunk)
            if end < 0:
                skipping.size += len(chunk)
                continue
            skipping.size += end
            yield skipping
            skipping = None
            chunk = chunk[end + (2 if chunk[end:end + 2] == b"\r\n" else 1):]
            if not chunk:
                continue
        data = pending + chunk if pending else chunk
        lines = data.splitlines()
        pending = b"" if data[-1:] in (b"\n", b"\r") else lines.pop()
        for line in lines:
            yield line if len(line) <= cap else Oversized(len(line), line[:HEAD_BYTES])
        if len(pending) > cap:
            skipping, pending = Oversized(len(pending), pending[:HEAD_BYTES]), b""
    if skipping is not None:
        yield skipping
    elif pending:
        yield pending if len(pending) <= cap else Oversized(len(pending), pending[:HEAD_BYTES])


def _first_line_end(chunk: bytes) -> int:
    ends = [i for i in (chunk.find(b"\n"), chunk.find(b"\r")) if i >= 0]
    return min(ends) if ends else -1


def read_capped(stream: BinaryIO, cap: int) -> bytes | Oversized:
    """The whole of ``stream``, or :class:`Oversized` once it passes ``cap`` bytes (the
    rest is read through in chunks to learn its size, never held)."""
    parts: list[bytes] = []
    size = 0
    while size <= cap:
        chunk = stream.read(CHUNK)
        if not chunk:
            return b"".join(parts)
        parts.append(chunk)
        size += len(chunk)
    head = b"".join(parts)[:HEAD_BYTES]
    parts.clear()
    while chunk := stream.read(CHUNK):
        size += len(chunk)
    return Oversized(size, head)
