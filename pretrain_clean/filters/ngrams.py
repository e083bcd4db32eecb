"""Gopher n-gram statistics over a document's word ids (numpy for long documents).

For n = 2..max_n: the characters of the most frequent n-gram times its count ("top"), and
the characters inside repeated n-grams found by datatrove's left-to-right scan ("dup"),
as datatrove's ``GopherRepetitionFilter`` computes them (Rae et al. 2021, Table A1).

n-grams are exact integer keys, not hashes: the key of an n-gram is the dense rank of the
pair (key of its (n-1)-gram prefix, id of its last word), so keys never overflow. An
n-gram can only repeat where its prefix repeats, so each n looks only at the positions
still repeating at n-1 (few for natural text); once none is left, the rest is closed
form. The left-to-right scan stays a loop, over repeated positions only. Documents under
:data:`NUMPY_MIN_WORDS` words take the same algorithm in plain Python, which is faster there;
tests/test_rules_text_features.py checks both give identical numbers on every sample text.
"""
from __future__ import annotations

from collections import Counter
from typing import Iterator, NamedTuple, Sequence

import numpy as np


class NgramStats(NamedTuple):
    """Per n: characters of the most frequent n-gram times its count (as written: see
    :func:`filters.text_features.tokenize_cjk`), and characters in repeated n-grams
    (datatrove's left-to-right scan, which counts no joining characters)."""

    top_chars: dict[int, int]
    dup_chars: dict[int, int]


NUMPY_MIN_WORDS = 800
"""Documents with this many words use numpy; below it numpy's per-call overhead loses
(measured on sample pages: 0.9x at 490 words, 1.3x at 980, 2x at 1,950, 3.9x at 15,000)."""


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
    if len(ids) < NUMPY_MIN_WORDS:
        return ngram_stats_loop(ids, lengths, max_n, gaps)
    return ngram_stats_numpy(ids, lengths, max_n, gaps)


class LazyNgramStats:
    """:func:`ngram_stats`, computed for increasing n only as far as asked: Gopher's rules stop
    at the first failing threshold (datatrove's order), so a document dropped by the top
    2-gram rule never pays for the larger n.

    >>> lazy = LazyNgramStats([0, 1, 2, 0, 1, 2, 3], [1] * 7, 4)
    >>> lazy.top(2), sorted(lazy.stats.top_chars)
    (6, [2])
    >>> lazy.dup(4), lazy.everything() == ngram_stats([0, 1, 2, 0, 1, 2, 3], [1] * 7, 4)
    (0, True)
    """

    def __init__(self, ids: Sequence[int], lengths: Sequence[int], max_n: int = 10,
                 gaps: Sequence[int] | None = None) -> None:
        self.stats = NgramStats({}, {})
        steps = _loop_steps if len(ids) < NUMPY_MIN_WORDS else _numpy_steps
        self._steps = steps(ids, lengths, max_n, gaps, self.stats)

    def top(self, n: int) -> int:
        """Characters of the most frequent n-gram times its count."""
        return self._get(self.stats.top_chars, n)

    def dup(self, n: int) -> int:
        """Characters inside repeated n-grams (datatrove's scan)."""
        return self._get(self.stats.dup_chars, n)

    def everything(self) -> NgramStats:
        """The numbers for every n up to ``max_n``."""
        for _ in self._steps:
            pass
        return self.stats

    def _get(self, numbers: dict[int, int], n: int) -> int:
        while n not in numbers:
            if next(self._steps, None) is None:
                raise KeyError(f"n = {n} is above this statistics' max_n")
        return numbers[n]


def ngram_stats_numpy(
    ids: Sequence[int], lengths: Sequence[int], max_n: int = 10, gaps: Sequence[int] | None = None
) -> NgramStats:
    """:func:`ngram_stats` with numpy: dense-ranked keys, counts by ``np.unique``."""
    out = NgramStats({}, {})
    for _ in _numpy_steps(ids, lengths, max_n, gaps, out):
        pass
    return out


def _numpy_steps(ids: Sequence[int], lengths: Sequence[int], max_n: int, gaps: Sequence[int] | None,
                 out: NgramStats) -> Iterator[int]:
    """Fills ``out`` for n = 2, 3, ... in turn, yielding each n once its numbers are in."""
    total = len(ids)
    top, dup = out.top_chars, out.dup_chars
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
            yield n
            continue
        if not len(pos):  # nothing repeats any more: the first n-gram is the "top" one
            top[n] = top_of(0, n, 1)
            dup[n] = 0
            yield n
            continue
        inside = pos + n <= total
        pos = pos[inside]
        raw = keys[inside] * base + word[pos + n - 1]
        _, inverse, counts = np.unique(raw, return_inverse=True, return_counts=True)
        per_position = counts[inverse]
        best_count = int(counts.max()) if len(counts) else 1
        if best_count > 1:  # the first position of a top n-gram: the tied n-gram seen first
            top[n] = top_of(int(pos[np.argmax(per_position == best_count)]), n, best_count)
        else:
            top[n] = top_of(0, n, 1)
        repeated = per_position > 1
        pos = pos[repeated]
        keys = inverse[repeated].astype(np.int64)
        dup[n] = _scan_repeats(pos.tolist(), keys.tolist(), n, cum)
        yield n


def ngram_stats_loop(
    ids: Sequence[int], lengths: Sequence[int], max_n: int = 10, gaps: Sequence[int] | None = None
) -> NgramStats:
    """:func:`ngram_stats` in plain Python (exact integer keys, base = vocabulary size)."""
    out = NgramStats({}, {})
    for _ in _loop_steps(ids, lengths, max_n, gaps, out):
        pass
    return out


def _loop_steps(ids: Sequence[int], lengths: Sequence[int], max_n: int, gaps: Sequence[int] | None,
                out: NgramStats) -> Iterator[int]:
    """Fills ``out`` for n = 2, 3, ... in turn, yielding each n once its numbers are in."""
    total = len(ids)
    base = max(ids, default=0) + 1
    top, dup = out.top_chars, out.dup_chars
    positions = list(range(total - 1))
    keys = [a * base + b for a, b in zip(ids, ids[1:])]
    for n in range(2, max_n + 1):
        if n > 2:
            keep = [(p, k * base + ids[p + n - 1]) for p, k in zip(positions, keys) if p + n <= total]
            positions = [p for p, _ in keep]
            keys = [k for _, k in keep]
        if total < n:
            top[n] = dup[n] = 0
            yield n
            continue
        counts = Counter(keys)
        best, best_count = None, 1
        if counts:
            best, best_count = counts.most_common(1)[0]
        first = positions[keys.index(best)] if best_count > 1 else 0
        if gaps is None:
            top[n] = (sum(lengths[first : first + n]) + n - 1) * best_count
        elif best_count > 1:
            top[n] = (sum(lengths[first : first + n]) + sum(gaps[first : first + n - 1])) * best_count
        else:
            top[n] = 0
        repeated = [(p, k) for p, k in zip(positions, keys) if counts[k] > 1]
        positions = [p for p, _ in repeated]
        keys = [k for _, k in repeated]
        seen: set[int] = set()
        chars = nxt = 0
        for p, k in repeated:
            if p < nxt:
                continue
            if k in seen:
                chars += sum(lengths[p : p + n])
                nxt = p + n
            else:
                seen.add(k)
        dup[n] = chars
        yield n


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
