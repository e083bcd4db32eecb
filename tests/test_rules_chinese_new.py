"""The Chinese rules added for issue 11: half-width punctuation, line rules on single-line
texts, average line length, repeated sentences, non-Chinese share, ROOTS repetition ratios,
word counts and stop words as jieba words, boilerplate lines, toxicity on word boundaries.
Each threshold is tested at its value and on each side."""
from __future__ import annotations

import pytest

from pretrain_clean.filters.chinese import (
    ChineseQuality,
    non_chinese_fraction,
    punctuation_count,
    repeated_sentence_fraction,
)
from pretrain_clean.filters.chinese_lines import ChineseBoilerplate, is_boilerplate_line
from pretrain_clean.filters.toxicity import Toxicity
from pretrain_clean.pipeline.document import Document
from conftest import ready

# 100 distinct Han characters (the Thousand Character Classic), no repeated n-gram.
HAN100 = (
    "天地玄黄宇宙洪荒日月盈昃辰宿列张寒来暑往秋收冬藏闰余成岁律吕调阳云腾致雨露结为霜金生丽水玉出昆冈剑号巨阙珠称夜光"
    "果珍李柰菜重芥姜海咸河淡鳞潜羽翔龙师火帝鸟官人皇始制文字乃服衣裳推位让国有虞陶唐吊民伐罪周发殷汤坐朝问道垂拱"
)[:100]
REVIEW = "房间很大,很干净,服务也不错.早餐一般,但是价格便宜,交通方便,离地铁站只有五分钟.总的来说还是值得推荐的,下次出差还会住这里."


def only(**rules: object) -> ChineseQuality:
    """A ChineseQuality with every rule off except ``rules``."""
    off = dict(
        min_chars=None, max_chars=None, min_han_ratio=None, min_punct_per_han=None, max_punct_per_han=None,
        max_garbled_ratio=None, max_script_mix=None, max_char_run_ratio=None, max_char_repetition_ratio=None,
        max_word_repetition_ratio=None, min_terminal_lines_ratio=None, max_short_lines_ratio=None,
        min_avg_line_chars=None, max_dup_line_chars_ratio=None, max_repeated_sentence_ratio=None,
        max_non_chinese_ratio=None, min_stop_words=None,
    )
    off.update(rules)
    stage = ChineseQuality(**off)
    stage.setup()
    return stage


def zh(text: str) -> Document:
    return Document("z", text, meta={"language": "zh"})


def test_half_width_punctuation_after_han_counts() -> None:
    assert punctuation_count(REVIEW) == 9
    assert punctuation_count("version 3.5, see www.example.com.") == 0
    long_review = REVIEW + "前台服务热情,办理入住很快.房间朝南,阳光充足,床品干净舒适.楼下有很多餐馆,吃饭很方便.唯一的缺点是隔音不太好,晚上能听到走廊的声音."
    assert ready(ChineseQuality()).apply(zh(long_review)) is None  # was too_little_punctuation
    unpunctuated = REVIEW.replace(",", "").replace(".", "")
    assert only(min_punct_per_han=0.02).apply(zh(unpunctuated)) == "too_little_punctuation"
    spaced = REVIEW.replace(",", " ").replace(".", " ")  # spaces for commas: clauses of 5.1 characters
    assert only(min_punct_per_han=0.02).apply(zh(spaced)) is None
    keywords = " ".join(["北京", "上海", "广州", "深圳", "天津", "重庆", "南京", "杭州"] * 4)
    assert only(min_punct_per_han=0.02).apply(zh(keywords)) == "too_little_punctuation"


@pytest.mark.parametrize(("marks", "reason"), [(1, "too_little_punctuation"), (2, None), (3, None)])
def test_min_punct_per_han_edges(marks: int, reason: str | None) -> None:
    """0.02 per Han character: 2 marks for 100 Han characters is at the threshold."""
    text = HAN100[:50] + "，" * (marks > 0) + HAN100[50:] + "." * (marks - 1)
    assert only(min_punct_per_han=0.02).apply(zh(text)) == reason


