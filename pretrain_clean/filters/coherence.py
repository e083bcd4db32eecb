"""Coherence: how well consecutive blocks of a document belong together (``coherence`` stage).

Lexical cohesion as in TextTiling (Hearst, 1997, "TextTiling: Segmenting Text into
Multi-paragraph Subtopic Passages"): adjacent blocks on one topic share vocabulary, so the
cosine similarity of their term-frequency vectors is high; pages stitched from unrelated
snippets (link farms, scraped mixes, spam) score low. Blocks are paragraphs (or lines when
there is one paragraph) merged until they hold ``block_terms`` terms; terms are lower-cased
words of four or more letters (a crude stop-word filter) and, for Chinese, Han character
bigrams. The score is the mean similarity of consecutive blocks, written to
``meta["coherence"]``; documents with fewer than two blocks get no score and are kept.
``min_coherence`` is off by default (annotate only): tune it on your data with the scores.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import ClassVar

from pretrain_clean.filters.ascii_fast import ascii_stand_in
from pretrain_clean.filters.cjk import has_han
from pretrain_clean.filters.text_features import HAN
from pretrain_clean.pipeline.document import Document
from pretrain_clean.pipeline.stage import Stage

_WORD_RE = re.compile(r"[^\W\d_]{4,}")
_ASCII_WORD_RE = re.compile(r"[a-z]{4,}")
_HAN_RUN_RE = re.compile(f"[{HAN}]+")


def terms(text: str) -> Counter[str]:
    """Term counts: words of 4+ letters, lower-cased, and Han character bigrams.

    >>> sorted(terms("The river flows; 长江很长").items())
    [('flows', 1), ('river', 1), ('很长', 1), ('江很', 1), ('长江', 1)]
    """
    return Counter(term_list(text))


def term_list(text: str, may_have_han: bool = True) -> list[str]:
    """The terms of :func:`terms`, in text order (words first, then Han bigrams);
    ``may_have_han=False`` promises a text without Han characters (no scan for them).

    >>> term_list("The Rivers flow; 长江很")
    ['rivers', 'flow', '长江', '江很']
    """
    stand_in = ascii_stand_in(text)
    if stand_in is not None:  # letters are [A-Za-z]: lower-case first, one pass over a simpler class
        return _ASCII_WORD_RE.findall(stand_in.lower())
    if not may_have_han:
        return list(map(str.lower, _WORD_RE.findall(text)))
    found = list(map(str.lower, _WORD_RE.findall(_HAN_RUN_RE.sub(" ", text))))
    for run in _HAN_RUN_RE.findall(text):
        found += [run[i:i + 2] for i in range(len(run) - 1)]
    return found


def cosine(a: Counter[str], b: Counter[str]) -> float:
    """Cosine similarity of two term-count vectors.

    >>> cosine(Counter("aab"), Counter("ab")), cosine(Counter("a"), Counter("b"))
    (0.9486832980505138, 0.0)
    """
    if len(a) > len(b):
        a, b = b, a
    dot = sum(n * b[t] for t, n in a.items() if t in b)
    if not dot:
        return 0.0
    return dot / math.sqrt(sum(n * n for n in a.values()) * sum(n * n for n in b.values()))


def blocks(text: str, block_terms: int) -> list[Counter[str]]:
    """Term counts of consecutive blocks holding at least ``block_terms`` terms each.

    >>> [sorted(b) for b in blocks("alpha beta\\n\\ngamma delta\\n\\nomega", 2)]
    [['alpha', 'beta'], ['delta', 'gamma', 'omega']]
    """
    units = re.split(r"\n\s*\n", text.strip())
    if len(units) < 2:
        units = text.splitlines()
    out: list[Counter[str]] = []
    current: list[str] = []  # the open block's terms, counted once it is full
    han = has_han(text)
    for unit in units:
        current += term_list(unit, han)
        if len(current) >= block_terms:
            out.append(Counter(current))
            current = []
    if current and out:
        out[-1].update(current)  # a short tail joins the last block
    elif current:
        out.append(Counter(current))
    return out


def coherence(text: str, block_terms: int = 20) -> float | None:
    """Mean cosine similarity of consecutive blocks; ``None`` with fewer than two blocks."""
    parts = blocks(text, block_terms)
    if len(parts) < 2:
        return None
    return sum(cosine(a, b) for a, b in zip(parts, parts[1:])) / (len(parts) - 1)


@dataclass
class Coherence(Stage):
    """Write ``meta["coherence"]``; drop below ``min_coherence`` when it is set."""

    name: ClassVar[str] = "coherence"
    block_terms: int = 20
    """Terms per block (TextTiling compares blocks of a few sentences, not single lines)."""
    min_coherence: float | None = None
    """Drop documents scoring below this; ``None`` (default) only annotates."""

    def annotates_only(self) -> bool:
        return self.min_coherence is None

    def apply(self, doc: Document) -> str | None:
        score = coherence(doc.text, self.block_terms)
        if score is None:
            return None
        doc.meta["coherence"] = round(score, 4)
        if self.min_coherence is not None and score < self.min_coherence:
            return "low_coherence"
        return None
