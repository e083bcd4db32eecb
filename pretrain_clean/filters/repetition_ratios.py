"""Character and word repetition ratios of BigScience ROOTS (Laurençon et al. 2022, "The
BigScience ROOTS Corpus", Sec. 3.1; code: huggingface/text-data-filtering), as data-juicer's
``character_repetition_filter`` and ``word_repetition_filter`` compute them.

Both count every n-gram of a text (characters, or words), so they need no word boundaries and
apply to Chinese as written. They complement Gopher's n-gram rules: Gopher measures the share
of characters under the single most frequent n-gram, these the share of all n-gram
occurrences that belong to repeated n-grams.
"""
from __future__ import annotations

import math
from collections import Counter
from typing import Sequence


def char_repetition_ratio(text: str, n: int = 10) -> float:
    """Share of character n-gram occurrences in the ``floor(sqrt(distinct))`` most frequent
    n-grams, counting only n-grams seen more than once (ROOTS, data-juicer).

    >>> char_repetition_ratio("abcabcabc", 3)
    0.42857142857142855
    >>> char_repetition_ratio("中文也是一个字算一个长度", 5), char_repetition_ratio("ab", 5)
    (0.0, 0.0)
    """
    counts = Counter(text[i : i + n] for i in range(len(text) - n + 1))
    if not counts:
        return 0.0
    freqs = sorted(counts.values(), reverse=True)
    repeated = sum(1 for f in freqs if f > 1)
    top = min(int(math.sqrt(len(freqs))), repeated)
    return sum(freqs[:top]) / sum(freqs)


def word_repetition_ratio(words: Sequence[str], n: int = 10) -> float:
    """Share of word n-gram occurrences whose n-gram occurs more than once (data-juicer).

    >>> word_repetition_ratio("today is sunday sunday sunday sunday sunday and".split(), 3)
    0.5
    >>> word_repetition_ratio(["a", "b"], 3)
    0.0
    """
    counts = Counter(tuple(words[i : i + n]) for i in range(len(words) - n + 1))
    total = sum(counts.values())
    if not total:
        return 0.0
    return sum(f for f in counts.values() if f > 1) / total