def test_single_line_text_is_not_judged_by_line_rules() -> None:
    one_line = REVIEW.rstrip(".")  # no terminal mark at the end: the old rule dropped it
    assert only(min_terminal_lines_ratio=0.12).apply(zh(one_line)) is None
    three = "\n".join([one_line] * 3).replace(one_line, "甲乙丙丁", 1)
    assert only(min_terminal_lines_ratio=0.12).apply(zh(three)) == "few_terminated_lines"


@pytest.mark.parametrize(("lines", "judged"), [(2, False), (3, True)])
def test_min_lines_for_line_rules_edges(lines: int, judged: bool) -> None:
    text = "\n".join(["首页"] * lines)
    expect = "too_many_short_lines" if judged else None
    assert only(max_short_lines_ratio=0.67).apply(zh(text)) == expect


@pytest.mark.parametrize(("chars", "reason"), [(9, "short_average_line"), (10, None), (11, None)])
def test_min_avg_line_chars_edges(chars: int, reason: str | None) -> None:
    lines = [HAN100[i * chars : (i + 1) * chars] for i in range(4)]
    assert only(min_avg_line_chars=10).apply(zh("\n".join(lines))) == reason


def test_repeated_sentences() -> None:
    s1, s2 = "房间很干净。", "服务很好！"
    assert repeated_sentence_fraction(s1 + s2 + s1) == pytest.approx(6 / 17)
    assert repeated_sentence_fraction("好。好。好。", min_chars=5) == 0.0  # short sentences never count
    stage = only(max_repeated_sentence_ratio=0.2)
    # one repeat of a 20-character sentence in 100 characters: 0.2, at the threshold, kept
    sentence = HAN100[:19] + "。"
    at = sentence + HAN100[20:79] + "。" + sentence
    assert len(at) == 100 and stage.apply(zh(at)) is None
    assert stage.apply(zh(at[:-20].rstrip() + sentence[1:] + "。" + sentence)) in (None, "repeated_sentences")
    over = sentence + HAN100[20:78] + "。" + sentence
    assert stage.apply(zh(over)) == "repeated_sentences"  # 20/99


@pytest.mark.parametrize(("latin", "reason"), [(49, None), (50, None), (51, "too_many_non_chinese_chars")])
def test_max_non_chinese_ratio_edges(latin: int, reason: str | None) -> None:
    text = HAN100[: 100 - latin] + " " + "a" * latin + "，。"
    assert non_chinese_fraction(text) == latin / 100
    assert only(max_non_chinese_ratio=0.5).apply(zh(text)) == reason


def test_char_and_word_repetition_rules() -> None:
    spam = "欢迎光临本店，全场包邮。" * 20
    assert only(max_char_repetition_ratio=0.5).apply(zh("哈" * 100 + REVIEW)) == "char_repetition"  # 0.587
    assert only(max_char_repetition_ratio=0.5).apply(zh(spam)) is None  # 12 distinct 10-grams: 0.26
    assert only(max_word_repetition_ratio=0.5, chinese_words="jieba").apply(zh(spam)) == "word_repetition"
    assert only(max_char_repetition_ratio=0.5, max_word_repetition_ratio=0.5).apply(zh(REVIEW)) is None


@pytest.mark.parametrize(("min_words", "reason"), [(26, None), (27, None), (28, "too_few_words")])
def test_min_words_counts_jieba_words(min_words: int, reason: str | None) -> None:
    doc = zh(REVIEW)
    stage = only(min_words=min_words, chinese_words="jieba")
    assert stage.apply(doc) == reason
    assert only(min_words=28).apply(zh(REVIEW)) is None  # 55 "char" words


def test_stop_words_as_jieba_words() -> None:
    # "的" and "是" are in the text only inside words jieba keeps whole (目的, 但是 -> 但是 is an entry)
    text = "目的地" + HAN100
    assert only(min_stop_words=1).apply(zh(text)) is None  # "的" found as a substring
    assert only(min_stop_words=1, chinese_words="jieba").apply(zh(text)) == "too_few_stop_words"


