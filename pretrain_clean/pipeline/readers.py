"""Read input files into documents; anything unreadable becomes a quarantine record.

Supported: ``.jsonl``/``.json`` (one JSON object a line), the same with ``.gz`` or
``.zst``, ``.parquet``, ``.warc``/``.warc.gz`` (HTML responses are extracted with
trafilatura; WET ``conversion`` records are taken as text) and ``.html``/``.htm``.
Readers never raise on bad data: a broken line, bad UTF-8, a missing text field, an
empty file or a truncated archive each yield a :class:`Quarantined` record naming the
file, the line (or record) and the problem, and reading goes on where it can.
"""
from __future__ import annotations

import gzip
import io
import json
from dataclasses import dataclass
from typing import Any, BinaryIO, Callable, Iterator

from pretrain_clean.pipeline.config import InputConfig
from pretrain_clean.pipeline.document import Document
from pretrain_clean.pipeline.storage import input_size, open_input

RAW_SNIPPET_CHARS = 1000

SUFFIXES = (
    ".jsonl", ".json", ".jsonl.gz", ".json.gz", ".jsonl.zst", ".json.zst",
    ".parquet", ".warc", ".warc.gz", ".html", ".htm",
)


@dataclass
class Quarantined:
    """An input record that could not become a document, and why."""

    source: str
    position: int
    kind: str
    """Short stable category, e.g. ``malformed_json``; counted in stats."""
    error: str
    raw: str = ""
    raw_bytes: int = 0


Record = Document | Quarantined


def is_supported(path: str) -> bool:
    """True when ``path`` has a suffix this module reads."""
    return path.lower().endswith(SUFFIXES)


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


def _snippet(raw: bytes | str) -> str:
    if isinstance(raw, bytes):
        raw = raw[: RAW_SNIPPET_CHARS * 4].decode("utf-8", errors="replace")
    return raw[:RAW_SNIPPET_CHARS]


def _decompressed(path: str, raw: BinaryIO) -> BinaryIO:
    lower = path.lower()
    if lower.endswith(".gz"):
        return gzip.GzipFile(fileobj=raw)  # type: ignore[return-value]
    if lower.endswith(".zst"):
        return io.BufferedReader(ZstdReader(raw), buffer_size=1 << 20)  # type: ignore[return-value]
    return raw


class ZstdReader(io.RawIOBase):
    """Decompresses concatenated zstd frames; a stream cut inside a frame raises EOFError
    (zstandard's own stream reader ends quietly there)."""

    def __init__(self, raw: BinaryIO, chunk: int = 1 << 20) -> None:
        import zstandard

        self._zstd = zstandard
        self._raw = raw
        self._chunk = chunk
        self._decoder = zstandard.ZstdDecompressor().decompressobj()
        self._fed = False
        self._pending = b""
        self._offset = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while self._offset >= len(self._pending):
            self._pending, self._offset = b"", 0
            data = self._raw.read(self._chunk)
            if not data:
                if self._fed and not self._decoder.eof:
                    raise EOFError("zstd stream ended before the end of its frame")
                return 0
            while data:
                if self._decoder.eof:  # the next frame starts here
                    self._decoder = self._zstd.ZstdDecompressor().decompressobj()
                self._fed = True
                self._pending += self._decoder.decompress(data)
                data = self._decoder.unused_data if self._decoder.eof else b""
        n = min(len(buffer), len(self._pending) - self._offset)
        buffer[:n] = memoryview(self._pending)[self._offset:self._offset + n]
        self._offset += n
        return n


def _make_document(
    record: Any, cfg: InputConfig, source: str, position: int, raw_len: int
) -> Record:
    """Turn one parsed record (a dict) into a Document or a Quarantined."""
    if not isinstance(record, dict):
        return Quarantined(source, position, "not_an_object", f"expected a JSON object, got {type(record).__name__}",
                           _snippet(json.dumps(record, ensure_ascii=False, default=str)), raw_len)
    text = record.get(cfg.text_field)
    if text is None:
        missing = "missing" if cfg.text_field not in record else "null"
        return Quarantined(source, position, "missing_text", f"text field {cfg.text_field!r} is {missing}",
                           _snippet(json.dumps(record, ensure_ascii=False, default=str)), raw_len)
    if not isinstance(text, str):
        return Quarantined(source, position,
                           "missing_text", f"text field {cfg.text_field!r} is {type(text).__name__}, not a string",
                           _snippet(json.dumps(record, ensure_ascii=False, default=str)), raw_len)
    return _checked_document(text, record, cfg, source, position, raw_len)


