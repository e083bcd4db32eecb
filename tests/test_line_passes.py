"""The C line passes of C4, FineWeb and Gopher (``filters/_c4.c``, ``_lines.c``; issue 14, session 6) give
what the plain Python gives: on every code point at a line's end, as its whitespace, inside a
citation and inside a phrase; at each threshold and on each side of it; and on random texts
of the characters that matter.

References: :func:`c4_plain` is the Python loop ``filters/c4.py`` ran before the C pass
(datatrove's ``C4QualityFilter`` line loop); FineWeb's and Gopher's are the plain list and
regex computations below, as ``filters/fineweb.py`` and ``filters/gopher.py`` (through
``text_features.paragraphs`` / ``newline_runs``) wrote them before.
"""
from __future__ import annotations

import random
import sys

import pytest

from pretrain_clean.filters import text_features as tf
from pretrain_clean.filters._c4 import c4_keep
from pretrain_clean.filters._lines import fineweb_counts, gopher_duplicates
from pretrain_clean.filters.c4 import CITATION_RE, END_PUNCTUATION, POLICY_SUBSTRINGS, C4Lines, C4Quality, LineScan
from pretrain_clean.filters.fineweb import FineWebQuality
from pretrain_clean.filters.punctuation import TERMINAL_PUNCTUATION
from pretrain_clean.pipeline.document import Document

SPACES = [chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()]
EVERY_CODE_POINT = [chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF]


def c4_plain(stage: C4Lines, text: str) -> LineScan:
    """C4's line pass in plain Python, in datatrove's order of checks (the reference)."""
    kept: list[tuple[int, str]] = []
    lorem = curly = False
    max_word, min_words = stage.max_word_length, stage.min_words_per_line
    for index, raw in enumerate(text.splitlines()):
        line = raw.strip()
        before_cut = line
        if max_word is not None and len(line) > max_word and max(map(len, line.split())) > max_word:
            continue
        if stage.remove_citations:
            line = CITATION_RE.sub("", line)
        if stage.filter_no_terminal_punct and (not line.endswith(END_PUNCTUATION) or line.endswith("...")):
            continue
        if min_words is not None and len(before_cut.split(None, min_words - 1)) < min_words:
            continue
        lower = line.lower()
        lorem = lorem or "lorem ipsum" in lower
        if stage.filter_javascript and "javascript" in lower:
            continue
        curly = curly or "{" in line
        if stage.filter_policy and any(p in lower for p in POLICY_SUBSTRINGS):
            continue
        kept.append((index, line))
    return LineScan(kept, lorem, curly)


def c4_both(text: str, **keys: object) -> tuple[LineScan, LineScan]:
    """C4's line pass on ``text`` by the stage (C) and by the reference."""
    stage = C4Lines(**keys)  # type: ignore[arg-type]
    return stage.scan(Document("d", text)), c4_plain(stage, text)


def test_c4_pass_equals_the_python_loop_on_every_code_point_ending_a_line() -> None:
    text = "\n".join(f"one two three{ch}" for ch in EVERY_CODE_POINT)
    fast, plain = c4_both(text)
    assert fast == plain
    assert [line[-1] for _, line in plain.kept] == ["!", '"', "'", ".", "?"]
    text = "\n".join(f"one two three.{ch}" for ch in EVERY_CODE_POINT)
    fast, plain = c4_both(text)
    assert fast == plain
    # kept: a second dot (".." is not "..."), ! " ' ?, and every whitespace (stripped, or a line break)
    assert len(plain.kept) == 5 + len(SPACES)


def test_c4_phrases_are_found_in_the_lower_case_of_every_code_point() -> None:
    # only A-Z, the Kelvin sign and U+0130 lower to something with an ASCII letter; each line
    # is a policy line exactly when its code point lowers to "k"
    chars = [ch for ch in EVERY_CODE_POINT if len(f"x{ch}x".splitlines()) == 1]  # not a line break
    text = "\n".join(f"We use coo{ch}ies here." for ch in chars)
    fast, plain = c4_both(text)
    assert fast == plain
    kept = {index for index, _ in plain.kept}
    assert [ch for i, ch in enumerate(chars) if i not in kept] == ["K", "k", "\u212a"]
    cased = [ch for ch in chars if ch.lower() != ch or ch.upper() != ch]  # the rest lower to themselves
    text = "\n".join(f"Our polic{ch} javascrip{ch} lorem ipsu{ch} one." for ch in cased)
    fast, plain = c4_both(text)
    assert fast == plain


