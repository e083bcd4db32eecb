"""Gopher rules at each threshold: exactly at it (kept), just past it (removed), just inside.

Every rule of ``gopher_quality`` and ``gopher_repetition`` is checked on a text whose ratio
is exactly the threshold, so flipping a ``<`` to ``<=`` (issue 13: a 50-word document
dropped) fails a test. Texts are built word by word; each test asserts the token counts it
relies on, so a tokenizer change shows up here as a wrong count, not as a silent pass.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pretrain_clean.filters import text_features as tf
from pretrain_clean.filters.gopher import STOP_WORD_PREFIX, GopherQuality, GopherRepetition, load_word_list
from pretrain_clean.filters.segment import SegmenterMissing, segmenter
from pretrain_clean.pipeline.document import Document
from pretrain_clean.pipeline.stage import StageNotSetUp

OFF = dict(  # every gopher_quality rule off; a test turns on the one it checks
    min_doc_words=None, max_doc_words=None, min_avg_word_length=None, max_avg_word_length=None,
    max_symbol_word_ratio=None, max_bullet_lines_ratio=None, max_ellipsis_lines_ratio=None,
    min_alpha_words_ratio=None, min_stop_words=None,
)


def quality(text: str, **kwargs: object) -> str | None:
    stage = GopherQuality(**kwargs)
    stage.setup()
    return stage.apply(Document("t", text))


def only(**kwargs: object) -> dict:
    return {**OFF, **kwargs}


def words_text(n: int, word: str = "word") -> str:
    """``n`` words: two stop words, then ``word`` repeated."""
    return " ".join(["the", "and"] + [word] * (n - 2))


# --- gopher_quality ------------------------------------------------------------------------

@pytest.mark.parametrize(("n", "reason"), [(49, "too_few_words"), (50, None), (51, None)])
def test_min_doc_words_is_50_inclusive(n: int, reason: str | None) -> None:
    assert len(tf.words(Document("t", words_text(n)))) == n
    assert quality(words_text(n)) == reason  # all defaults: 50 words is enough


@pytest.mark.parametrize(("n", "reason"), [(59, None), (60, None), (61, "too_many_words")])
def test_max_doc_words_inclusive(n: int, reason: str | None) -> None:
    assert quality(words_text(n), max_doc_words=60) == reason


def test_punctuation_tokens_are_not_words_for_the_length_rule() -> None:
    text = words_text(49) + " ! ? #"  # 52 tokens, 49 words
    assert quality(text) == "too_few_words"


def test_no_words_only_when_none() -> None:
    assert quality("!!! ??? ...", **OFF) == "no_words"
    assert quality("hello", **OFF) is None  # one word is not "no words"


@pytest.mark.parametrize(
    ("last", "reason"), [("ox", "mean_word_length_too_short"), ("cat", None), ("cats", None)]
)
def test_min_avg_word_length_is_3_inclusive(last: str, reason: str | None) -> None:
    text = " ".join(["the", "and"] + ["cat"] * 47 + [last])  # 50 words, mean 2.98 / 3 / 3.02
    assert quality(text) == reason


@pytest.mark.parametrize(("chars", "reason"), [(499, None), (500, None), (501, "mean_word_length_too_long")])
def test_max_avg_word_length_is_10_inclusive(chars: int, reason: str | None) -> None:
    # 2 stop words (6 characters), 46 ten-letter words, 2 long words: 500 characters is a mean of 10
    long = ["a" * 17, "b" * (17 + chars - 500)]
    text = " ".join(["the", "and"] + ["abcdefghij"] * 46 + long)
    assert tf.non_symbol_words(Document("t", text)) == (50, chars)
    assert quality(text) == reason


def _with_marks(marks: list[str]) -> str:
    """90 words with the marks (separate tokens) in the middle of the line."""
    words = words_text(90).split()
    return " ".join(words[:40] + marks + words[40:])


@pytest.mark.parametrize(("hashes", "reason"), [(9, None), (10, None), (11, "too_many_hashes")])
def test_hash_ratio_is_per_token_and_inclusive(hashes: int, reason: str | None) -> None:
    text = _with_marks(["#"] * hashes)  # 10 of 100 tokens is exactly 0.1
    assert len(tf.words(Document("t", text))) == 90 + hashes
    assert quality(text) == reason


@pytest.mark.parametrize(("marks", "reason"), [
    (["..."] * 5 + ["…"] * 5, None),
    (["..."] * 6 + ["…"] * 5, "too_many_ellipses"),
    (["..."] * 5 + ["…"] * 6, "too_many_ellipses"),
])
def test_ellipsis_ratio_counts_both_spellings(marks: list[str], reason: str | None) -> None:
    assert quality(_with_marks(marks)) == reason


def _lines(n: int, bullets: int = 0, ellipses: int = 0) -> str:
    """``n`` six-word lines; the first ``bullets`` start with a bullet (both kinds, one
    indented), the last ``ellipses`` end with one (both kinds, one with a trailing space)."""
    out = []
    for i in range(n):
        line = "the and words make this line"
        if i < bullets:
            line = ("• " if i % 2 else "  - ") + line
        if i >= n - ellipses:
            line += (" ... " if i % 2 else " …")
        out.append(line)
    return "\n".join(out)


@pytest.mark.parametrize(("bullets", "reason"), [(8, None), (9, None), (10, "too_many_bullet_lines")])
def test_bullet_lines_ratio_is_09_inclusive(bullets: int, reason: str | None) -> None:
    assert quality(_lines(10, bullets=bullets), **only(max_bullet_lines_ratio=0.9)) == reason


def test_bullet_lines_default_is_on() -> None:
    assert quality(_lines(10, bullets=10), max_symbol_word_ratio=None, min_alpha_words_ratio=None) == (
        "too_many_bullet_lines"
    )
    assert quality(_lines(10, bullets=9), max_symbol_word_ratio=None, min_alpha_words_ratio=None) is None


@pytest.mark.parametrize(("ellipses", "reason"), [(2, None), (3, None), (4, "too_many_ellipsis_lines")])
def test_ellipsis_lines_ratio_is_03_inclusive(ellipses: int, reason: str | None) -> None:
    assert quality(_lines(10, ellipses=ellipses), **only(max_ellipsis_lines_ratio=0.3)) == reason
    assert quality(_lines(10, ellipses=ellipses), max_symbol_word_ratio=None) == reason  # default 0.3


@pytest.mark.parametrize(("numbers", "reason"), [(19, None), (20, None), (21, "too_few_alpha_words")])
def test_alpha_words_ratio_is_08_inclusive(numbers: int, reason: str | None) -> None:
    text = words_text(80) + " " + " ".join(["1234"] * numbers)  # 80 of 100 words have a letter
    assert quality(text) == reason


@pytest.mark.parametrize(("stops", "reason"), [
    (["the"], "too_few_stop_words"), (["the", "and"], None), (["the", "and", "of"], None),
    (["the", "the"], "too_few_stop_words"),  # distinct stop words count, not occurrences
])
def test_min_stop_words_is_2_inclusive(stops: list[str], reason: str | None) -> None:
    text = " ".join(stops + ["word"] * (60 - len(stops)))
    assert quality(text) == reason


@pytest.mark.parametrize(("first", "later", "reason"), [
    (["the"], ["and"], None),  # one in the first words, the other far later: both count
    ([], ["the", "and"], None), ([], ["the"], "too_few_stop_words"), (["the"], ["the"], "too_few_stop_words"),
])
@pytest.mark.parametrize("at", [STOP_WORD_PREFIX - 1, STOP_WORD_PREFIX, STOP_WORD_PREFIX + 1, 500])
def test_stop_words_count_wherever_they_stand(first: list[str], later: list[str], reason: str | None, at: int) -> None:
    words = first + ["word"] * (at - len(first)) + later + ["word"] * 20
    assert quality(" ".join(words), **only(min_stop_words=2)) == reason


def test_apply_before_setup_is_the_callers_error() -> None:
    with pytest.raises(StageNotSetUp, match="gopher_quality"):
        GopherQuality().apply(Document("t", words_text(50)))


def test_custom_stop_word_list(tmp_path: Path) -> None:
    path = tmp_path / "stop.txt"
    path.write_text("# my list\n\n  word  \n   # an indented comment\nzebra\n", encoding="utf-8")
    assert load_word_list(path) == frozenset({"word", "zebra"})
    assert quality(" ".join(["word"] * 49 + ["zebra"]), stop_words_path=str(path)) is None
    assert quality(words_text(50), stop_words_path=str(path)) == "too_few_stop_words"


def test_stop_words_are_read_once_at_setup(tmp_path: Path) -> None:
    path = tmp_path / "stop.txt"
    path.write_text("the\nand\n", encoding="utf-8")
    stage = GopherQuality(stop_words_path=str(path))
    stage.setup()
    path.unlink()  # a worker reads its files at start-up, never per document
    assert stage.apply(Document("t", words_text(50))) is None


def test_word_list_is_utf8_whatever_the_locale(tmp_path: Path) -> None:
    path = tmp_path / "stop.txt"
    path.write_bytes("的\ncafé\n".encode("utf-8"))
    assert load_word_list(path) == frozenset({"的", "café"})
    # a worker with an ASCII locale (LANG unset, no UTF-8 mode) reads the same list
    env = {**os.environ, "LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"}
    code = f"from pretrain_clean.filters.gopher import load_word_list; print(ascii(sorted(load_word_list({str(path)!r}))))"
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=Path(__file__).resolve().parent.parent,
                         capture_output=True, text=True, encoding="utf-8")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ascii(["café", "的"])


def test_unreadable_word_list_says_which(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"word list .*missing\.txt: cannot read it"):
        load_word_list(tmp_path / "missing.txt")


# --- gopher_repetition ---------------------------------------------------------------------

REP_OFF = dict(dup_line_frac=None, dup_para_frac=None, dup_line_char_frac=None, dup_para_char_frac=None,
               top_ngrams=[], dup_ngrams=[])


def repetition(text: str, **kwargs: object) -> str | None:
    return GopherRepetition(**{**REP_OFF, **kwargs}).apply(Document("t", text))


def _items(n: int, dups: int) -> list[str]:
    """``n`` items of 8 characters, the last ``dups`` repeating the first one."""
    return [f"item{i:03d}." for i in range(n - dups)] + ["item000."] * dups


@pytest.mark.parametrize(("dups", "reason"), [(2, None), (3, None), (4, "duplicate_paragraphs")])
def test_duplicate_paragraph_fraction_is_inclusive(dups: int, reason: str | None) -> None:
    assert repetition("\n\n".join(_items(10, dups)), dup_para_frac=0.3) == reason


@pytest.mark.parametrize(("dups", "reason"), [(2, None), (3, None), (4, "duplicate_lines")])
def test_duplicate_line_fraction_is_inclusive(dups: int, reason: str | None) -> None:
    text = "\n".join(_items(10, dups))
    assert repetition(text, dup_line_frac=0.3) == reason
    assert repetition(text.replace("\n", "\n\n\n", 1), dup_line_frac=0.3) == reason  # runs of newlines


def test_duplicate_char_fractions_are_inclusive() -> None:
    # 10 items of 8 characters joined by "\n\n" (size 98): 2 repeats are 16 characters
    paras = "\n\n".join(_items(10, 2))
    assert len(paras) == 98
    assert repetition(paras, dup_para_char_frac=16 / 98) is None
    assert repetition(paras, dup_para_char_frac=15.9 / 98) == "duplicate_paragraph_chars"
    lines = "\n".join(_items(10, 2))  # size 89
    assert repetition(lines, dup_line_char_frac=16 / 89) is None
    assert repetition(lines, dup_line_char_frac=15.9 / 89) == "duplicate_line_chars"
    assert repetition(lines, dup_para_char_frac=0.0) is None  # one paragraph: nothing repeats


def test_repetition_defaults_remove_at_the_papers_thresholds() -> None:
    stage = GopherRepetition()
    assert (stage.dup_line_frac, stage.dup_para_frac, stage.dup_line_char_frac, stage.dup_para_char_frac) == (
        0.3, 0.3, 0.2, 0.2)
    assert stage.top_ngrams == [[2, 0.2], [3, 0.18], [4, 0.16]]
    assert stage.dup_ngrams == [[5, 0.15], [6, 0.14], [7, 0.13], [8, 0.12], [9, 0.11], [10, 0.10]]


# "aa bb aa bb cc dd ee": 20 characters; the top bigram "aa bb" twice = 10 characters (0.5),
# the top trigram (the first, all occur once) 8 (0.4); repeated bigrams cover 4 characters (0.2)
NGRAM_TEXT = "aa bb aa bb cc dd ee"


def test_ngram_statistics_the_boundaries_use() -> None:
    stats = tf.doc_ngram_stats(Document("t", NGRAM_TEXT), 3)
    assert (stats.top_chars[2], stats.top_chars[3], stats.dup_chars[2]) == (10, 8, 4)


@pytest.mark.parametrize(("frac", "reason"), [(0.5, None), (0.49, "top_2_gram_chars"), (0.51, None)])
def test_top_bigram_fraction_is_inclusive(frac: float, reason: str | None) -> None:
    assert repetition(NGRAM_TEXT, top_ngrams=[[2, frac]]) == reason


def test_top_ngram_uses_its_own_n() -> None:
    assert repetition(NGRAM_TEXT, top_ngrams=[[3, 0.4]]) is None
    assert repetition(NGRAM_TEXT, top_ngrams=[[3, 0.39]]) == "top_3_gram_chars"
    assert repetition(NGRAM_TEXT, top_ngrams=[[3.0, 0.39]]) == "top_3_gram_chars"
    assert repetition(NGRAM_TEXT, top_ngrams=[[3, 0.45], [2, 0.45]]) == "top_2_gram_chars"


@pytest.mark.parametrize(("frac", "reason"), [(0.2, None), (0.19, "duplicate_2_gram_chars"), (0.21, None)])
def test_duplicate_ngram_fraction_is_inclusive(frac: float, reason: str | None) -> None:
    assert repetition(NGRAM_TEXT, dup_ngrams=[[2, frac]]) == reason
    assert repetition(NGRAM_TEXT, dup_ngrams=[[3, 0.0]]) is None  # no trigram repeats


def test_no_ngram_rules_means_no_ngram_removal() -> None:
    assert repetition("the cat the cat the cat") is None
    assert GopherRepetition(dup_line_frac=None, dup_para_frac=None, dup_line_char_frac=None,
                            dup_para_char_frac=None).apply(Document("t", "the cat the cat")) == "top_2_gram_chars"


def test_chinese_ngrams_use_the_configured_word_unit() -> None:
    # "我们…开会" twice: as characters, the bigram 我们 repeats (4 of 20 characters); as jieba
    # words no bigram of words repeats
    text = "我们今天去北京开会，我们明天去上海开会。"
    assert repetition(text, top_ngrams=[[2, 0.1]]) == "top_2_gram_chars"
    assert repetition(text, top_ngrams=[[2, 0.1]], chinese_words="jieba") is None


def test_repetition_setup_needs_the_segmenter(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "rjieba", None)  # not installed
    segmenter.cache_clear()
    try:
        GopherRepetition().setup()  # "char" needs nothing
        with pytest.raises(SegmenterMissing, match="rjieba"):
            GopherRepetition(chinese_words="jieba").setup()
    finally:
        segmenter.cache_clear()  # the next test loads the real one


@pytest.mark.parametrize("bad", [[[2]], [[1, 0.2]], [[2.5, 0.2]], [[2, 0.2, 3]]])
def test_ngram_config_errors_name_the_key(bad: list) -> None:
    with pytest.raises(ValueError, match=r"^top_ngrams: each entry must be \[n, fraction\]"):
        GopherRepetition(top_ngrams=bad)
    with pytest.raises(ValueError, match=r"^dup_ngrams: "):
        GopherRepetition(dup_ngrams=bad)


def test_smallest_valid_ngram_config() -> None:
    assert GopherRepetition(top_ngrams=[[2, 0.2]], dup_ngrams=[[2.0, 0.1]]).top_ngrams == [[2, 0.2]]
