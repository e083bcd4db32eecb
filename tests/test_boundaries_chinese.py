"""``chinese_quality`` thresholds not covered by test_rules_chinese_new.py, each exactly at its
value (kept), just past it (removed) and just inside; and the helpers the rules count with.

Texts are Han characters of HAN100 (100 distinct characters) so that only the rule under test
can fire (``only`` turns the others off).
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pretrain_clean.filters.chinese import (
    ChineseQuality, _opencc_chars, content_words, longest_run_fraction, non_chinese_fraction,
    punctuation_count, repeated_sentence_fraction,
)
from pretrain_clean.filters.cjk import count_han, re2_class
from pretrain_clean.filters.repetition_ratios import char_repetition_ratio, word_repetition_ratio
from pretrain_clean.pipeline.document import Document
from pretrain_clean.pipeline.stage import StageNotSetUp
from tests.test_rules_chinese import NEWS, NO_STOP_WORDS
from tests.test_rules_chinese_new import HAN100, REVIEW, only, zh


def lines_of(n: int, length: int, end: str = "") -> list[str]:
    """``n`` lines of ``length`` Han characters (cycling through HAN100), each ending in ``end``."""
    return [(HAN100 * 3)[i % 100: i % 100 + length] + end for i in range(n)]


@pytest.mark.parametrize(("chars", "reason"), [(99, "too_few_chars"), (100, None), (101, None)])
def test_min_chars_is_100_visible_characters(chars: int, reason: str | None) -> None:
    text = (HAN100 + "，")[:chars]
    assert only(min_chars=100).apply(zh(text[:50] + " \n\t " + text[50:])) == reason  # spaces do not count


@pytest.mark.parametrize(("chars", "reason"), [(99, None), (100, None), (101, "too_many_chars")])
def test_max_chars_inclusive(chars: int, reason: str | None) -> None:
    assert only(max_chars=100).apply(zh((HAN100 + "，")[:chars])) == reason


def test_empty_only_without_visible_characters() -> None:
    assert only().apply(zh(" \n ")) == "empty"
    assert only().apply(zh("天")) is None


@pytest.mark.parametrize(("han", "reason"), [(39, "too_few_han_chars"), (40, None), (41, None)])
def test_min_han_ratio_is_04_of_visible_characters(han: int, reason: str | None) -> None:
    text = HAN100[:han] + "a" * (100 - han)
    assert only(min_han_ratio=0.4).apply(zh(text)) == reason


@pytest.mark.parametrize(("marks", "reason"), [(49, None), (50, None), (51, "too_much_punctuation")])
def test_max_punct_per_han_is_05(marks: int, reason: str | None) -> None:
    text = "".join(HAN100[i] + ("，" if i < marks else "") for i in range(100))
    assert punctuation_count(text) == marks
    assert only(max_punct_per_han=0.5).apply(zh(text)) == reason


@pytest.mark.parametrize(("han", "reason"), [(298, None), (297, None), (296, "garbled_text")])
def test_max_garbled_ratio_is_001(han: int, reason: str | None) -> None:
    # "锟斤拷" (3 characters of mojibake) in 301 / 300 / 299 visible characters
    text = (HAN100 * 3)[:han] + "锟斤拷"
    assert only(max_garbled_ratio=0.01).apply(zh(text)) == reason


def test_garbled_characters_of_each_kind() -> None:
    for bad in ("\ufffd", "\ue000", "烫烫烫", "Ã©"):
        text = HAN100[: 100 - len(bad)] + bad
        assert only(max_garbled_ratio=0.0).apply(zh(text)) == "garbled_text", bad
        assert only(max_garbled_ratio=len(bad) / 100).apply(zh(text)) is None, bad


SIMPLIFIED = "这个们说国时会来对发"
TRADITIONAL = "這個們說國時會來對發"
_SCRIPTS = _opencc_chars("STCharacters.txt") | _opencc_chars("TSCharacters.txt")
BOTH_SCRIPTS = "".join(ch for ch in HAN100 if ch not in _SCRIPTS)
"""Characters of HAN100 written the same in both scripts."""


def test_script_tables_hold_the_characters_used_below() -> None:
    simp, trad = _opencc_chars("STCharacters.txt"), _opencc_chars("TSCharacters.txt")
    assert set(SIMPLIFIED) <= simp and set(TRADITIONAL) <= trad
    assert not set(SIMPLIFIED) & trad and not set(TRADITIONAL) & simp


@pytest.mark.parametrize(("simp", "trad", "reason"), [
    (15, 5, None),  # 5 of 20: at 0.25, kept
    (14, 6, "mixed_traditional_simplified"),  # 0.3
    (16, 4, None),
    (10, 9, None),  # 19 script-specific characters: too few to judge
    (10, 10, "mixed_traditional_simplified"),  # 20: judged
])
def test_script_mix_is_025_of_at_least_20_characters(simp: int, trad: int, reason: str | None) -> None:
    assert len(BOTH_SCRIPTS) >= 40
    text = BOTH_SCRIPTS + (SIMPLIFIED * 2)[:simp] + (TRADITIONAL * 2)[:trad]
    assert only(max_script_mix=0.25).apply(zh(text)) == reason


@pytest.mark.parametrize(("run", "reason"), [(9, None), (10, None), (11, "repeated_characters")])
def test_char_run_ratio_is_01(run: int, reason: str | None) -> None:
    text = HAN100[: 100 - run] + "哈" * run  # a run of `run` in 100 visible characters
    assert only(max_char_run_ratio=0.1).apply(zh(text)) == reason


def test_char_run_length_is_5_inclusive() -> None:
    assert longest_run_fraction("哈哈哈哈" + HAN100[:16], 5) == 0.0
    assert longest_run_fraction("哈哈哈哈哈" + HAN100[:15], 5) == 0.25
    assert longest_run_fraction("aaaaa" + HAN100[:15], 5) == 0.25  # letters too
    assert longest_run_fraction("_____" + HAN100[:15], 5) == 0.0  # underscores are marks
    assert longest_run_fraction("哈哈哈哈哈" + HAN100[:15], 6) == 0.0
    assert longest_run_fraction("   ", 5) == 0.0


@pytest.mark.parametrize(("ending", "reason"), [(2, "few_terminated_lines"), (3, None), (4, None)])
def test_min_terminal_lines_ratio_is_012(ending: int, reason: str | None) -> None:
    lines = [line + ("。" if i < ending else "") for i, line in enumerate(lines_of(25, 20))]  # 3/25 = 0.12
    assert only(min_terminal_lines_ratio=0.12).apply(zh("\n".join(lines))) == reason


@pytest.mark.parametrize("end", ["。", "！", "？", "；", "…", "”", "）", "」", ":", ".", "!", "?", "\"", "'", ")"])
def test_each_terminal_mark_ends_a_line(end: str) -> None:
    lines = lines_of(3, 20)
    lines[0] += end
    assert only(min_terminal_lines_ratio=0.3).apply(zh("\n".join(lines))) is None


@pytest.mark.parametrize(("short", "reason"), [(66, None), (67, None), (68, "too_many_short_lines")])
def test_max_short_lines_ratio_is_067(short: int, reason: str | None) -> None:
    text = "\n".join(lines_of(short, 10) + lines_of(100 - short, 11))  # 10 characters is short
    assert only(max_short_lines_ratio=0.67).apply(zh(text)) == reason


def test_blank_lines_are_not_lines_and_lines_are_stripped() -> None:
    # three real lines among blank ones: a one-of-three share, not one of six
    text = "\n \n".join(["  " + HAN100[:20] + "。  ", HAN100[20:40], HAN100[40:60]])
    assert only(min_terminal_lines_ratio=0.3).apply(zh(text)) is None
    assert only(min_terminal_lines_ratio=0.34).apply(zh(text)) == "few_terminated_lines"


@pytest.mark.parametrize(("dup", "reason"), [(9, None), (10, None), (11, "duplicate_line_chars")])
def test_max_dup_line_chars_ratio_is_01(dup: int, reason: str | None) -> None:
    line = HAN100[:dup]
    text = "\n".join([line, HAN100[dup: 100 - dup], " " + line + " "])  # 100 visible characters
    assert only(max_dup_line_chars_ratio=0.1).apply(zh(text)) == reason


def test_repeated_sentences_shorter_than_min_chars_never_count() -> None:
    four, five = HAN100[:3] + "。", HAN100[:4] + "。"
    assert repeated_sentence_fraction(four + four, min_chars=5) == 0.0
    assert repeated_sentence_fraction(five + five, min_chars=5) == 0.5
    assert repeated_sentence_fraction(" 甲乙 丙丁。甲乙丙丁。", min_chars=1) == 0.5  # spaces ignored
    assert repeated_sentence_fraction("  ", 1) == 0.0


def test_space_clauses_count_from_an_average_of_4_characters() -> None:
    assert punctuation_count("甲乙丙丁 戊己庚辛") == 1  # runs average 4
    assert punctuation_count("甲乙丙 丁戊己") == 0  # 3
    assert punctuation_count("甲乙丙丁\u3000戊己庚辛\t天地玄黄") == 2
    assert punctuation_count("好,a,好.") == 2  # half-width marks count only after Han characters


@pytest.mark.parametrize(("max_words", "reason"), [(54, "too_many_words"), (55, None), (56, None)])
def test_max_words_counts_words_without_punctuation(max_words: int, reason: str | None) -> None:
    assert len(content_words(zh(REVIEW), "char")) == 55
    assert only(max_words=max_words).apply(zh(REVIEW)) == reason


def test_content_words_are_lower_cased_without_marks() -> None:
    assert content_words(Document("d", "天地ABC，。"), "char") == ["天", "地", "abc"]
    assert content_words(Document("d", "今天是星期天，Sunday!"), "jieba") == ["今天", "是", "星期天", "sunday"]


def test_non_chinese_fraction_ignores_marks() -> None:
    assert non_chinese_fraction("。，!") == 0.0
    assert non_chinese_fraction("天地12") == 0.5


def stage_with_stop_words(tmp_path: Path, minimum: int) -> ChineseQuality:
    path = tmp_path / "stop.txt"
    path.write_text("的\n了\n是\n", encoding="utf-8")
    return only(min_stop_words=minimum, stop_words_path=str(path))


@pytest.mark.parametrize(("words", "reason"), [("的的的", "too_few_stop_words"), ("的了", None), ("的了是", None)])
def test_min_stop_words_counts_distinct_entries(words: str, reason: str | None, tmp_path: Path) -> None:
    assert stage_with_stop_words(tmp_path, 2).apply(zh(HAN100[:30] + words)) == reason


def test_stop_words_are_read_at_setup(tmp_path: Path) -> None:
    stage = stage_with_stop_words(tmp_path, 2)
    (tmp_path / "stop.txt").unlink()
    assert stage.apply(zh(HAN100[:30] + "的了")) is None
    bundled = ChineseQuality()
    with pytest.raises(StageNotSetUp, match="chinese_quality"):  # set up by its caller, never lazily
        bundled.apply(zh(NEWS))
    bundled.setup()
    assert bundled.apply(zh(NEWS)) is None
    assert bundled.apply(zh(NO_STOP_WORDS)) == "too_few_stop_words"


def test_word_unit_is_checked() -> None:
    with pytest.raises(ValueError, match="chinese_words"):
        ChineseQuality(chinese_words="words")


def test_other_languages_pass() -> None:
    assert only(min_chars=100).apply(Document("e", "Short English text.")) is None


def test_short_sentences_before_a_repeat_do_not_hide_it() -> None:
    five = HAN100[:4] + "。"
    assert repeated_sentence_fraction("好。" + five + five, min_chars=5) == pytest.approx(5 / 12)
    assert repeated_sentence_fraction("好\n好") == 0.5  # by default a one-character sentence counts


def test_stage_passes_its_min_repeated_sentence_chars() -> None:
    text = "好。对。" * 10 + HAN100[:40] + "。"  # 20 repeats of one-character sentences: 40 of 101
    assert only(max_repeated_sentence_ratio=0.2).apply(zh(text)) is None  # shorter than 5: never repeats
    assert only(max_repeated_sentence_ratio=0.2, min_repeated_sentence_chars=1).apply(zh(text)) == (
        "repeated_sentences")


def test_content_words_are_cached_per_unit() -> None:
    d = Document("d", "工作人员说要不就是这样")
    assert content_words(d, "char")[:4] == ["工", "作", "人", "员"]
    assert content_words(d, "jieba")[:2] == ["工作人员", "说"]


def test_char_unit_stop_words_are_substrings_of_the_text(tmp_path: Path) -> None:
    path = tmp_path / "stop.txt"
    path.write_text("但是\n因为\n", encoding="utf-8")
    stage = only(min_stop_words=2, stop_words_path=str(path))
    assert stage.apply(zh(HAN100[:30] + "因为下雨，但是")) is None  # two-character entries found as written
    assert stage.apply(zh(HAN100[:30] + "因为下雨")) == "too_few_stop_words"


def test_script_tables_read_as_utf8_whatever_the_locale() -> None:
    env = {**os.environ, "LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"}
    code = "from pretrain_clean.filters.chinese import _opencc_chars; print(len(_opencc_chars('STCharacters.txt')))"
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=Path(__file__).resolve().parent.parent,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert int(out.stdout) == len(_opencc_chars("STCharacters.txt"))


# --- the ROOTS repetition ratios and the Han definition chinese_quality counts with -------------

def test_char_repetition_ratio_counts_the_top_sqrt_repeated_ngrams() -> None:
    assert char_repetition_ratio("abcabcabc", 3) == 3 / 7  # abc x3, bca x2, cab x2: top floor(sqrt(3)) = 1
    # 10 distinct characters, one repeated: floor(sqrt(10)) = 3, but only 1 is repeated
    assert char_repetition_ratio("aaaaabcdefghij", 1) == 5 / 14
    assert char_repetition_ratio("abab", 2) == 2 / 3
    assert char_repetition_ratio("abc", 3) == 0.0 and char_repetition_ratio("ab", 3) == 0.0


def test_word_repetition_ratio_counts_repeated_ngram_occurrences() -> None:
    assert word_repetition_ratio("today is sunday sunday sunday sunday sunday and".split(), 3) == 0.5
    assert word_repetition_ratio(["a", "b", "a", "b"], 2) == 2 / 3  # ab twice, ba once
    assert word_repetition_ratio(["a", "b", "c"], 3) == 0.0  # one n-gram, seen once
    assert word_repetition_ratio(["a", "b"], 3) == 0.0


def test_han_is_unified_ideographs_only() -> None:
    assert count_han("中文 text，〇々") == 2
    assert count_han("\u3400\u4e00\u9fff\uf900\U00020000\U0002fa1f\U00030000\U000323af") == 8
    assert count_han("\u33ff\ua000\U0002fa20\U000323b0ぁア") == 0
    assert re2_class(((0x3041, 0x309F), (0x4E00, 0x9FFF))) == "\\x{3041}-\\x{309f}\\x{4e00}-\\x{9fff}"


def test_repetition_ratios_default_to_10_grams() -> None:
    # one 10-gram repeats (2 of 11 occurrences); no 11-gram does
    assert char_repetition_ratio("abcdefghij" * 2) == 2 / 11
    assert word_repetition_ratio(list("abcdefghij") * 2) == 2 / 11
