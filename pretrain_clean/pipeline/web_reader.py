"""Documents from web archives (``.warc``/``.warc.gz``) and saved pages (``.html``/``.htm``).

Every WARC record is accounted for, so ``documents_in`` equals the records in the file:

* HTML responses and ``resource`` records (``text/html``, ``application/xhtml+xml``, or
  no Content-Type and a body that starts like HTML): text extracted with trafilatura. The
  type is Common Crawl's ``WARC-Identified-Payload-Type`` when present (as in datatrove's
  ``WarcReader``), else the HTTP (or, for resources, the WARC) ``Content-Type``;
* ``text/plain`` / ``text/markdown`` responses and resources: the body, decoded by its
  charset; WET ``conversion`` records: the body as UTF-8;
* everything else is a removal of stage ``input`` (written to ``rejected/``):
  ``skipped_record_type`` (``warcinfo``, ``request``, ``metadata``, ``revisit``, and
  resources at a URI that is not http(s)/ftp, like the log wget stores as a resource),
  ``skipped_non_text`` (PDF, images, JSON, scripts, no Content-Type), ``http_redirect``
  (status 3xx) and ``http_error_page`` (status 4xx/5xx, e.g. a 404 page).

A record body is read with the ``input.max_text_bytes`` cap (see :mod:`pipeline.streams`).
"""
from __future__ import annotations

from typing import Any, BinaryIO, Iterator

from pretrain_clean.errors import EnvironmentProblem
from pretrain_clean.pipeline.config import InputConfig
from pretrain_clean.pipeline.document import Document
from pretrain_clean.pipeline.records import (
    Quarantined, Record, Skipped, checked_document, snippet, too_large,
)
from pretrain_clean.pipeline.streams import STREAM_ERRORS, Oversized, read_capped

HTML_TYPES = ("text/html", "application/xhtml+xml")
TEXT_TYPES = ("text/plain", "text/markdown", "text/x-markdown")
PAGE_RECORDS = ("response", "resource", "conversion")
BINARY_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"%PDF", b"PK\x03\x04", b"\x1f\x8b", b"RIFF")
"""Body starts of images, PDFs, archives: never text, whatever the Content-Type says."""
WEB_SCHEMES = ("http://", "https://", "ftp://")
"""A ``resource`` record is a page only at such a URI (wget stores its log as a resource)."""
PROBE_PAGE = (
    "<html><head><title>probe</title></head><body><article><h1>Extraction probe</h1>"
    "<p>This paragraph checks that the HTML extractor works on this machine before any input "
    "is read. It is long enough to be kept as main text by the extractor, and it says nothing "
    "else of interest to anyone, which is exactly what a probe paragraph should do.</p>"
    "<p>A second paragraph follows so the page looks like an ordinary article.</p>"
    "</article></body></html>"
)


def check_html_extractor() -> None:
    """Raise :class:`EnvironmentProblem` unless trafilatura extracts text from a test page.

    lxml 6 without ``lxml_html_clean`` makes trafilatura fail on every page: that is a
    broken install, reported once before any work, not a per-page data error.
    """
    try:
        text = _html_to_text(PROBE_PAGE, None)
    except ImportError as exc:
        raise EnvironmentProblem(
            f"HTML extraction (trafilatura) cannot run: {exc}. "
            "Install the package's dependencies (pip install lxml_html_clean) and retry"
        ) from exc
    if not text or "Extraction probe" not in text and "probe paragraph" not in text:
        raise EnvironmentProblem("HTML extraction (trafilatura) returned no text for a test page; "
                                 "check the installed trafilatura and lxml versions")


def _extraction_errors() -> tuple[type[BaseException], ...]:
    from lxml.etree import LxmlError

    return (ValueError, LxmlError, RecursionError)


def _html_to_text(html: bytes | str, url: str | None) -> str | None:
    import trafilatura

    return trafilatura.extract(html, url=url, include_comments=False, include_tables=True,
                               deduplicate=False)


def content_kind(content_type: str, body: bytes) -> str | None:
    """``"html"``, ``"text"`` or None (not text) for a record's Content-Type and body.

    >>> content_kind("text/html; charset=utf-8", b""), content_kind("", b"  <!DOCTYPE html><p>")
    ('html', 'html')
    >>> content_kind("text/plain", b"hi"), content_kind("application/pdf", b"%PDF"), content_kind("", b"{}")
    ('text', None, None)
    """
    main = content_type.split(";", 1)[0].strip().lower()
    if body.startswith(BINARY_MAGIC):  # a label that lies (datatrove sniffs with libmagic)
        return None
    if main in HTML_TYPES:
        return "html"
    if main in TEXT_TYPES:
        return "text"
    if not main:
        head = body[:1024].lstrip().lower()
        if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head:
            return "html"
    return None


def _charset(content_type: str) -> str:
    for param in content_type.split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip():
            return value.strip().strip("\"'")
    return "utf-8"


