"""C4 and FineWeb rules at each threshold: exactly at it, just under, just over.

Each test builds a text whose count or ratio sits exactly on the threshold (and asserts the
count it relies on), so a flipped comparison in ``filters/c4.py`` or ``filters/fineweb.py``
fails a test (issue 13, item 5).
"""
from __future__ import annotations

import pytest

from pretrain_clean.filters import text_features as tf
from pretrain_clean.filters.c4 import C4Lines, C4Quality, count_sentences
from pretrain_clean.filters.fineweb import FineWebQuality
from pretrain_clean.pipeline.document import Document

# --- fineweb_quality ----------------------------------------------------------------------

FW_OFF = dict(line_punct_thr=None, short_line_thr=None, char_duplicates_ratio=None, new_line_ratio=None)


def fineweb(text: str, **kwargs: object) -> str | None:
    return FineWebQuality(**kwargs).apply(Document("t", text))


def long_line(i: int, end: str = ".") -> str:
    """A unique line of 40 characters (not short), ending in ``end``."""
    return f"This is line number {i:03d} of the page text"[: 40 - len(end)].ljust(40 - len(end), "x") + end


@pytest.mark.parametrize(("punctuated", "reason"), [(2, "few_punctuated_lines"), (3, None), (4, None)])
def test_line_punct_thr_is_012_inclusive(punctuated: int, reason: str | None) -> None:
    text = "\n".join(long_line(i, "." if i < punctuated else "x") for i in range(25))  # 3/25 = 0.12
    assert fineweb(text) == reason


def test_terminal_punctuation_counts_any_sentence_end() -> None:
    for end in ("!", "?", "."):
        assert fineweb("\n".join([long_line(0, end)] + [long_line(i, "x") for i in range(1, 8)])) is None


def test_line_punct_exclude_zero_only_lets_zero_through() -> None:
    none = "\n".join(long_line(i, "x") for i in range(25))
    one = "\n".join(long_line(i, "." if i == 0 else "x") for i in range(25))
    assert fineweb(none) == "few_punctuated_lines"
    assert fineweb(none, line_punct_exclude_zero=True) is None
    assert fineweb(one, line_punct_exclude_zero=True) == "few_punctuated_lines"


@pytest.mark.parametrize(("short", "reason"), [(66, None), (67, None), (68, "too_many_short_lines")])
def test_short_line_thr_is_067_inclusive(short: int, reason: str | None) -> None:
    lines = [f"Short line {i:03d}." for i in range(short)] + [long_line(i) for i in range(100 - short)]
    assert fineweb("\n".join(lines), **{**FW_OFF, "short_line_thr": 0.67}) == reason
    assert fineweb("\n".join(lines), char_duplicates_ratio=None) == reason  # the default


@pytest.mark.parametrize(("length", "short"), [(29, True), (30, True), (31, False)])
def test_short_line_length_is_30_inclusive(length: int, short: bool) -> None:
    line = ("a" * (length - 1)) + "."
    reason = fineweb(line, **{**FW_OFF, "short_line_thr": 0.5})
    assert reason == ("too_many_short_lines" if short else None)


def _dup_text(dup_len: int) -> str:
    """Unique lines plus one repeated line of ``dup_len`` characters; 1000 non-newline characters."""
    dup = "d" * (dup_len - 1) + "."
    unique = [long_line(i) for i in range(24)]  # 960 characters
    rest = 1000 - 960 - 2 * dup_len
    return "\n".join(unique + ["r" * (rest - 1) + ".", dup, dup])


@pytest.mark.parametrize(("dup_len", "reason"), [(9, None), (10, None), (11, "duplicate_line_chars")])
def test_char_duplicates_ratio_is_001_inclusive(dup_len: int, reason: str | None) -> None:
    text = _dup_text(dup_len)
    assert len(text) - text.count("\n") == 1000
    assert fineweb(text) == reason


