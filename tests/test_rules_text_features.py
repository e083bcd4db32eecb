"""Shared text features: tokenizer, language detection, n-gram statistics, and pickling of
every stage this area defines."""
from __future__ import annotations

import pickle

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


def test_newline_runs_and_find_duplicates_equal_their_plain_forms() -> None:
    """``newline_runs`` is ``re.split(r"\\n+")``, ``paragraphs`` the Gopher regex split, and ``find_duplicates``' early exit changes
    nothing, on random texts of letters and newlines (empty, leading and trailing runs)."""
    import random
    import re

    rng = random.Random(0)
    for _ in range(3000):
        text = "".join(rng.choice("ab\n") for _ in range(rng.randint(0, 12)))
        runs = tf.newline_runs(Document("t", text))
        assert runs == re.split(r"\n+", text), repr(text)
        assert tf.paragraphs(Document("t", text)) == re.split(r"\n{2,}", text.strip()), repr(text)
        seen: set[str] = set()
        dup = [(item in seen, seen.add(item))[0] for item in runs]
        expected = (sum(dup), sum(len(item) for item, d in zip(runs, dup) if d))
        assert tf.find_duplicates(runs) == expected, repr(text)
