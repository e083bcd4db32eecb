"""Shared text features: tokenizer, language detection, n-gram statistics, and pickling of
every stage this area defines."""
from __future__ import annotations

import pickle

import pytest

from pretrain_clean.filters import text_features as tf
from pretrain_clean.filters.ngrams import ngram_stats_loop, ngram_stats_numpy
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


def test_numpy_ngram_stats_equal_the_plain_loop_on_the_sample() -> None:
    """Issue 14: the numpy n-gram statistics (long documents) give the plain loop's numbers
    on every sample text (English and Chinese, with and without written gaps)."""
    texts = _real_texts()
    assert len(texts) > 2000
    for i, text in enumerate(texts):
        for unit in ("char", "jieba") if i % 5 == 0 else ("char",):
            doc = Document(str(i), text)
            ids, lengths, gaps = tf.word_ids(doc, unit)
            assert ngram_stats_numpy(ids, lengths, 10, gaps) == ngram_stats_loop(ids, lengths, 10, gaps), i


@pytest.mark.parametrize("seed", range(30))
def test_numpy_ngram_stats_equal_the_loop_on_random_repetitive_ids(seed: int) -> None:
    import random

    rng = random.Random(seed)
    size = rng.randint(0, 300)
    ids = [rng.randrange(rng.randint(1, 6)) for _ in range(size)]
    vocab = {v: i for i, v in enumerate(dict.fromkeys(ids))}
    ids = [vocab[v] for v in ids]
    lengths = [rng.randint(1, 4) for _ in ids]
    gaps = [rng.randint(0, 1) for _ in ids[1:]] if seed % 2 else None
    assert ngram_stats_numpy(ids, lengths, 10, gaps) == ngram_stats_loop(ids, lengths, 10, gaps)


@pytest.mark.parametrize("name", OUR_STAGES)
def test_every_stage_pickles_and_round_trips(name: str) -> None:
    load_stage_modules()
    stage = REGISTRY[name]()
    stage.setup()
    clone = pickle.loads(pickle.dumps(stage))
    assert clone == stage
    assert not any(k.startswith("_") for k in clone.__dict__)
    clone.setup()  # a copy arrives without its models; its worker sets it up (pipeline.worker)
    text = "Ordinary text. It has a few sentences.\n" * 3
    a, b = Document("x", text), Document("x", text)
    assert stage.apply(a) == clone.apply(b)
    assert a.text == b.text