@pytest.mark.parametrize(("n_words", "reason"), [(9, "too_many_newlines_per_word"), (10, None), (11, None)])
def test_new_line_ratio_is_03_inclusive(n_words: int, reason: str | None) -> None:
    words = [f"w{i}" for i in range(n_words)]
    text = "\n".join([" ".join(words[:3]), " ".join(words[3:5]), " ".join(words[5:7]), " ".join(words[7:])])
    assert text.count("\n") == 3 and len(tf.words(Document("t", text))) == n_words
    assert fineweb(text, **{**FW_OFF, "new_line_ratio": 0.3}) == reason
    assert fineweb(text, line_punct_thr=None, short_line_thr=None) == reason  # default 0.3


def test_blank_lines_do_not_dilute_the_duplicate_ratio() -> None:
    text = _dup_text(11).replace("\n", "\n\n\n\n\n")  # 4 blank lines between lines: same lines
    assert fineweb(text) == "duplicate_line_chars"  # 11 of 1000 visible characters, newlines excluded


def test_fineweb_blank_lines_are_not_lines() -> None:
    assert fineweb(" \n\t\n", **FW_OFF) == "empty"
    # two real lines among blank ones: 1 of 2 punctuated passes a 0.5 threshold
    assert fineweb(long_line(0) + "\n \n\n" + long_line(1, "x"), **{**FW_OFF, "line_punct_thr": 0.5}) is None


# --- c4 ------------------------------------------------------------------------------------

SENT = ["The river rose after the storm.", "Farmers moved their cattle uphill.", "Roads were closed for a day.",
        "Schools opened again on Monday.", "The mayor thanked the volunteers.", "Repairs will take a month."]


def c4(text: str, **kwargs: object) -> str | None:
    return C4Quality(**kwargs).apply(Document("t", text))


def c4_lines(text: str, **kwargs: object) -> tuple[str | None, str]:
    d = Document("t", text)
    return C4Lines(**kwargs).apply(d), d.text


@pytest.mark.parametrize(("n", "reason"), [(4, "too_few_sentences"), (5, None), (6, None)])
def test_min_num_sentences_is_5_inclusive(n: int, reason: str | None) -> None:
    assert c4("\n".join(SENT[:n])) == reason
    assert c4(" ".join(SENT[:n])) == reason  # sentences, not lines


def test_min_num_sentences_zero_or_none_is_off() -> None:
    assert c4("", min_num_sentences=0) is None
    assert c4("", min_num_sentences=None) is None
    assert c4(SENT[0], min_num_sentences=1) is None
    assert c4(SENT[0], min_num_sentences=2) == "too_few_sentences"
    assert c4("menu", min_num_sentences=1) == "too_few_sentences"  # 1 is a real minimum


def test_sentences_count_only_in_kept_lines() -> None:
    text = "\n".join(SENT[:4] + ["Click here to read more"])  # no terminal punctuation: not counted
    assert c4(text) == "too_few_sentences"
    assert c4(text, filter_no_terminal_punct=False) is None


def test_count_sentences_edges() -> None:
    assert count_sentences(["Hello"]) == 1
    assert count_sentences(["Hello", ".", "!", "World"]) == 2  # marks after an end do not start one
    assert count_sentences(["Hello", ".", "“", "World"]) == 2  # an opening quote is punctuation
    assert count_sentences(["A", ".", "B", "。", "C"]) == 3
    assert count_sentences(["Hello", ".", "”"]) == 1  # a closing quote after the end starts nothing
    assert count_sentences(["Hello", ".", "x"]) == 2


@pytest.mark.parametrize(("words", "kept"), [(2, False), (3, True), (4, True)])
def test_min_words_per_line_is_3_inclusive(words: int, kept: bool) -> None:
    line = " ".join(["word"] * (words - 1) + ["end."])
    assert c4_lines("\n".join([line] + SENT)) == (None, "\n".join([line] + SENT if kept else SENT))


@pytest.mark.parametrize(("length", "kept"), [(999, True), (1000, True), (1001, False)])
def test_max_word_length_is_1000_inclusive(length: int, kept: bool) -> None:
    line = "A very long " + "x" * length + " word."
    assert c4_lines("\n".join([line] + SENT))[1] == "\n".join([line] + SENT if kept else SENT)


