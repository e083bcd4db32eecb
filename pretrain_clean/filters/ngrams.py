"""Gopher n-gram statistics over a document's tokens, counted by a small C module.

For n = 2..max_n: the characters of the most frequent n-gram times its count ("top"), and
the characters inside repeated n-grams found by datatrove's left-to-right scan ("dup"),
as datatrove's ``GopherRepetitionFilter`` computes them (Rae et al. 2021, Table A1).

The counting is ``_repetition.c``, built when the package is installed: exact n-gram keys
(the dense rank of the pair (key of the (n-1)-gram prefix, id of the last token), never a
hash), and each n looks only at the positions still repeating at n - 1. It is 8x faster than
the plain-Python loop it replaced (identical numbers on every sample text and on random
repetitive inputs: tests/test_ngram_stats.py, which keeps that loop as its reference).
"""
from __future__ import annotations

from typing import NamedTuple, Sequence

from pretrain_clean import native

_c_ngram_stats = native.load("filters._repetition", 2).ngram_stats


class NgramStats(NamedTuple):
    """Per n: characters of the most frequent n-gram times its count (as written: see
    :func:`filters.text_features.tokenize_cjk`), and characters in repeated n-grams
    (datatrove's left-to-right scan, which counts no joining characters)."""

    top_chars: dict[int, int]
    dup_chars: dict[int, int]


def ngram_stats(tokens: Sequence[str], max_n: int = 10, gaps: Sequence[int] | None = None) -> NgramStats:
    """Gopher n-gram statistics of ``tokens`` for n = 2..max_n.

    ``gaps[i]``: characters joining token ``i`` to token ``i + 1`` in an n-gram's length
    (None: one space each, datatrove's ``" ".join``). With gaps, a "top" n-gram that occurs
    once counts 0 (datatrove counts the first n-gram of a text without repetition, which
    removes every Chinese text under about 25 characters as ``top_4_gram_chars``). Among
    n-grams with the top count, the one seen first wins (as ``Counter.most_common``).

    >>> s = ngram_stats(["a", "b", "c", "a", "b", "c", "d"], 4)
    >>> s.top_chars[2], s.top_chars[4], s.dup_chars[3], s.dup_chars[4]
    (6, 7, 3, 0)
    >>> ngram_stats(["a", "b", "c", "a", "b", "c", "d"], 4, gaps=[0] * 6).top_chars[2]
    4
    """
    top, dup = _c_ngram_stats(tokens, gaps, max_n)
    return NgramStats(dict(enumerate(top, 2)), dict(enumerate(dup, 2)))
