"""The C line passes of C4, FineWeb and Gopher (``filters/_lines.c``, issue 14, session 6) give
what the plain Python gives: on every code point at a line's end and as its whitespace, at
each threshold and on each side of it, and on random texts of the characters that matter.

References: C4's per-line checks are ``_C4LineRules._scan_lines`` (the Python loop, which
still handles texts with "[" or C4's phrases); FineWeb's and Gopher's are the plain list and
regex computations below, as ``filters/fineweb.py`` and ``filters/gopher.py`` (through
``text_features.paragraphs`` / ``newline_runs``) wrote them before the C passes.
"""
from __future__ import annotations

import random
import sys

import pytest

from pretrain_clean.filters import text_features as tf
from pretrain_clean.filters._lines import c4_keep, fineweb_counts, gopher_duplicates
from pretrain_clean.filters.c4 import C4Lines, C4Quality, LineScan
from pretrain_clean.filters.fineweb import FineWebQuality
from pretrain_clean.filters.punctuation import TERMINAL_PUNCTUATION
from pretrain_clean.pipeline.document import Document

SPACES = [chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()]
EVERY_CODE_POINT = [chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF]


def c4_both(text: str, look_too: bool = True, **keys: object) -> tuple[LineScan, LineScan]:
    """C4's line pass on ``text`` by the C path and by the Python loop; with ``look_too``,
    asserts the Python loop with the per-line phrase look agrees."""
    stage = C4Lines(**keys)  # type: ignore[arg-type]
    doc = Document("d", text)
    plain = stage._scan_lines(doc, False)
    if look_too:
        assert stage._scan_lines(doc, True) == plain
    max_word, min_words = stage.max_word_length, stage.min_words_per_line
    kept, curly = c4_keep(tf.lines(doc), -1 if max_word is None else max_word, min_words or 0,
                          stage.filter_no_terminal_punct)
    return LineScan(kept, False, curly), plain


def test_c4_pass_equals_the_python_loop_on_every_code_point_ending_a_line() -> None:
    text = "\n".join(f"one two three{ch}" for ch in EVERY_CODE_POINT)
    fast, plain = c4_both(text, look_too=False)
    assert fast == plain
    assert [line[-1] for _, line in plain.kept] == ["!", '"', "'", ".", "?"]
    text = "\n".join(f"one two three.{ch}" for ch in EVERY_CODE_POINT)
    fast, plain = c4_both(text, look_too=False)
    assert fast == plain
    # kept: a second dot (".." is not "..."), ! " ' ?, and every whitespace (stripped, or a line break)
    assert len(plain.kept) == 5 + len(SPACES)


@pytest.mark.parametrize("space", SPACES)
def test_c4_pass_strips_and_splits_on_every_whitespace_character(space: str) -> None:
    lines = [f"{space}one{space}two{space}three.{space}", f"one{space}two.", f"{space * 3}", f"a{space}b{space}{{c}}."]
    for text in ("\n".join(lines), "\r\n".join(lines)):
        fast, plain = c4_both(text)
        assert fast == plain


@pytest.mark.parametrize("ending", [".", "?", "!", '"', "'", "...", "..", "....", ". ..", "x...", "…", ",", "", " .", ".\u3000"])
@pytest.mark.parametrize("punct", [True, False])
def test_c4_pass_on_each_line_ending(ending: str, punct: bool) -> None:
    fast, plain = c4_both(f"one two three{ending}\n{ending}\n  {ending}  ", filter_no_terminal_punct=punct)
    assert fast == plain


@pytest.mark.parametrize("max_word", [None, 0, 1, 4, 5, 6, 1000])
@pytest.mark.parametrize("size", [0, 1, 4, 5, 6, 999, 1000, 1001])
def test_c4_pass_at_and_around_the_longest_word(max_word: int | None, size: int) -> None:
    word = "w" * size
    text = f"{word} two three four.\nfour {word} six.\n{word}.\n  {word}  "
    fast, plain = c4_both(text, max_word_length=max_word)
    assert fast == plain
    if max_word == 1000:  # the threshold C4 ships: a word of exactly 1000 characters is kept
        assert (0 in [index for index, _ in fast.kept]) == (size <= 1000)


@pytest.mark.parametrize("min_words", [None, -1, 0, 1, 2, 3, 4])
@pytest.mark.parametrize("line", ["", ".", "one.", "one two.", "one two three.", "one  two\tthree four.", " a b . "])
def test_c4_pass_at_and_around_the_word_count(min_words: int | None, line: str) -> None:
    fast, plain = c4_both(f"{line}\n{line}x.", min_words_per_line=min_words)
    assert fast == plain


def test_c4_pass_curly_bracket_counts_only_in_kept_lines() -> None:
    fast, plain = c4_both("a {b} c\nd e f.")  # the brace is in a line dropped for punctuation
    assert fast == plain and fast.curly_bracket is False
    fast, plain = c4_both("a {b} c.\nd e f.")
    assert fast == plain and fast.curly_bracket is True


