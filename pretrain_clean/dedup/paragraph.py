"""Paragraph- and sentence-level exact dedup across the corpus (CCNet, Wenzek et al.
2020, "CCNet: Extracting High Quality Monolingual Datasets from Web Crawl Data", §3.1:
hash each normalized line, remove lines already seen in the corpus).

A document is split into *units*: its lines (paragraphs) and, optionally, the sentences
of each line. Units are numbered in a fixed order, so the engines only exchange
``(document, unit number)`` pairs and :func:`rewrite` rebuilds the text without them.
"""
from __future__ import annotations

import re
from typing import NamedTuple

import numpy as np

from pretrain_clean.dedup.hashing import hash64, normalize, normalize_lines

_SENTENCE_END = re.compile(r"[.!?]+[\"'”’)\]]*\s+|[。！？；]+[”’」』）]*\s*")


class Unit(NamedTuple):
    """A paragraph (``sentence == -1``) or a sentence of line ``line``, as a span."""

    line: int
    sentence: int
    start: int
    end: int


def split_units(text: str, sentences: bool) -> list[Unit]:
    """The lines of ``text`` and, with ``sentences``, each line's sentences, in order.

    >>> [text[u.start:u.end] for text in ["Hi there. Bye!\\nok"] for u in split_units(text, True)]
    ['Hi there. Bye!', 'Hi there. ', 'Bye!', 'ok', 'ok']
    """
    units: list[Unit] = []
    start = 0
    for line_no, line in enumerate(text.split("\n")):
        end = start + len(line)
        units.append(Unit(line_no, -1, start, end))
        if sentences:
            s_start = start
            s_no = 0
            for match in _SENTENCE_END.finditer(line):
                s_end = start + match.end()
                units.append(Unit(line_no, s_no, s_start, s_end))
                s_no += 1
                s_start = s_end
            if s_start < end:
                units.append(Unit(line_no, s_no, s_start, end))
        start = end + 1
    return units


def unit_hashes(
    text: str, paragraphs: bool, sentences: bool, paragraph_min_chars: int, sentence_min_chars: int
) -> list[tuple[int, int]]:
    """``(unit number, hash)`` of the units to deduplicate: paragraphs and/or sentences
    long enough. Paragraph and sentence hashes are kept apart by a prefix.

    >>> [n for n, _ in unit_hashes("same line\\n\\nsame line", True, False, 1, 30)]
    [0, 2]
    >>> [n for n, _ in unit_hashes("A first sentence that is long. Another one!", False, True, 1, 12)]
    [1]
    """
    out = []
    for number, unit in enumerate(split_units(text, sentences)):
        is_paragraph = unit.sentence < 0
        if is_paragraph and not paragraphs:
            continue
        norm = normalize(text[unit.start : unit.end])
        if len(norm) < (paragraph_min_chars if is_paragraph else sentence_min_chars):
            continue
        out.append((number, hash64(("p:" if is_paragraph else "s:") + norm)))
    return out


def paragraph_hashes_batch(texts: list[str], min_chars: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(text index, unit number, hash)`` arrays of every paragraph of ``texts`` whose
    normalized form has at least ``min_chars`` characters: :func:`unit_hashes` with
    paragraphs only, for a whole batch in one pass (a unit is then a line).

    >>> doc, unit, h = paragraph_hashes_batch(["same line\\n\\nsame line", "x"], 1)
    >>> doc.tolist(), unit.tolist(), bool(h[0] == h[1])
    ([0, 0, 1], [0, 2, 0], True)
    """
    lines = normalize_lines(texts)
    counts = np.array([t.count("\n") + 1 for t in texts], dtype=np.int64)
    doc = np.repeat(np.arange(len(texts), dtype=np.int64), counts)
    unit = np.arange(len(lines), dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
    keep = np.fromiter((len(line) >= min_chars for line in lines), dtype=bool, count=len(lines))
    hashes = np.fromiter((hash64("p:" + line) for line in lines if len(line) >= min_chars), dtype=np.int64)
    return doc[keep], unit[keep], hashes


def rewrite(text: str, removed: set[int], sentences: bool) -> str:
    """``text`` without the removed units; lines emptied by sentence removal are dropped.

    >>> rewrite("Menu\\nHi there. Bye!\\nok", {0}, False)
    'Hi there. Bye!\\nok'
    >>> rewrite("Menu\\nHi there. Bye!\\nok", {3}, True)
    'Menu\\nBye!\\nok'
    """
    if not removed:
        return text
    lines = text.split("\n")
    drop_line: set[int] = set()
    drop_sentence: dict[int, set[int]] = {}
    units = split_units(text, sentences)
    for number in removed:
        unit = units[number]
        if unit.sentence < 0:
            drop_line.add(unit.line)
        else:
            drop_sentence.setdefault(unit.line, set()).add(unit.sentence)
    out = []
    for line_no, line in enumerate(lines):
        if line_no in drop_line:
            continue
        if line_no in drop_sentence:
            kept = [
                text[u.start : u.end]
                for u in units
                if u.line == line_no and u.sentence >= 0 and u.sentence not in drop_sentence[line_no]
            ]
            line = "".join(kept).strip()
            if not line:
                continue
        out.append(line)
    return "\n".join(out)
