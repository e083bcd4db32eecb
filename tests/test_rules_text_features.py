"""Shared text features: tokenizer, language detection, n-gram statistics, and pickling of
every stage this area defines."""
from __future__ import annotations

import pickle
from collections import Counter
from typing import Sequence

import pytest

from pretrain_clean.filters import text_features as tf
from pretrain_clean.pipeline.config import load_stage_modules
from pretrain_clean.pipeline.document import Document
from pretrain_clean.pipeline.stage import REGISTRY

OUR_STAGES = [
    "normalize", "gopher_repetition", "gopher_quality", "c4_quality", "c4_lines",
    "fineweb_quality", "chinese_quality", "url_blocklist", "pii_mask", "special_characters",
    "chinese_boilerplate", "toxicity",
]


def test_tokenizer_splits_like_spacy_english() -> None:
    toks = tf.tokenize("(U.S.) Mr. Smith's e-mail: a@b.com, don't panic... 3,700 9pm well-known")
    assert toks == ["(", "U.S.", ")", "Mr.", "Smith", "'s", "e", "-", "mail", ":", "a@b.com", ",",
                    "do", "n't", "panic", "...", "3,700", "9", "pm", "well", "-", "known"]


def test_tokenizer_chinese_characters_are_tokens() -> None:
    assert tf.tokenize("新华社北京电，GPT-4 发布。") == ["新", "华", "社", "北", "京", "电", "，", "GPT-4", "发", "布", "。"]


def test_tokenizer_edge_cases() -> None:
    assert tf.tokenize("") == []
    assert tf.tokenize("   \n ") == []
    assert tf.tokenize("!!!") == ["!", "!", "!"]
    assert tf.tokenize("#### ****") == ["#", "#", "#", "#", "*", "*", "*", "*"]


def test_language_detection_prefers_meta() -> None:
    assert tf.is_chinese(Document("a", "这是中文新闻。"))
    assert not tf.is_chinese(Document("b", "An English sentence with a little 中文 in it"))
    assert not tf.is_chinese(Document("c", "这是中文新闻。", meta={"language": "ja"}))
    assert tf.is_chinese(Document("d", "plain text", meta={"language": "zh"}))


def test_features_are_computed_once_per_text_version() -> None:
    doc = Document("a", "one two three")
    first = tf.words(doc)
    assert tf.words(doc) is first
    doc.text = "four five"
    assert tf.words(doc) == ["four", "five"]


def _slow_top(words: list[str], n: int) -> int:
    from collections import Counter

    grams = [" ".join(words[i : i + n]) for i in range(len(words) - n + 1)]
    if not grams:
        return 0
    gram, count = Counter(grams).most_common(1)[0]
    return len(gram) * count


def _slow_dup(words: list[str], n: int) -> int:
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
def test_ngram_stats_match_the_plain_gopher_loops(seed: int) -> None:
    import random

    rng = random.Random(seed)
    words = [rng.choice(["a", "bb", "ccc", "dd", "e"]) for _ in range(rng.randint(0, 60))]
    vocab: dict[str, int] = {}
    ids = [vocab.setdefault(w, len(vocab)) for w in words]
    stats = tf.ngram_stats(ids, [len(w) for w in words], 10)
    for n in range(2, 11):
        assert stats.top_chars[n] == _slow_top(words, n)
        assert stats.dup_chars[n] == _slow_dup(words, n)


def _reference_ngram_stats(
    ids: Sequence[int], lengths: Sequence[int], max_n: int = 10, gaps: Sequence[int] | None = None
) -> tuple[dict[int, int], dict[int, int]]:
    """The pure-Python implementation before numpy (kept as the reference)."""
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
        if best_count > 1:
            first = positions[keys.index(best)]
        else:
            first = 0  # every n-gram is unique: the first one is "most common"
        if gaps is None:
            top[n] = (sum(lengths[first : first + n]) + n - 1) * best_count
        elif best_count > 1:
            top[n] = (sum(lengths[first : first + n]) + sum(gaps[first : first + n - 1])) * best_count
        else:  # as written: an n-gram seen once is no repetition (short Chinese texts)
            top[n] = 0
        repeated = [(p, k) for p, k in zip(positions, keys) if counts[k] > 1]
        positions = [p for p, _ in repeated]
        keys = [k for _, k in repeated]
        seen: set[int] = set()
        chars = 0
        nxt = 0
        for p, k in repeated:
            if p < nxt:
                continue
            if k in seen:
                chars += sum(lengths[p : p + n])
                nxt = p + n
            else:
                seen.add(k)
        dup[n] = chars
    return top, dup


def _real_texts() -> list[str]:
    import gzip
    import json
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    texts = []
    for path in sorted((root / "data/sample").rglob("*.json*")):
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as handle:
            texts += [json.loads(line)["text"] for line in handle if line.strip()]
    return texts


def test_numpy_ngram_stats_equal_the_pure_python_reference_on_the_sample() -> None:
    """Issue 14: the vectorized n-gram statistics give identical numbers on every sample text
    (English and Chinese, with and without written gaps), so decisions are unchanged."""
    texts = _real_texts()
    assert len(texts) > 2000
    for i, text in enumerate(texts):
        for unit in ("char", "jieba") if i % 5 == 0 else ("char",):
            doc = Document(str(i), text)
            ids, lengths, gaps = tf.word_ids(doc, unit)
            stats = tf.ngram_stats(ids, lengths, 10, gaps)
            assert (stats.top_chars, stats.dup_chars) == _reference_ngram_stats(ids, lengths, 10, gaps), i


@pytest.mark.parametrize("seed", range(30))
def test_numpy_ngram_stats_equal_the_reference_on_random_repetitive_ids(seed: int) -> None:
    import random

    rng = random.Random(seed)
    size = rng.randint(0, 300)
    ids = [rng.randrange(rng.randint(1, 6)) for _ in range(size)]
    vocab = {v: i for i, v in enumerate(dict.fromkeys(ids))}
    ids = [vocab[v] for v in ids]
    lengths = [rng.randint(1, 4) for _ in ids]
    gaps = [rng.randint(0, 1) for _ in ids[1:]] if seed % 2 else None
    stats = tf.ngram_stats(ids, lengths, 10, gaps)
    assert (stats.top_chars, stats.dup_chars) == _reference_ngram_stats(ids, lengths, 10, gaps)


@pytest.mark.parametrize("name", OUR_STAGES)
def test_every_stage_pickles_and_round_trips(name: str) -> None:
    load_stage_modules()
    stage = REGISTRY[name]()
    stage.setup()
    clone = pickle.loads(pickle.dumps(stage))
    assert clone == stage
    assert not any(k.startswith("_") for k in clone.__dict__)
    text = "Ordinary text. It has a few sentences.\n" * 3
    a, b = Document("x", text), Document("x", text)
    assert stage.apply(a) == clone.apply(b)
    assert a.text == b.text