def test_c4_pass_on_random_texts_of_the_characters_that_matter() -> None:
    rng = random.Random(0)
    alphabet = [*SPACES, "\n", ".", "?", "!", '"', "'", "{", "a", "bb", "中", "é", "\U0001F600", "…"]
    for _ in range(4000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        keys = {"max_word_length": rng.choice([None, 0, 1, 2, 3]), "min_words_per_line": rng.choice([None, 0, 1, 2, 3]),
                "filter_no_terminal_punct": rng.random() < 0.7}
        fast, plain = c4_both(text, **keys)
        assert fast == plain, (text, keys)


@pytest.mark.parametrize("text", ["We use cookies. One two three.", "See [1] here. One two three.", "Plain one two three."])
def test_c4_scan_takes_the_c_path_only_without_brackets_or_phrases(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from pretrain_clean.filters import c4

    calls: list[int] = []
    monkeypatch.setattr(c4, "_c4_keep", lambda *args: calls.append(1) or c4_keep(*args))
    C4Quality().scan(Document("d", text))
    assert calls == ([1] if text.startswith("Plain") else [])


def test_c4_scan_with_a_negative_max_word_length_keeps_the_python_behaviour() -> None:
    stage = C4Lines(max_word_length=-1)
    assert stage.scan(Document("d", "one two three.\nfour five six.")).kept == []
    with pytest.raises(ValueError):  # max() of no words, as before: the cascade quarantines the document
        stage.scan(Document("e", "one two three.\n\nfour five six."))


def test_c4_keep_refuses_what_is_not_a_list_of_str() -> None:
    with pytest.raises(TypeError, match="line 1 is bytes, not str"):
        c4_keep(["a b c.", b"d e f."], 1000, 3, True)
    with pytest.raises(TypeError):
        c4_keep(("a b c.",), 1000, 3, True)


# --- fineweb ---------------------------------------------------------------------------------

STOPS = tuple(TERMINAL_PUNCTUATION)


def fineweb_plain(text: str, short_length: int = 30) -> tuple[int, int, int, int, int]:
    """What filters/fineweb.py computed before the C pass, in plain Python, and the chunks."""
    lines = list(filter(str.strip, text.split("\n")))
    return (len(lines), sum(line.endswith(STOPS) for line in lines), sum(len(line) <= short_length for line in lines),
            tf.find_duplicates(lines)[1], len(text.split()))


def test_fineweb_counts_equal_the_plain_lists_on_every_code_point_ending_a_line() -> None:
    text = "\n".join(f"line {ch}" for ch in EVERY_CODE_POINT)
    assert fineweb_counts(text, TERMINAL_PUNCTUATION, 30) == fineweb_plain(text)


@pytest.mark.parametrize("space", SPACES)
def test_fineweb_counts_blank_lines_of_every_whitespace_character(space: str) -> None:
    text = f"a.\n{space}\n{space}b{space}\n{space * 2}\n\n{space}b{space}\na."
    assert fineweb_counts(text, TERMINAL_PUNCTUATION, 30) == fineweb_plain(text)


@pytest.mark.parametrize("size", [0, 1, 29, 30, 31, 100])
@pytest.mark.parametrize("short_length", [-1, 0, 30])
def test_fineweb_short_lines_at_and_around_the_length(size: int, short_length: int) -> None:
    text = "\n".join(ch * size for ch in ("x", "é", "中", "\U0001F600"))
    assert fineweb_counts(text, TERMINAL_PUNCTUATION, short_length) == fineweb_plain(text, short_length)


@pytest.mark.parametrize("text", ["", "\n", "a", "a\na", "a\n a", "a \na", "ab\nab\nab\n", "abcdefghij\nabcdefghij\nabcdefghik",
                                  "中文\n中文\nx", "\U0001F600\n\U0001F600", "\r\n\r\n", "a\r\na\r\na", "x" * 17 + "\n" + "x" * 17])
def test_fineweb_counts_on_edges(text: str) -> None:
    assert fineweb_counts(text, TERMINAL_PUNCTUATION, 30) == fineweb_plain(text)


def test_fineweb_counts_on_random_texts_of_each_width() -> None:
    rng = random.Random(1)
    for extra in ("", "é", "中", "\U0001F600"):  # 1-, 1-, 2- and 4-byte strings
        alphabet = ["a", "b", "ab", ".", "!", "。", "\n", "\n", " ", "\t", "\u3000", extra or "c"]
        for _ in range(3000):
            text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
            assert fineweb_counts(text, TERMINAL_PUNCTUATION, 3) == fineweb_plain(text, 3), repr(text)


def test_fineweb_counts_takes_any_frozenset_of_stops_and_refuses_others() -> None:
    assert fineweb_counts("a;\nb.\nc;", frozenset(";"), 30) == (3, 2, 3, 0, 3)
    with pytest.raises(TypeError):
        fineweb_counts("a.", set("."), 30)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        fineweb_counts(b"a.", TERMINAL_PUNCTUATION, 30)  # type: ignore[arg-type]


def test_fineweb_stage_still_drops_duplicate_lines_by_their_characters() -> None:
    unique = [f"This is line number {i:03d} of the page text." for i in range(99)]
    text = "\n".join(unique + [unique[0]])  # one repeated line; the threshold set to exactly its share
    ratio = len(unique[0]) / (len(text) - text.count("\n"))
    stage = FineWebQuality(char_duplicates_ratio=ratio)
    assert stage.apply(Document("a", text)) is None  # at the threshold: kept
    assert FineWebQuality(char_duplicates_ratio=ratio * 0.999).apply(Document("b", text)) == "duplicate_line_chars"


def test_every_chunk_holds_a_word_so_the_chunk_bound_is_sound() -> None:
    """fineweb counts words only when newlines per chunk exceed the threshold: sound because
    the tokenizer gives every whitespace-free chunk at least one token (every code point alone,
    and random chunks of the characters its rules look at)."""
    assert [ch for ch in EVERY_CODE_POINT if not ch.isspace() and not tf.tokenize_chunk(ch)] == []
    rng = random.Random(2)
    alphabet = list("ab.,'’-:/@+#()[]{}…—中é\U0001F600ntN0123") + ["http://", "www.", "n't", "..."]
    for _ in range(3000):
        chunk = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 8)))
        assert tf.tokenize_chunk(chunk), chunk


