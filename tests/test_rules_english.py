"""Gopher, C4 and FineWeb rules: each passes real-looking prose, fails its own case with its
reason, and handles an edge case (empty, one line, all symbols, mixed zh/en)."""
from __future__ import annotations

import re

import pytest

from pretrain_clean.filters.c4 import C4Lines, C4Quality, count_sentences
from pretrain_clean.filters.fineweb import FineWebQuality
from pretrain_clean.filters.gopher import GopherQuality, GopherRepetition
from pretrain_clean.filters import text_features as tf
from pretrain_clean.pipeline.document import Document

PROSE = (
    "The city council met on Tuesday to discuss the new budget for public libraries.\n"
    "Members agreed that the branches in the north of the city need longer opening hours.\n"
    "A local teacher said that students have nowhere quiet to study after school.\n"
    "The mayor promised to publish a detailed plan with the costs before the summer.\n"
    "Residents can send comments to the council office until the end of next month.\n"
    "The final vote is expected in September, after a second public hearing."
)


STOP_RE = re.compile(r"\b(?:the|be|to|of|and|that|have|with)\b", re.I)


def doc(text: str, **meta: object) -> Document:
    return Document("t", text, meta=dict(meta))


def quality(text: str, **kwargs: object) -> str | None:
    stage = GopherQuality(**kwargs)
    stage.setup()
    return stage.apply(doc(text))


# --- gopher_quality ---------------------------------------------------------------------

def test_gopher_quality_keeps_prose() -> None:
    assert quality(PROSE) is None


@pytest.mark.parametrize(
    ("text", "kwargs", "reason"),
    [
        ("The cat sat on the mat and that was all.", {}, "too_few_words"),
        (PROSE, {"max_doc_words": 20}, "too_many_words"),
        ("a an to of be by it is " * 10, {}, "mean_word_length_too_short"),
        ("internationalization telecommunications " * 30 + "the and", {}, "mean_word_length_too_long"),
        (PROSE + " " + " ".join(f"#tag{i}" for i in range(15)), {}, "too_many_hashes"),
        (PROSE.replace(".", "...") + " Wait... more... and... more...", {}, "too_many_ellipses"),
        ("\n".join("- " + line for line in PROSE.split("\n")), {}, "too_many_bullet_lines"),
        (PROSE.replace(".\n", " …\n"), {"max_symbol_word_ratio": None}, "too_many_ellipsis_lines"),
        (PROSE + " " + " ".join(str(1000 + i) for i in range(40)), {}, "too_few_alpha_words"),
        (STOP_RE.sub("a", PROSE), {}, "too_few_stop_words"),
    ],
)
def test_gopher_quality_drops_with_reason(text: str, kwargs: dict, reason: str) -> None:
    assert quality(text, **kwargs) == reason


def test_gopher_quality_edge_cases() -> None:
    assert quality("") == "too_few_words"
    assert quality("!!! ??? ... ### ***") == "too_few_words"
    assert quality("One line without much content at all.") == "too_few_words"
    assert quality(PROSE, min_doc_words=None, min_stop_words=None) is None
    # Chinese documents are left to chinese_quality
    assert quality("这是一篇中文新闻，内容很短。") is None
    assert quality("这是一篇中文新闻，内容很短。", skip_chinese=False) == "too_few_words"


def test_gopher_stop_words_are_case_sensitive_like_datatrove() -> None:
    upper = STOP_RE.sub(lambda m: m.group(0).upper(), PROSE)
    assert quality(upper) == "too_few_stop_words"


# --- gopher_repetition --------------------------------------------------------------------

LONG_PARA = " ".join(PROSE.split("\n")[:4])


def repetition(text: str, **kwargs: object) -> str | None:
    return GopherRepetition(**kwargs).apply(doc(text))


def test_gopher_repetition_keeps_prose() -> None:
    assert repetition(PROSE) is None


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("\n\n".join([PROSE.split("\n")[0]] * 3 + [PROSE]), "duplicate_paragraphs"),
        ("\n\n".join(PROSE.split("\n") + [LONG_PARA, LONG_PARA]), "duplicate_paragraph_chars"),
        ("\n".join(PROSE.split("\n") + ["Share this article"] * 5), "duplicate_lines"),
        ("buy now cheap buy now cheap " * 20, "top_2_gram_chars"),
    ],
)
def test_gopher_repetition_drops_with_reason(text: str, reason: str) -> None:
    assert repetition(text) == reason


