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


def test_find_duplicates_equals_its_plain_form() -> None:
    """``find_duplicates``' early exit changes nothing, on random texts' lines (empty, leading and
    trailing runs); tests/test_line_passes.py checks Gopher's C split against the same regexes."""
    import random
    import re

    rng = random.Random(0)
    for _ in range(3000):
        text = "".join(rng.choice("ab\n") for _ in range(rng.randint(0, 12)))
        runs = re.split(r"\n+", text)
        seen: set[str] = set()
        dup = [(item in seen, seen.add(item))[0] for item in runs]
        expected = (sum(dup), sum(len(item) for item, d in zip(runs, dup) if d))
        assert tf.find_duplicates(runs) == expected, repr(text)


# --- mutation-testing follow-ups (docs/testing.md) ---

@pytest.mark.parametrize("chunk, tokens", [
    ("cannot", ("can", "not")), ("dont", ("do", "nt")), ("Dont,", ("Do", "nt", ",")), ("DONT.", ("DO", "NT", ".")),
    ("gonna", ("go", "nna")), ("dont?", ("do", "nt", "?")), ("well-", ("well-",)), ("word/", ("word/",)),
    ("a~", ("a~",)), ("word#", ("word", "#")), ("x.", ("x.",)), ("Mr.", ("Mr.",)), ("St.", ("St.",)),
    ("dog.", ("dog", ".")), ("wow!", ("wow", "!")), ("it's", ("it", "'s")), ("plain", ("plain",)),
])  # fmt: skip
def test_the_plain_word_fast_path_gives_the_regex_tokens(chunk: str, tokens: tuple[str, ...]) -> None:
    """spaCy splits "cannot", "dont", "gonna" (with or without a closing mark); a trailing "-"
    or "/" stays glued; "Mr." and single letters keep their period."""
    assert tf.tokenize_chunk(chunk) == tuple(tf.TOKEN_RE.findall(chunk)) == tokens


def test_cjk_tokens_and_gaps_as_written() -> None:
    assert tf.tokenize_cjk("中文ab中文cd") == (["中", "文", "ab", "中", "文", "cd"], [0, 0, 0, 0, 0])
    assert tf.tokenize_cjk("中文ab中文cd", "jieba") == (["中文", "ab", "中文", "cd"], [0, 0, 0])
    assert tf.tokenize_cjk("你好，“世界”") == (["你", "好", "，", "“", "世", "界", "”"], [0] * 6)
    assert tf.tokenize_cjk("你好 世界") == (["你", "好", "世", "界"], [0, 1, 0])  # one space: one character
    assert tf.tokenize_cjk("好。。。 真的！！") == (["好", "。。。", "真", "的", "！！"], [0, 1, 0, 0])
    assert tf.merge_mark_runs(["好", "。", "。", "。", "！", "！", "a", "a"]) == ["好", "。。。", "！！", "a", "a"]


def test_the_char_unit_uses_the_plain_tokenizer_and_units_never_share_a_cache() -> None:
    doc = Document("d", "工作人员说：好。。。")
    assert tf.word_tokens(doc) == (["工", "作", "人", "员", "说", "：", "好", "。。。"], [0] * 7)
    assert tf.words(doc) == tf.tokenize(doc.text) == ["工", "作", "人", "员", "说", "：", "好", "。", "。", "。"]
    assert tf.words(doc, "jieba") == ["工作人员", "说", "：", "好", "。。。"]
    assert tf.word_counts(doc) == {"工": 1, "作": 1, "人": 1, "员": 1, "说": 1, "：": 1, "好": 1, "。": 3}
    assert tf.word_counts(doc, "jieba") == {"工作人员": 1, "说": 1, "：": 1, "好": 1, "。。。": 1}
    english = Document("e", "the cat and the hat")
    assert tf.word_counts(english, "jieba") == tf.word_counts(english) == {"the": 2, "cat": 1, "and": 1, "hat": 1}


def test_doc_ngram_stats_default_to_n_up_to_10() -> None:
    """Gopher's n-gram rules go up to 10-grams (Rae et al. 2021, Table A1)."""
    stats = tf.doc_ngram_stats(Document("d", " ".join(["w"] * 12)))
    assert sorted(stats.top_chars) == list(range(2, 11))


@pytest.mark.parametrize("latin, chinese", [(6, True), (7, True), (8, False)])
def test_chinese_at_a_han_share_of_0_3_inclusive(latin: int, chinese: bool) -> None:
    """3 Han characters among 9, 10 and 11 letters: a third, exactly 0.3, under 0.3."""
    assert tf.is_chinese_text("中文字" + "abcdefgh"[:latin]) is chinese
    assert tf.is_chinese(Document("d", "中文字 " + "abcdefgh"[:latin])) is chinese


@pytest.mark.parametrize("language, chinese", [
    ("zh", True), ("ZH-Hant", True), ("cmn_Hans", True), ("yue", True), ("wuu", True), ("en", False),
    ("", True), (None, True),  # no usable language: the Han share decides
])  # fmt: skip
def test_chinese_by_language_code(language: str | None, chinese: bool) -> None:
    assert tf.is_chinese(Document("d", "这是一个中文句子。", meta={"language": language})) is chinese


def test_symbol_words() -> None:
    assert [tf.is_symbol_word(w) for w in ("...", "——", "a.", "3", "%")] == [True, True, False, False, True]