def _decode(body: bytes, content_type: str) -> str:
    try:
        return body.decode(_charset(content_type), errors="replace")
    except (LookupError, ValueError):  # an unknown (or not a text) charset name
        return body.decode("utf-8", errors="replace")


def _skip_reason(kind: str, url: str | None, status: str | None, content_kind_: str | None) -> str | None:
    if kind not in PAGE_RECORDS or kind == "resource" and not (url or "").startswith(WEB_SCHEMES):
        return "skipped_record_type"  # e.g. wget's log, stored as resource metadata://...
    if status and not status.startswith("2"):
        return "http_redirect" if status.startswith("3") else "http_error_page"
    if kind != "conversion" and content_kind_ is None:
        return "skipped_non_text"
    return None


def read_warc(path: str, raw: BinaryIO, cfg: InputConfig, source: str) -> Iterator[Record]:
    """One record per WARC record: a document, a counted removal, or a quarantine."""
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    position = 0
    try:
        for record in ArchiveIterator(raw):
            position += 1
            yield _warc_record(record, cfg, source, position)
    except (ArchiveLoadFailed, ValueError, *STREAM_ERRORS) as exc:  # cut or corrupt gzip, broken record
        yield Quarantined(source, position + 1, "truncated",
                          f"unreadable WARC after record {position}: {type(exc).__name__}: {exc}")
        return
    if position == 0:
        yield Quarantined(source, 0, "empty_file", "file is empty (no WARC records)")


def _warc_record(record: Any, cfg: InputConfig, source: str, position: int) -> Record:
    body = read_capped(record.content_stream(), cfg.max_text_bytes)
    head = body.head if isinstance(body, Oversized) else body
    if record.rec_headers.get_header("Content-Length") is None or getattr(record.raw_stream, "limit", 0):
        # warcio ends quietly at a cut; a record without its full length is the sign
        return Quarantined(source, position, "truncated",
                           f"WARC record {position} is cut short (truncated file?)", snippet(head), len(head))
    kind = record.rec_type
    url = record.rec_headers.get_header("WARC-Target-URI")
    record_id = (record.rec_headers.get_header("WARC-Record-ID") or f"{source}:{position}").strip("<>")
    http = record.http_headers if kind == "response" else None
    content_type = (http.get_header("Content-Type") if http else record.rec_headers.get_header("Content-Type")) or ""
    status = http.get_statuscode() if http else None
    fields: dict[str, Any] = {"url": url, "date": record.rec_headers.get_header("WARC-Date")}
    # Common Crawl's detected type first, as datatrove's WarcReader does (servers mislabel pages)
    page = content_kind(record.rec_headers.get_header("WARC-Identified-Payload-Type") or content_type, head)
    reason = _skip_reason(kind, url, status, page)
    if reason is not None:
        size = body.size if isinstance(body, Oversized) else len(body)
        extra = {**fields, "warc_type": kind, "content_type": content_type, "status": status}
        meta: dict[str, Any] = {"input": {k: v for k, v in extra.items() if v is not None}}
        if url:
            meta["url"] = url
        return Skipped(Document(record_id, "", source, position, meta), reason, size)
    if isinstance(body, Oversized):
        return too_large(source, position, f"WARC record {position}", body.size, body.head, cfg)
    if kind == "conversion":
        text: str | None = body.decode("utf-8", errors="replace")
    elif page == "text":
        text = _decode(body, content_type)
    else:
        try:
            text = _html_to_text(body, url)
        except _extraction_errors() as exc:
            return Quarantined(source, position, "html_extraction_failed",
                               f"HTML extraction failed: {type(exc).__name__}: {exc}", snippet(body), len(body))
    if text is None or len(text.strip()) < cfg.html_min_text_chars:
        return Quarantined(source, position, "html_no_text", f"no text extracted from HTML ({url})",
                           snippet(body), len(body))
    return checked_document(text, {**fields, cfg.text_field: text, cfg.id_field: record_id},
                            cfg, source, position, len(body))


def read_html(path: str, raw: BinaryIO, cfg: InputConfig, source: str) -> Iterator[Record]:
    """One document from a saved HTML page."""
    body = read_capped(raw, cfg.max_text_bytes)
    if isinstance(body, Oversized):
        yield too_large(source, 1, "HTML file", body.size, body.head, cfg)
        return
    if not body.strip():
        yield Quarantined(source, 0, "empty_file", "file is empty")
        return
    try:
        text = _html_to_text(body, None)
    except _extraction_errors() as exc:
        yield Quarantined(source, 1, "html_extraction_failed", f"HTML extraction failed: {type(exc).__name__}: {exc}",
                          snippet(body), len(body))
        return
    if text is None or len(text.strip()) < cfg.html_min_text_chars:
        yield Quarantined(source, 1, "html_no_text", "no text extracted from HTML", snippet(body), len(body))
        return
    yield checked_document(text, {cfg.text_field: text}, cfg, source, 1, len(body))