@pytest.mark.parametrize(("end", "kept"), [
    (".", True), ("?", True), ("!", True), ('"', True), ("'", True), ("...", False), (",", False), ("", False),
])
def test_terminal_punctuation_of_a_line(end: str, kept: bool) -> None:
    line = "This line ends with a mark" + end
    assert c4_lines("\n".join([line] + SENT))[1] == "\n".join([line] + SENT if kept else SENT)


@pytest.mark.parametrize("phrase", [
    "terms of use", "privacy policy", "cookie policy", "uses cookies", "use of cookies", "use cookies",
])
def test_each_policy_phrase_removes_its_line(phrase: str) -> None:
    line = f"Please read the {phrase.upper()} before you go."
    assert c4_lines("\n".join([line] + SENT))[1] == "\n".join(SENT)
    assert c4_lines("\n".join(SENT + [line]), filter_policy=False)[1] == "\n".join(SENT + [line])


def test_javascript_line_removed_and_curly_only_counts_after_it() -> None:
    js = "Enable JavaScript to see { the map }."
    assert c4_lines("\n".join([js] + SENT))[1] == "\n".join(SENT)
    assert c4("\n".join(SENT + [js])) is None  # the javascript line is gone before the "{" check
    assert c4("\n".join(SENT + [js]), filter_javascript=False) == "curly_bracket"
    assert c4("\n".join(SENT + [js]), filter_javascript=False, filter_curly_bracket=False) is None


def test_lorem_ipsum_only_in_lines_that_pass_punctuation_and_length() -> None:
    assert c4("\n".join(SENT + ["LOREM IPSUM dolor sit amet."])) == "lorem_ipsum"
    assert c4("\n".join(SENT + ["lorem ipsum dolor"])) is None  # no terminal punctuation
    assert c4("\n".join(SENT + ["Lorem ipsum."])) is None  # two words
    assert c4("\n".join(SENT + ["Lorem ipsum dolor sit amet."]), filter_lorem_ipsum=False) is None
    # lorem ipsum is checked before the policy and javascript removals
    assert c4("\n".join(SENT + ["Lorem ipsum uses cookies, javascript."])) == "lorem_ipsum"


def test_curly_bracket_after_policy_check_order() -> None:
    # datatrove checks "{" before the policy phrases: a policy line with "{" still drops the page
    assert c4("\n".join(SENT + ["Our privacy policy {v2} changed today."])) == "curly_bracket"


def test_citations_cut_before_punctuation_check() -> None:
    line = "The bridge opened in 1932.[12]"
    assert c4_lines("\n".join(SENT + [line]))[1] == "\n".join(SENT + ["The bridge opened in 1932."])
    assert c4_lines("\n".join(SENT + [line]), remove_citations=False)[1] == "\n".join(SENT)
    assert c4_lines("\n".join(SENT + ["See [edit] notes here[citation needed] now."]))[1].endswith(
        "See  notes here now.")


def test_c4_lines_rejoins_kept_lines_and_strips_them() -> None:
    d = Document("t", "  " + SENT[0] + "  \nmenu\n" + SENT[1])
    assert C4Lines().apply(d) is None
    assert d.text == SENT[0] + "\n" + SENT[1]
    assert c4_lines("menu\nhome") == ("no_lines_left", "menu\nhome")  # dropped, text untouched


def test_c4_stages_with_different_line_keys_do_not_share_a_scan() -> None:
    d = Document("t", "\n".join(SENT + ["Two words."]))
    assert C4Quality(min_words_per_line=1).apply(d) is None
    assert C4Lines(min_words_per_line=3).apply(d) is None
    assert d.text == "\n".join(SENT)  # the 3-word rule applied, not the cached 1-word scan


def test_c4_chinese_skipped_unless_asked() -> None:
    zh = "新华社北京电，今天举行了新闻发布会。"
    assert c4_lines(zh) == (None, zh)
    assert c4_lines(zh, skip_chinese=False)[0] == "no_lines_left"