def newline_decision(text: str, threshold: float) -> str | None:
    return FineWebQuality(line_punct_thr=None, short_line_thr=None, char_duplicates_ratio=None,
                          new_line_ratio=threshold).apply(Document("d", text))


@pytest.mark.parametrize("words_per_line", [1, 2, 3, 4])
@pytest.mark.parametrize("threshold", [0.25, 0.3, 1 / 3, 0.5, 1.0])
def test_newlines_per_word_at_and_around_the_threshold_with_and_without_the_chunk_bound(
        words_per_line: int, threshold: float) -> None:
    # "a b c" lines: chunks = words; "it's," lines: one chunk, three words (it 's ,)
    for line in (" ".join(["word"] * words_per_line), " ".join(["it's,"] * words_per_line)):
        text = "\n".join([line] * 10)
        words = len(tf.tokenize(text))
        expected = "too_many_newlines_per_word" if 9 / words > threshold else None
        assert newline_decision(text, threshold) == expected, (line, threshold)


def test_newlines_per_word_exactly_at_03_is_kept_and_just_over_is_dropped() -> None:
    at = "\n".join(["one two three four five six seven eight nine ten"] + ["x y z"] * 10)  # 10 / (10 + 30) = 0.25
    assert newline_decision(at, 0.25) is None and newline_decision(at, 0.2499) == "too_many_newlines_per_word"
    glued = "\n".join(["it's,"] * 4)  # 3 newlines, 4 chunks (0.75), 12 words (0.25): the bound fails, words decide
    assert newline_decision(glued, 0.25) is None and newline_decision(glued, 0.2499) == "too_many_newlines_per_word"


# --- gopher ----------------------------------------------------------------------------------

def gopher_plain(text: str) -> tuple[int, int, int, int, int, int]:
    """Gopher's paragraphs and lines as datatrove splits them, and their repeats."""
    import re

    paragraphs, lines = re.split(r"\n{2,}", text.strip()), re.split(r"\n+", text)
    return (len(paragraphs), *tf.find_duplicates(paragraphs), len(lines), *tf.find_duplicates(lines))


@pytest.mark.parametrize("text", ["", "\n", "\n\n", "a", "a\n", "\na\n", "a\n\na", "a\n\n\na\n", "\n\na\n\n\nb\n\n",
                                  " a \n\n a ", "a\nb\n\na\nb", "a\r\n\r\na", "中\n\n中\n中", "\U0001F600\n\U0001F600",
                                  "\u3000a\n\na\u3000", "x" * 17 + "\n\n" + "x" * 17, "ab\nab\nab\n\n\n\nab"])
def test_gopher_duplicates_equal_the_regex_splits_on_edges(text: str) -> None:
    assert gopher_duplicates(text) == gopher_plain(text)


@pytest.mark.parametrize("space", SPACES)
def test_gopher_paragraphs_strip_every_whitespace_character(space: str) -> None:
    text = f"{space}a\n\nb{space}\n\n{space}a{space}\n\na{space}"
    assert gopher_duplicates(text) == gopher_plain(text)


def test_gopher_duplicates_on_random_texts_of_each_width() -> None:
    rng = random.Random(3)
    for extra in ("", "é", "中", "\U0001F600"):
        alphabet = ["a", "b", "\n", "\n", "\n\n", " ", "\t", extra or "c"]
        for _ in range(3000):
            text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 16)))
            assert gopher_duplicates(text) == gopher_plain(text), repr(text)


def test_gopher_duplicates_over_every_code_point() -> None:
    text = "\n".join(EVERY_CODE_POINT) + "\n\n" + "\n".join(EVERY_CODE_POINT[:1000])
    assert gopher_duplicates(text) == gopher_plain(text)