def test_gopher_repetition_ngram_reasons() -> None:
    lines = PROSE.split("\n")
    text = "\n".join(lines[:3] + [lines[0] + " " + lines[1]] + lines[3:])  # repeated long run
    assert repetition(text, dup_line_frac=None, dup_line_char_frac=None) == "duplicate_5_gram_chars"
    assert repetition("the cat " * 30, top_ngrams=[[3, 0.18]]) == "top_3_gram_chars"


def test_gopher_repetition_edge_cases() -> None:
    assert repetition("") == "empty"
    # as in datatrove, a short text's one bigram is its "most frequent" one: too repetitive
    assert repetition("One single line of text.") == "top_2_gram_chars"
    assert repetition("!!!! ???? ####") == "top_2_gram_chars"  # all symbols: one bigram dominates
    mixed = "北京时间今天上午，新华社记者报道了 AI 大会的开幕。\nThe conference opened in Beijing this morning."
    assert repetition(mixed) is None


def test_gopher_repetition_rejects_bad_ngram_config() -> None:
    with pytest.raises(ValueError, match="top_ngrams"):
        GopherRepetition(top_ngrams=[[1.5, 0.2]])


# --- c4_quality / c4_lines -------------------------------------------------------------------

def test_count_sentences_follows_sentencizer_rule() -> None:
    assert count_sentences(tf.tokenize("One. Two! Three? “Four.” Five")) == 5
    assert count_sentences(tf.tokenize("Mr. Smith met Dr. Jones in the U.S. yesterday.")) == 1
    assert count_sentences([]) == 0


def test_c4_keeps_prose_and_removes_bad_lines() -> None:
    text = "Home | About | Contact\n" + PROSE + "\nThis site uses cookies to improve your experience.\nPlease enable JavaScript to view the comments."
    d = doc(text)
    assert C4Quality().apply(d) is None
    assert d.text == text  # deciding does not rewrite
    assert C4Lines().apply(d) is None
    assert d.text == PROSE


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (PROSE + "\nLorem ipsum dolor sit amet, consectetur adipiscing elit.", "lorem_ipsum"),
        (PROSE + "\nfunction f() { return 1; } is a small function.", "curly_bracket"),
        ("Menu\nHome\nThe only proper sentence of this page is here.\nCopyright 2024", "too_few_sentences"),
    ],
)
def test_c4_quality_drops_with_reason(text: str, reason: str) -> None:
    assert C4Quality().apply(doc(text)) == reason


def test_c4_edge_cases() -> None:
    assert C4Quality().apply(doc("")) == "too_few_sentences"
    assert C4Lines().apply(doc("")) == "no_lines_left"
    assert C4Quality().apply(doc("#### !!!! ****")) == "too_few_sentences"
    one_line = "It rained. The match was late. Fans waited. Players warmed up. It finally began."
    assert C4Quality().apply(doc(one_line)) is None
    zh = "新华社北京电，今天举行了新闻发布会。记者了解到，会议讨论了多项议题。"
    assert C4Quality().apply(doc(zh)) is None  # left to chinese_quality
    assert C4Quality(skip_chinese=False).apply(doc(zh)) == "too_few_sentences"


def test_c4_citations_are_removed_from_kept_lines() -> None:
    d = doc(PROSE.replace("libraries.", "libraries.[1]").replace("hearing.", "hearing.[citation needed]"))
    assert C4Lines().apply(d) is None
    assert d.text == PROSE


# --- fineweb_quality -----------------------------------------------------------------------

def fineweb(text: str, **kwargs: object) -> str | None:
    return FineWebQuality(**kwargs).apply(doc(text))


def test_fineweb_keeps_prose() -> None:
    assert fineweb(PROSE) is None


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("\n".join(line.rstrip(".") for line in PROSE.split("\n")), "few_punctuated_lines"),
        ("Menu\nHome\nNews\nSport\nWeather\n" + PROSE.split("\n")[0], "too_many_short_lines"),
        (PROSE + "\n" + PROSE.split("\n")[0], "duplicate_line_chars"),
        ("\n".join(f"Item {i}." for i in range(20)), "too_many_newlines_per_word"),
    ],
)
def test_fineweb_drops_with_reason(text: str, reason: str) -> None:
    assert fineweb(text, **({"short_line_thr": None} if reason == "too_many_newlines_per_word" else {})) == reason


def test_fineweb_edge_cases() -> None:
    assert fineweb("") == "empty"
    assert fineweb("\n \n") == "empty"
    assert fineweb("One line that ends properly and is long enough to count.") is None
    assert fineweb("!!!!") == "too_many_short_lines"
    assert fineweb("中文新闻短行。\n另一行。") is None  # Chinese: chinese_quality's job
