"""What a reader yields for each input record: a Document, a Quarantined record, or a
Skipped one (a readable record that is not text, counted as a removal of stage ``input``)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pretrain_clean.pipeline.config import InputConfig
from pretrain_clean.pipeline.document import UTF8_BYTES, Document

RAW_SNIPPET_CHARS = 1000
INPUT_STAGE = "input"
"""The stage name of removals decided while reading (``input.skipped_non_text``, ...)."""
STAGE_ERROR = "stage_error"
"""Quarantine kind of a document a stage raised on (read, then failed)."""


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


@dataclass
class Skipped:
    """A readable input record that is not a text document (an image, a 404 page, ...).

    It is written to ``rejected/`` with stage ``input`` and ``reason``; ``doc`` carries its
    id, provenance and metadata (its text is empty or the part that was read).
    """

    doc: Document
    reason: str
    raw_bytes: int = 0


Record = Document | Quarantined | Skipped

MAX_JSON_DEPTH = 100
"""Records nested deeper are quarantined ``too_deep``: Python's JSON functions recurse,
and a record that parses near the recursion limit would fail later, when it is written."""


def utf8_safe(value: str) -> str:
    """``value`` if it encodes as UTF-8, else with each unpaired surrogate escaped visibly.

    >>> utf8_safe("caf\\xe9"), utf8_safe("bad \\ud800 here"), utf8_safe("name\\udcff.jsonl")
    ('café', 'bad \\\\ud800 here', 'name\\\\udcff.jsonl')
    """
    try:
        value.encode("utf-8")
        return value
    except UnicodeEncodeError:
        return value.encode("utf-8", "backslashreplace").decode("utf-8")


def snippet(raw: bytes | str) -> str:
    """The start of a bad record, as text that any writer accepts."""
    if isinstance(raw, bytes):
        raw = raw[: RAW_SNIPPET_CHARS * 4].decode("utf-8", errors="replace")
    return utf8_safe(raw[:RAW_SNIPPET_CHARS])


def _dumped(record: Any) -> str:
    try:
        return json.dumps(record, ensure_ascii=False, default=str)
    except (RecursionError, ValueError):
        return f"<{type(record).__name__} nested too deep to show>"


def _encodable(value: str) -> bool:
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def field_problem(record: dict[str, Any], text_field: str) -> tuple[str, str] | None:
    """``(kind, message)`` when a key or a field other than the text nests deeper than
    :data:`MAX_JSON_DEPTH` (the record is level 1) or holds an unpaired surrogate; else None.

    Iterative and cheap on flat records (the usual ``id``/``url`` strings).

    >>> field_problem({"text": "t", "m": [[1]]}, "text") is None
    True
    >>> field_problem({"text": "t", "title": "x\\ud800"}, "text")
    ('invalid_unicode', "field 'title' holds unpaired surrogates")
    """
    stack: list[tuple[str, Any, int]] = []
    for key, value in record.items():
        if not _encodable(key):
            return "invalid_unicode", f"key {utf8_safe(key)!r} holds unpaired surrogates"
        if key != text_field:
            stack.append((key, value, 2))
    while stack:
        field, value, depth = stack.pop()
        if isinstance(value, str):
            if not _encodable(value):
                return "invalid_unicode", f"field {field!r} holds unpaired surrogates"
            continue
        if not isinstance(value, (dict, list)):
            continue
        if depth > MAX_JSON_DEPTH:
            return "too_deep", f"field {field!r} nests deeper than {MAX_JSON_DEPTH} levels"
        if isinstance(value, list):
            stack.extend((field, item, depth + 1) for item in value)
            continue
        for key, item in value.items():
            if not _encodable(key):
                return "invalid_unicode", f"field {field!r} has a key with unpaired surrogates"
            stack.append((field, item, depth + 1))
    return None


def make_document(record: Any, cfg: InputConfig, source: str, position: int, raw_len: int
                  ) -> Document | Quarantined:
    """Turn one parsed record (a dict) into a Document or a Quarantined."""
    if not isinstance(record, dict):
        return Quarantined(source, position, "not_an_object", f"expected a JSON object, got {type(record).__name__}",
                           snippet(_dumped(record)), raw_len)
    problem = field_problem(record, cfg.text_field)  # first: a too-deep record cannot even be shown
    if problem is not None:
        kind, message = problem
        return Quarantined(source, position, kind, message,
                           snippet(_dumped(record)) if kind != "too_deep" else "", raw_len)
    text = record.get(cfg.text_field)
    if text is None:
        missing = "missing" if cfg.text_field not in record else "null"
        return Quarantined(source, position, "missing_text", f"text field {cfg.text_field!r} is {missing}",
                           snippet(_dumped(record)), raw_len)
    if not isinstance(text, str):
        return Quarantined(source, position,
                           "missing_text", f"text field {cfg.text_field!r} is {type(text).__name__}, not a string",
                           snippet(_dumped(record)), raw_len)
    return checked_document(text, record, cfg, source, position, raw_len)


def checked_document(
    text: str, record: dict[str, Any], cfg: InputConfig, source: str, position: int, raw_len: int
) -> Document | Quarantined:
    """A Document for ``text`` unless it is too large, empty or not encodable."""
    try:  # one encode for the size and the check (the cascade reuses the size)
        size, invalid = len(text.encode("utf-8")), None
    except UnicodeEncodeError as exc:
        size, invalid = len(text.encode("utf-8", errors="surrogatepass")), exc
    if size > cfg.max_text_bytes:
        return Quarantined(source, position,
                           "too_large", f"text is {size:,} bytes, over input.max_text_bytes={cfg.max_text_bytes:,}",
                           snippet(text), size)
    if not text or text.isspace():
        return Quarantined(source, position, "empty_text", f"text field {cfg.text_field!r} is empty", snippet(text), size)
    if invalid is not None:
        return Quarantined(source, position, "invalid_unicode", f"text holds unpaired surrogates: {invalid.reason}",
                           snippet(text.encode("utf-8", "replace")), size)
    doc_id = record.get(cfg.id_field)
    doc_id = f"{source}:{position}" if doc_id is None or doc_id == "" else str(doc_id)
    extra = {k: v for k, v in record.items() if k not in (cfg.text_field, cfg.id_field)}
    meta: dict[str, Any] = {"input": extra} if extra else {}
    if isinstance(extra.get("url"), str):
        meta["url"] = extra["url"]  # provenance that URL-based stages read
    doc = Document(doc_id, text, source, position, meta)
    doc.cached(UTF8_BYTES, lambda d: size)  # cascade.text_bytes: not encoded again
    return doc


def too_large(source: str, position: int, what: str, size: int, head: bytes, cfg: InputConfig) -> Quarantined:
    """The quarantine record of a line/record/file over ``input.max_text_bytes``."""
    return Quarantined(source, position, "too_large",
                       f"{what} is {size:,} bytes, over input.max_text_bytes={cfg.max_text_bytes:,}",
                       snippet(head), size)
