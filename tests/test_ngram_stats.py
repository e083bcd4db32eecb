"""The C n-gram statistics (filters/_repetition.c) against plain-Python references: the
Gopher loops as datatrove writes them, and the exact-key loop the C code replaced, on random
repetitive inputs, edge sizes, and every text of the bundled sample."""
from __future__ import annotations

import gzip
import json
import random
from collections import Counter
from pathlib import Path

import pytest

from pretrain_clean.filters import text_features as tf
from pretrain_clean.filters.ngrams import NgramStats, ngram_stats
from pretrain_clean.pipeline.document import Document


def reference(tokens: list[str], max_n: int, gaps: list[int] | None) -> NgramStats:
    """The plain-Python exact-key loop filters/ngrams.py ran before the C module (session 3)."""
    vocab: dict[str, int] = {}
    ids = [vocab.setdefault(t, len(vocab)) for t in tokens]
    lengths = [len(t) for t in tokens]
    total = len(ids)
    base = max(ids, default=0) + 1
    top: dict[int, int] = {}
    dup: dict[int, int] = {}
    positions = list(range(total - 1))
    keys = [a * base + b for a, b in zip(ids, ids[1:])]
    for n in range(2, max_n + 1):
        if n > 2:
            keep = [(p, k * base + ids[p + n - 1]) for p, k in zip(positions, keys) if p + n <= total]
            positions = [p for p, _ in keep]
            keys = [k for _, k in keep]
        if total < n:
            top[n] = dup[n] = 0
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
    return NgramStats(top, dup)


def datatrove_top(words: list[str], n: int) -> int:
    """datatrove's ``find_top_duplicate`` over ``" ".join``-ed n-grams."""
    grams = [" ".join(words[i : i + n]) for i in range(len(words) - n + 1)]
    if not grams:
        return 0
    gram, count = Counter(grams).most_common(1)[0]
    return len(gram) * count


def datatrove_dup(words: list[str], n: int) -> int:
    """datatrove's ``find_all_duplicate``: a repeat adds its characters and skips n words."""
    seen, chars, i = set(), 0, 0
    while i < len(words) - n + 1:
        gram = "".join(words[i : i + n])
        if gram in seen:
            chars += len(gram)
            i += n
        else:
            seen.add(gram)
            i += 1
    return chars


@pytest.mark.parametrize("seed", range(20))
def test_ngram_stats_match_datatrove_loops(seed: int) -> None:
    rng = random.Random(seed)
    words = [rng.choice(["a", "bb", "ccc", "dd", "e"]) for _ in range(rng.randint(0, 60))]
    stats = ngram_stats(words, 10)
    for n in range(2, 11):
        assert stats.top_chars[n] == datatrove_top(words, n)
        assert stats.dup_chars[n] == datatrove_dup(words, n)


@pytest.mark.parametrize("seed", range(40))
def test_ngram_stats_equal_the_reference_on_random_repetitive_tokens(seed: int) -> None:
    rng = random.Random(seed)
    vocab = ["a", "bb", "ccc", "中", "é", "dddd"][: rng.randint(1, 6)]
    for _ in range(50):
        size = rng.randint(0, 300 if seed % 4 == 0 else 40)
        tokens = [rng.choice(vocab) for _ in range(size)]
        gaps = [rng.randint(0, 2) for _ in tokens[1:]] if rng.random() < 0.5 else None
        max_n = rng.randint(2, 12)
        assert ngram_stats(tokens, max_n, gaps) == reference(tokens, max_n, gaps), (tokens, gaps, max_n)


@pytest.mark.parametrize("size", [0, 1, 2, 3, 9, 10, 11])
def test_ngram_stats_at_the_edges_of_n(size: int) -> None:
    """Fewer tokens than n gives 0 for that n; exactly n gives the one n-gram, seen once."""
    tokens = ["ab", "c"] * 6
    tokens = tokens[:size]
    stats = ngram_stats(tokens, 10)
    assert stats == reference(tokens, 10, None)
    for n in range(2, 11):
        if size < n:
            assert stats.top_chars[n] == stats.dup_chars[n] == 0
    if size == 10:  # one 10-gram: its characters plus 9 joining spaces, seen once
        assert stats.top_chars[10] == 15 + 9 and stats.dup_chars[10] == 0


def test_ngram_stats_ties_go_to_the_ngram_seen_first() -> None:
    # "x y" and "z w" both occur twice; "x y" is seen first, so its 3 characters count
    tokens = ["x", "y", "zz", "ww", "x", "y", "zz", "ww"]
    assert ngram_stats(tokens, 2).top_chars[2] == (1 + 1 + 1) * 2
    tokens = ["zz", "ww", "x", "y", "zz", "ww", "x", "y"]
    assert ngram_stats(tokens, 2).top_chars[2] == (2 + 2 + 1) * 2  # now "zz ww" is seen first
    tokens = ["x", "y", "zz", "ww", "zz", "ww", "x", "y", "zz", "ww"]
    assert ngram_stats(tokens, 2).top_chars[2] == (2 + 2 + 1) * 3  # the most frequent wins


def test_ngram_stats_equal_strings_are_one_token_whatever_the_object() -> None:
    """Equal tokens that are distinct string objects (as from different chunks) share an id;
    different tokens of every storage width never do, whatever their hashes."""
    rng = random.Random(7)
    vocab = ["a", "é", "中", "😀", "ab", "aé", "a中", "中😀", *(f"w{i}" for i in range(300))]
    tokens = [rng.choice(vocab) for _ in range(3000)]
    copies = ["".join(list(t)) for t in tokens]  # equal text, new objects
    assert any(c is not t for c, t in zip(copies, tokens) if len(t) > 1)
    assert ngram_stats(copies, 10) == ngram_stats(tokens, 10) == reference(tokens, 10, None)


def test_ngram_stats_rejects_bad_input() -> None:
    with pytest.raises(TypeError, match="tokens must be str"):
        ngram_stats(["a", 1], 3)  # type: ignore[list-item]
    with pytest.raises(ValueError, match="gaps: 1 values for 3 tokens"):
        ngram_stats(["a", "b", "c"], 3, [0])
    assert ngram_stats(["a", "b"], 1) == NgramStats({}, {})


def _sample_texts() -> list[str]:
    root = Path(__file__).resolve().parent.parent
    texts = []
    for path in sorted((root / "data/sample").rglob("*.json*")):
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as handle:
            texts += [json.loads(line)["text"] for line in handle if line.strip()]
    return texts


def test_ngram_stats_equal_the_reference_on_the_sample() -> None:
    """Every sample text (English and Chinese, with and without written gaps, both units)."""
    texts = _sample_texts()
    assert len(texts) > 2000
    for i, text in enumerate(texts):
        for unit in ("char", "jieba") if i % 5 == 0 else ("char",):
            tokens, gaps = tf.word_tokens(Document(str(i), text), unit)
            assert ngram_stats(tokens, 10, gaps) == reference(tokens, 10, gaps), i
