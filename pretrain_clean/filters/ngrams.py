"""Gopher n-gram statistics over a document's word ids, vectorized with numpy.

For n = 2..max_n: the characters of the most frequent n-gram times its count ("top"), and
the characters inside repeated n-grams found by datatrove's left-to-right scan ("dup"),
as datatrove's ``GopherRepetitionFilter`` computes them (Rae et al. 2021, Table A1).

n-grams are exact integer keys, not hashes: the key of an n-gram is the dense rank of the
pair (key of its (n-1)-gram prefix, id of its last word), so keys never overflow. An
n-gram can only repeat where its prefix repeats, so each n looks only at the positions
still repeating at n-1 (few for natural text); once none is left, the rest is closed
form. The left-to-right scan stays a loop, over repeated positions only.
tests/test_rules_text_features.py checks the result equals a plain-Python reference.
"""
from __future__ import annotations

from typing import NamedTuple, Sequence

import numpy as np


class NgramStats(NamedTuple):
    """Per n: characters of the most frequent n-gram times its count (as written: see
    :func:`filters.text_features.tokenize_cjk`), and characters in repeated n-grams
    (datatrove's left-to-right scan, which counts no joining characters)."""

    top_chars: dict[int, int]
    dup_chars: dict[int, int]


def ngram_stats(
    ids: Sequence[int], lengths: Sequence[int], max_n: int = 10, gaps: Sequence[int] | None = None
) -> NgramStats:
    """Gopher n-gram statistics for n = 2..max_n.

    ``gaps[i]``: characters joining word ``i`` to word ``i + 1`` in an n-gram's length
    (None: one space each, datatrove's ``" ".join``). With gaps, a "top" n-gram that occurs
    once counts 0 (datatrove counts the first n-gram of a text without repetition, which
    removes every Chinese text under about 25 characters as ``top_4_gram_chars``). Among
    n-grams with the top count, the one seen first wins (as ``Counter.most_common``).

    >>> s = ngram_stats([0, 1, 2, 0, 1, 2, 3], [1, 1, 1, 1, 1, 1, 1], 4)
    >>> s.top_chars[2], s.top_chars[4], s.dup_chars[3], s.dup_chars[4]
    (6, 7, 3, 0)
    >>> ngram_stats([0, 1, 2, 0, 1, 2, 3], [1] * 7, 4, gaps=[0] * 6).top_chars[2]
    4
    """
    total = len(ids)
    top: dict[int, int] = {}
    dup: dict[int, int] = {}
    cum = np.zeros(total + 1, dtype=np.int64)
    np.cumsum(np.asarray(lengths, dtype=np.int64), out=cum[1:])
    gcum = None
    if gaps is not None:
        gcum = np.zeros(max(total, 1), dtype=np.int64)
        np.cumsum(np.asarray(gaps, dtype=np.int64), out=gcum[1:])

    def top_of(first: int, n: int, count: int) -> int:
        chars = int(cum[first + n] - cum[first])
        if gcum is None:
            return (chars + n - 1) * count
        if count < 2:
            return 0
        return (chars + int(gcum[first + n - 1] - gcum[first])) * count

    word = np.asarray(ids, dtype=np.int64)
    base = int(word.max()) + 1 if total else 1
    pos = np.arange(total, dtype=np.int64)
    keys = word
    for n in range(2, max_n + 1):
        if total < n:
            top[n] = dup[n] = 0
            continue
        if not len(pos):  # nothing repeats any more: the first n-gram is the "top" one
            top[n] = top_of(0, n, 1)
            dup[n] = 0
            continue
        inside = pos + n <= total
        pos = pos[inside]
        raw = keys[inside] * base + word[pos + n - 1]
        _, first_idx, inverse, counts = np.unique(raw, return_index=True, return_inverse=True, return_counts=True)
        best_count = int(counts.max()) if len(counts) else 1
        if best_count > 1:
            tied = np.flatnonzero(counts == best_count)
            top[n] = top_of(int(pos[first_idx[tied].min()]), n, best_count)
        else:
            top[n] = top_of(0, n, 1)
        repeated = counts[inverse] > 1
        pos = pos[repeated]
        keys = inverse[repeated].astype(np.int64)
        dup[n] = _scan_repeats(pos.tolist(), keys.tolist(), n, cum)
    return NgramStats(top, dup)


def _scan_repeats(positions: list[int], keys: list[int], n: int, cum: np.ndarray) -> int:
    """datatrove's scan over the repeated n-grams: a repeat adds its characters and skips n."""
    seen: set[int] = set()
    chars = nxt = 0
    for p, k in zip(positions, keys):
        if p < nxt:
            continue
        if k in seen:
            chars += int(cum[p + n] - cum[p])
            nxt = p + n
        else:
            seen.add(k)
    return chars
