"""Paragraph and sentence units (CCNet-style dedup): numbering, thresholds, rewriting.

The engines exchange only (document, unit number) pairs, so the numbering and the
thresholds below decide what dedup removes on both engines."""
from __future__ import annotations

import pytest

from pretrain_clean.dedup.hashing import hash64, normalize
from pretrain_clean.dedup.paragraph import Unit, rewrite, split_units, unit_hashes


def spans(text: str, sentences: bool) -> list[tuple[int, int, str]]:
    return [(u.line, u.sentence, text[u.start:u.end]) for u in split_units(text, sentences)]


def test_units_are_lines_then_each_lines_sentences() -> None:
    text = "One. Two! Three?\n\nLast line"
    assert spans(text, False) == [(0, -1, "One. Two! Three?"), (1, -1, ""), (2, -1, "Last line")]
    assert spans(text, True) == [
        (0, -1, "One. Two! Three?"), (0, 0, "One. "), (0, 1, "Two! "), (0, 2, "Three?"),
        (1, -1, ""),
        (2, -1, "Last line"), (2, 0, "Last line"),
    ]


def test_sentence_ends_cover_quotes_and_chinese_punctuation() -> None:
    assert [s for _, n, s in spans('He said "Stop." Then left.', True) if n >= 0] == ['He said "Stop." ', "Then left."]
    assert [s for _, n, s in spans("第一句。第二句！第三句", True) if n >= 0] == ["第一句。", "第二句！", "第三句"]
    assert [s for _, n, s in spans("Wait... what?! Ok", True) if n >= 0] == ["Wait... ", "what?! ", "Ok"]
    assert [s for _, n, s in spans("3.14 is pi", True) if n >= 0] == ["3.14 is pi"]  # no space: not an end


def test_unit_spans_index_the_original_text() -> None:
    text = "ab\ncd. ef\n"
    assert split_units(text, True) == [
        Unit(0, -1, 0, 2), Unit(0, 0, 0, 2), Unit(1, -1, 3, 9), Unit(1, 0, 3, 7), Unit(1, 1, 7, 9), Unit(2, -1, 10, 10),
    ]


@pytest.mark.parametrize("min_chars,numbers", [(4, [0, 1]), (5, [0]), (6, [])])
def test_paragraph_min_chars_at_the_boundary(min_chars: int, numbers: list[int]) -> None:
    # normalized lengths: "hello" 5, "abcd" 4 (punctuation and case dropped)
    assert [n for n, _ in unit_hashes("Hello!\nAB-CD", True, False, min_chars, 99)] == numbers


def test_sentence_min_chars_exact() -> None:
    text = "Twelve chars. Eleven char!"  # normalized: "twelve chars" (12), "eleven char" (11)
    assert [n for n, _ in unit_hashes(text, False, True, 1, 12)] == [1]
    assert [n for n, _ in unit_hashes(text, False, True, 1, 11)] == [1, 2]
    assert [n for n, _ in unit_hashes(text, False, True, 1, 13)] == []


def test_paragraph_and_sentence_hashes_never_meet() -> None:
    """A one-sentence line is both a paragraph and a sentence: the two hashes differ."""
    hashes = unit_hashes("A line that is one sentence", True, True, 1, 1)
    assert [n for n, _ in hashes] == [0, 1]
    assert hashes[0][1] == hash64("p:" + normalize("A line that is one sentence"))
    assert hashes[1][1] == hash64("s:" + normalize("A line that is one sentence"))


def test_paragraphs_off_keeps_sentence_numbers() -> None:
    text = "Menu\nHi there friend. Bye now my friend!"
    with_paragraphs = unit_hashes(text, True, True, 1, 1)
    without = unit_hashes(text, False, True, 1, 1)
    assert [n for n, _ in without] == [1, 3, 4]
    assert without == [h for h in with_paragraphs if h[0] in (1, 3, 4)]


def test_normalized_repeats_hash_alike() -> None:
    a = unit_hashes("Call 555-1234 NOW!", True, False, 1, 1)
    b = unit_hashes("call 0000000 now", True, False, 1, 1)
    assert a == b


def test_rewrite_without_removals_is_the_text() -> None:
    text = "  keep\n\nall  "
    assert rewrite(text, set(), False) is text


def test_rewrite_drops_lines_and_sentences() -> None:
    text = "Menu\nHi there. Bye!\nok"
    assert rewrite(text, {0}, False) == "Hi there. Bye!\nok"
    assert rewrite(text, {1}, False) == "Menu\nok"
    assert rewrite(text, {2}, False) == "Menu\nHi there. Bye!"
    assert rewrite(text, {0, 1, 2}, False) == ""
    # with sentences: units 0 Menu, 1 Menu(s0), 2 line, 3 "Hi there. ", 4 "Bye!", 5 ok, 6 ok(s0)
    assert rewrite(text, {4}, True) == "Menu\nHi there.\nok"  # the kept sentence is stripped
    assert rewrite(text, {3, 4}, True) == "Menu\nok"  # a line emptied by sentence removal goes
    assert rewrite(text, {1}, True) == "Hi there. Bye!\nok"


def test_rewrite_keeps_other_lines_exactly() -> None:
    text = "  indented line\nrepeat\n\ttabbed\t"
    assert rewrite(text, {1}, False) == "  indented line\n\ttabbed\t"


def test_a_short_unit_does_not_hide_the_units_after_it() -> None:
    assert [n for n, _ in unit_hashes("ok\nA long enough line\nno\nAnother long line", True, False, 5, 99)] == [1, 3]


def test_rewrite_removes_a_first_sentence_only() -> None:
    text = "Menu\nHi there. Bye!\nok"
    assert rewrite(text, {3}, True) == "Menu\nBye!\nok"  # sentence 0 of line 1, not the line


def test_rewrite_joins_the_kept_sentences_as_written() -> None:
    text = "A one. B two. C three."
    # units: 0 line, 1 "A one. ", 2 "B two. ", 3 "C three."
    assert rewrite(text, {2}, True) == "A one. C three."
    assert rewrite(text, {1}, True) == "B two. C three."