@pytest.mark.parametrize("text", ["We use cookies.", "WE USE COOKIES.", "We use Coo\u212aies.", "Enable JavaScript – please.",
                                  "javascr\u0130pt is off.", "Lorem Ipsum dolor sit.", "LOREM \u0130PSUM dolor sit.",
                                  "lorem\u00a0ipsum dolor sit.", "Privacy [1]policy applies.", "Priv[2]acy policy holds.",
                                  "coo[edit]kie policy is here.", "The TERMS OF USE apply.", "use cookie{s} here.",
                                  "{ javascript } here now.", "{ lorem ipsum } a javascript b.", "Java script is fine."])
@pytest.mark.parametrize("javascript", [True, False])
@pytest.mark.parametrize("policy", [True, False])
def test_c4_phrase_rules_on_and_off(text: str, javascript: bool, policy: bool) -> None:
    fast, plain = c4_both(f"{text}\nA plain line here.", filter_javascript=javascript, filter_policy=policy)
    assert fast == plain


@pytest.mark.parametrize("citation", ["[1]", "[12]", "[]", "[edit]", "[citation needed]", "[Edit]", "[12a]", "[[1]]", "[1",
                                      "[edit", "[citation]", "[١٢]", "[𝟙]", "[²]", "[½]", "[1][2]", "[ 1]", "[citation needed"])
@pytest.mark.parametrize("cut", [True, False])
def test_c4_citations_cut_as_the_regex_cuts_them(citation: str, cut: bool) -> None:
    lines = [f"One two three{citation}.", f"One two three.{citation}", f"{citation} one two three.", f"a {citation} b.",
             f"Ünïcode wörds here{citation}.", f"中文 字 here{citation}.", f"Emoji \U0001F600 here{citation}."]
    fast, plain = c4_both("\n".join(lines), remove_citations=cut)
    assert fast == plain
    assert all(type(line) is str and line == line.encode().decode() for _, line in fast.kept)


def test_c4_citation_cut_gives_the_narrowest_string_as_re_sub_does() -> None:
    fast, plain = c4_both("Ascii words here[١].\nWide 中 here[١].")
    assert fast == plain and [line for _, line in fast.kept] == ["Ascii words here.", "Wide 中 here."]
    assert fast.kept[0][1].isascii() and {fast.kept[0][1]: 1}.get("Ascii words here.") == 1  # hashes and compares


def test_c4_citations_with_every_decimal_digit() -> None:
    digits = [ch for ch in EVERY_CODE_POINT if ch.isdecimal()]
    text = "\n".join(f"One two three[{d}{d}]." for d in digits) + "\n" + "\n".join(f"One two[{ch}] three." for ch in EVERY_CODE_POINT[:5000])
    fast, plain = c4_both(text)
    assert fast == plain
    assert len(fast.kept) >= len(digits)


@pytest.mark.parametrize("space", SPACES)
def test_c4_pass_strips_and_splits_on_every_whitespace_character(space: str) -> None:
    lines = [f"{space}one{space}two{space}three.{space}", f"one{space}two.", f"{space * 3}", f"a{space}b{space}{{c}}.",
             f"{space}one two[1]{space}three.{space}"]
    for text in ("\n".join(lines), "\r\n".join(lines)):
        fast, plain = c4_both(text)
        assert fast == plain


@pytest.mark.parametrize("ending", [".", "?", "!", '"', "'", "...", "..", "....", ". ..", "x...", "…", ",", "", " .", ".\u3000",
                                    ".[1]", "..[2].", "[edit]."])
@pytest.mark.parametrize("punct", [True, False])
def test_c4_pass_on_each_line_ending(ending: str, punct: bool) -> None:
    fast, plain = c4_both(f"one two three{ending}\n{ending}\n  {ending}  ", filter_no_terminal_punct=punct)
    assert fast == plain