def _checked_document(
    text: str, record: dict[str, Any], cfg: InputConfig, source: str, position: int, raw_len: int
) -> Record:
    size = len(text.encode("utf-8", errors="surrogatepass"))
    if size > cfg.max_text_bytes:
        return Quarantined(source, position,
                           "too_large", f"text is {size:,} bytes, over input.max_text_bytes={cfg.max_text_bytes:,}",
                           _snippet(text), size)
    if not text.strip():
        return Quarantined(source, position, "empty_text", f"text field {cfg.text_field!r} is empty", _snippet(text), size)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return Quarantined(source, position, "invalid_unicode", f"text holds unpaired surrogates: {exc.reason}",
                           _snippet(text.encode("utf-8", "replace")), size)
    doc_id = record.get(cfg.id_field)
    doc_id = f"{source}:{position}" if doc_id is None or doc_id == "" else str(doc_id)
    extra = {k: v for k, v in record.items() if k not in (cfg.text_field, cfg.id_field)}
    meta: dict[str, Any] = {"input": extra} if extra else {}
    if isinstance(extra.get("url"), str):
        meta["url"] = extra["url"]  # provenance that URL-based stages read
    return Document(doc_id, text, source, position, meta)


def read_jsonl(path: str, raw: BinaryIO, cfg: InputConfig, source: str) -> Iterator[Record]:
    """Documents from a (possibly compressed) JSON-lines stream."""
    stream = _decompressed(path, raw)
    line_no = 0
    any_line = False
    while True:
        try:
            line = stream.readline()
        except Exception as exc:  # noqa: BLE001 - truncated or corrupt compression
            yield Quarantined(source, line_no + 1,
                              "truncated", f"unreadable after line {line_no}: {type(exc).__name__}: {exc}")
            return
        if not line:
            break
        line_no += 1
        any_line = True
        if not line.strip():
            continue
        try:
            decoded = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield Quarantined(source, line_no, "invalid_utf8", f"invalid UTF-8 at byte {exc.start} of the line",
                              _snippet(line), len(line))
            continue
        try:
            record = json.loads(decoded)
        except json.JSONDecodeError as exc:
            yield Quarantined(source, line_no, "malformed_json", f"malformed JSON: {exc.msg} at column {exc.colno}",
                              _snippet(decoded), len(line))
            continue
        yield _make_document(record, cfg, source, line_no, len(line))
    if not any_line:
        yield Quarantined(source, 0, "empty_file", "file is empty")


def read_parquet(path: str, raw: BinaryIO, cfg: InputConfig, source: str) -> Iterator[Record]:
    """Documents from a parquet file, one per row (positions count rows from 1)."""
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(raw)
    except Exception as exc:  # noqa: BLE001
        yield Quarantined(source, 0, "unreadable_file", f"not a readable parquet file: {exc}")
        return
    if parquet.metadata.num_rows == 0:
        yield Quarantined(source, 0, "empty_file", "file is empty (0 rows)")
        return
    position = 0
    try:
        for batch in parquet.iter_batches(batch_size=1024):
            for row in batch.to_pylist():
                position += 1
                yield _make_document(row, cfg, source, position, 0)
    except Exception as exc:  # noqa: BLE001
        yield Quarantined(source, position + 1, "truncated", f"unreadable after row {position}: {exc}")


def _html_to_text(html: bytes | str, url: str | None) -> str | None:
    import trafilatura

    return trafilatura.extract(html, url=url, include_comments=False, include_tables=True,
                               deduplicate=False)