def test_boilerplate_lines_removed_and_counted() -> None:
    page = "\n".join([
        "首页 > 新闻中心 > 正文",
        "会议指出，要坚持稳中求进工作总基调，推动经济实现质的有效提升和量的合理增长。",
        "扫一扫，分享到微信朋友圈",
        "责任编辑：张三",
        "版权所有 © 2024 新华网 京ICP备12345678号",
        "马丁·路德·金的演讲被多次引用。",
        "缺页 重复页 活像盗版书",
    ])
    stage = ChineseBoilerplate()
    doc = zh(page)
    assert stage.apply(doc) is None
    assert doc.text.split("\n") == [
        "会议指出，要坚持稳中求进工作总基调，推动经济实现质的有效提升和量的合理增长。",
        "马丁·路德·金的演讲被多次引用。",
        "缺页 重复页 活像盗版书",
    ]
    assert doc.meta["boilerplate_lines"] == 4
    empty = zh("扫码关注公众号\n返回首页")
    assert stage.apply(empty) == "no_lines_left"
    english = Document("e", "Share to WeChat\nCopyright 2024", meta={"language": "en"})
    assert stage.apply(english) is None and english.text == "Share to WeChat\nCopyright 2024"


@pytest.mark.parametrize(("chars", "removed"), [(49, True), (50, True), (51, False)])
def test_boilerplate_max_line_chars_edges(chars: int, removed: bool) -> None:
    line = "版权所有" + HAN100[: chars - 4]
    assert len(line) == chars
    assert is_boilerplate_line(line, 50) is removed


def test_toxicity_jieba_counts_hits_starting_on_a_word_boundary() -> None:
    text = "他叫做爱心大使。" * 20
    char = Toxicity(chinese_words="char")
    word = Toxicity(chinese_words="jieba")
    char.setup()
    word.setup()
    assert char.density(text)[0] == 20  # 做爱 inside 叫做|爱心
    assert word.density(text)[0] == 0
    assert word.density("你是个卖淫女")[0] == 1  # a term that begins a longer word counts


@pytest.mark.parametrize(("text", "reason"), [("甲甲乙丙丁", None), ("甲甲乙丙", None), ("甲甲甲乙", "char_repetition")])
def test_max_char_repetition_ratio_edges(text: str, reason: str | None) -> None:
    """1-grams: 2/5 under, 2/4 = 0.5 at the threshold (kept), 3/4 over."""
    assert only(max_char_repetition_ratio=0.5, char_rep_len=1).apply(zh(text)) == reason


@pytest.mark.parametrize(("text", "reason"), [("甲甲乙丙丁", None), ("甲甲乙丙", None), ("甲甲甲乙", "word_repetition")])
def test_max_word_repetition_ratio_edges(text: str, reason: str | None) -> None:
    """Word 1-grams of the "char" unit: 2/5 under, 2/4 = 0.5 at the threshold (kept), 3/4 over."""
    assert only(max_word_repetition_ratio=0.5, word_rep_len=1).apply(zh(text)) == reason


def test_boilerplate_keeps_blank_lines_and_its_own_line_limit() -> None:
    doc = zh("会议今天举行。\n\n代表们讨论了议题。\n扫码关注")
    assert ChineseBoilerplate().apply(doc) is None
    assert doc.text == "会议今天举行。\n\n代表们讨论了议题。" and doc.meta["boilerplate_lines"] == 1
    line = "版权所有" + HAN100[:16]  # 20 characters
    long_line = zh(HAN100[:30] + "\n" + line)
    assert ChineseBoilerplate(max_line_chars=19).apply(long_line) is None
    assert long_line.text == HAN100[:30] + "\n" + line  # kept: longer than the stage's limit
    assert ChineseBoilerplate(max_line_chars=20).apply(doc := zh(HAN100[:30] + "\n" + line)) is None
    assert doc.text == HAN100[:30]


def test_boilerplate_line_default_limit_is_50() -> None:
    assert is_boilerplate_line("版权所有" + HAN100[:46]) is True
    assert is_boilerplate_line("版权所有" + HAN100[:47]) is False