@pytest.mark.parametrize("max_word", [None, 0, 1, 4, 5, 6, 1000])
@pytest.mark.parametrize("size", [0, 1, 4, 5, 6, 999, 1000, 1001])
def test_c4_pass_at_and_around_the_longest_word(max_word: int | None, size: int) -> None:
    word = "w" * size
    text = f"{word} two three four.\nfour {word} six.\n{word}.\n  {word}  \n{word}[1] x y."
    fast, plain = c4_both(text, max_word_length=max_word)
    assert fast == plain
    if max_word == 1000:  # the threshold C4 ships: a word of exactly 1000 characters is kept
        assert (0 in [index for index, _ in fast.kept]) == (size <= 1000)


@pytest.mark.parametrize("min_words", [None, -1, 0, 1, 2, 3, 4])
@pytest.mark.parametrize("line", ["", ".", "one.", "one two.", "one two three.", "one  two\tthree four.", " a b . ",
                                  "one [1] two.", "one[1] two."])
def test_c4_pass_at_and_around_the_word_count(min_words: int | None, line: str) -> None:
    fast, plain = c4_both(f"{line}\n{line}x.", min_words_per_line=min_words)
    assert fast == plain


def test_c4_pass_curly_bracket_counts_only_in_kept_lines() -> None:
    fast, plain = c4_both("a {b} c\nd e f.")  # the brace is in a line dropped for punctuation
    assert fast == plain and fast.curly_bracket is False
    fast, plain = c4_both("a {b} c.\nd e f.")
    assert fast == plain and fast.curly_bracket is True
    fast, plain = c4_both("a {b} javascript.\nd e f.")  # dropped for javascript before the brace is looked at
    assert fast == plain and fast.curly_bracket is False
    fast, plain = c4_both("a {b} cookie policy.\nd e f.")  # the brace counts, then the policy line goes
    assert fast == plain and fast.curly_bracket is True and len(fast.kept) == 1


def test_c4_pass_on_random_texts_of_the_characters_that_matter() -> None:
    rng = random.Random(0)
    alphabet = [*SPACES, "\n", ".", "?", "!", '"', "'", "{", "a", "bb", "中", "é", "\U0001F600", "…", "[", "]", "1", "[1]",
                "[edit]", "K", "\u212a", "\u0130", "cookie", "Java", "script", "lorem ", "ipsum"]
    for _ in range(4000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        keys = {"max_word_length": rng.choice([None, 0, 1, 2, 3]), "min_words_per_line": rng.choice([None, 0, 1, 2, 3]),
                "filter_no_terminal_punct": rng.random() < 0.7, "remove_citations": rng.random() < 0.7,
                "filter_javascript": rng.random() < 0.7, "filter_policy": rng.random() < 0.7}
        fast, plain = c4_both(text, **keys)
        assert fast == plain, (text, keys)


def test_c4_max_word_length_below_zero_is_a_config_error() -> None:
    from conftest import ROOT
    from pretrain_clean.errors import UserError
    from pretrain_clean.pipeline.config import load_config

    with pytest.raises(ValueError, match="max_word_length: a length >= 0"):
        C4Quality(max_word_length=-1)
    assert C4Quality(max_word_length=0).max_word_length == 0  # 0 is a length: every line with a word goes
    with pytest.raises(UserError, match=r"\(c4_lines\): max_word_length: a length >= 0, or none .* got -1"):
        load_config(ROOT / "pretrain_clean" / "configs" / "default.toml", ["stages.c4_lines.max_word_length=-1"])


def test_c4_keep_refuses_bad_arguments() -> None:
    ok = (b"lorem ipsum",), (b"javascript",), ()
    with pytest.raises(TypeError, match="line 1 is bytes, not str"):
        c4_keep(["a b c.", b"d e f."], 1000, 3, True, True, *ok)
    with pytest.raises(TypeError):
        c4_keep(("a b c.",), 1000, 3, True, True, *ok)
    with pytest.raises(ValueError, match="ASCII lower case"):
        c4_keep(["a b c."], 1000, 3, True, True, (b"Lorem",), (), ())
    with pytest.raises(TypeError, match="tuple of bytes"):
        c4_keep(["a b c."], 1000, 3, True, True, ("lorem",), (), ())
    with pytest.raises(ValueError, match="max_word is -1"):
        c4_keep(["a b c."], -2, 3, True, True, *ok)


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