def read_warc(path: str, raw: BinaryIO, cfg: InputConfig, source: str) -> Iterator[Record]:
    """Documents from WARC response records (HTML extracted) and WET conversion records."""
    from warcio.archiveiterator import ArchiveIterator

    position = 0
    try:
        for record in ArchiveIterator(raw):
            position += 1
            body = record.content_stream().read()
            if record.rec_headers.get_header("Content-Length") is None or getattr(record.raw_stream, "limit", 0):
                # warcio ends quietly at a cut; a record without its full length is the sign
                yield Quarantined(source, position, "truncated",
                                  f"WARC record {position} is cut short (truncated file?)", _snippet(body), len(body))
                continue
            kind = record.rec_type
            if kind not in ("response", "conversion"):
                continue
            url = record.rec_headers.get_header("WARC-Target-URI")
            record_id = record.rec_headers.get_header("WARC-Record-ID") or f"{source}:{position}"
            fields = {"id": record_id.strip("<>"), "url": url,
                      "date": record.rec_headers.get_header("WARC-Date")}
            if kind == "response":
                ctype = record.http_headers.get_header("Content-Type") if record.http_headers else ""
                if "html" not in (ctype or "").lower():
                    continue
                try:
                    text = _html_to_text(body, url)
                except Exception as exc:  # noqa: BLE001
                    yield Quarantined(source, position, "html_extraction_failed", f"HTML extraction failed: {exc}", _snippet(body), len(body))
                    continue
            else:
                text = body.decode("utf-8", errors="replace")
            if text is None or len(text.strip()) < cfg.html_min_text_chars:
                yield Quarantined(source, position, "html_no_text", f"no text extracted from HTML ({url})", _snippet(body), len(body))
                continue
            fields[cfg.text_field] = text
            yield _checked_document(text, {**fields, cfg.id_field: fields.pop("id")}, cfg, source, position, len(body))
    except Exception as exc:  # noqa: BLE001 - truncated gzip, broken record
        yield Quarantined(source, position + 1, "truncated", f"unreadable WARC after record {position}: {type(exc).__name__}: {exc}")
        return
    if position == 0:
        yield Quarantined(source, 0, "empty_file", "file is empty (no WARC records)")


def read_html(path: str, raw: BinaryIO, cfg: InputConfig, source: str) -> Iterator[Record]:
    """One document from a saved HTML page."""
    body = raw.read()
    if not body.strip():
        yield Quarantined(source, 0, "empty_file", "file is empty")
        return
    try:
        text = _html_to_text(body, None)
    except Exception as exc:  # noqa: BLE001
        yield Quarantined(source, 1, "html_extraction_failed", f"HTML extraction failed: {exc}", _snippet(body), len(body))
        return
    if text is None or len(text.strip()) < cfg.html_min_text_chars:
        yield Quarantined(source, 1, "html_no_text", "no text extracted from HTML", _snippet(body), len(body))
        return
    yield _checked_document(text, {cfg.text_field: text}, cfg, source, 1, len(body))


def reader_for(path: str) -> Callable[[str, BinaryIO, InputConfig, str], Iterator[Record]]:
    """The reader function for a file name."""
    lower = path.lower()
    if lower.endswith(".parquet"):
        return read_parquet
    if lower.endswith((".warc", ".warc.gz")):
        return read_warc
    if lower.endswith((".html", ".htm")):
        return read_html
    return read_jsonl


def read_records(path: str, cfg: InputConfig, source: str,
                 on_open: Callable[[CountingReader], None] | None = None) -> Iterator[Record]:
    """All records of one input file; an unopenable file is one quarantine record."""
    try:
        handle = open_input(path)
        size = input_size(path)
    except OSError as exc:
        yield Quarantined(source, 0, "unreadable_file", f"cannot open file: {exc.strerror or exc}")
        return
    counting = CountingReader(handle)
    if on_open is not None:
        on_open(counting)
    with io.BufferedReader(counting, buffer_size=1 << 20) as raw:
        if size == 0:
            yield Quarantined(source, 0, "empty_file", "file is empty")
            return
        yield from reader_for(path)(path, raw, cfg, source)
