"""data-juicer's Chinese-relevant filter tests, ported (issue 11, item 5).

Source: modelscope/data-juicer, ``tests/ops/filter/test_<name>_filter.py`` (each case below
names its test). data-juicer's expected outcome is ``dj_keep``; we run our measure with the
test's thresholds and must agree, except for the cases in ``DIFFERENCES``, which
docs/rules.md ("data-juicer test ports") lists with the reason. The agreement counts there
are asserted at the bottom.

Our measures: character repetition and word repetition are the same formulas
(filters/repetition_ratios.py) over our tokens (jieba words for Chinese where data-juicer
uses a sentencepiece model); special characters = ``special_characters``; words =
punctuation-free tokens (``content_words``); flagged words = ``toxicity`` with the LDNOOBW
lists (hits per word, ``min_words`` = 1); stop words = our stop-word rules (Gopher's 8 words
for English, ``chinese_quality``'s list as jieba words for Chinese, at least 2 distinct);
text length = non-whitespace characters; average line length = mean characters of
non-blank lines.
"""
from __future__ import annotations

from typing import Callable

import pytest

from pretrain_clean.filters.chinese import ChineseQuality, content_words
from pretrain_clean.filters.cjk import HAN_RE
from pretrain_clean.filters.gopher import GopherQuality
from pretrain_clean.filters.repetition_ratios import char_repetition_ratio, word_repetition_ratio
from pretrain_clean.filters.special_chars import special_char_ratio
from pretrain_clean.filters.toxicity import Toxicity
from pretrain_clean.pipeline.document import Document

SYMBOLS = "，。、„”“«»１」「《》´∶：？！（）；–—．～’…━〈〉【】％►"
SUNDA = "Today is Sund Sund Sund Sund Sund Sunda and it's a happy day!"


def doc(text: str) -> Document:
    return Document("d", text)


def unit(text: str) -> str:
    return "jieba" if HAN_RE.search(text) else "char"


def words(text: str) -> list[str]:
    return content_words(doc(text), unit(text))


_TOX: dict[str, Toxicity] = {}


def flagged_ratio(text: str) -> float:
    if "t" not in _TOX:
        _TOX["t"] = Toxicity(min_words=1, chinese_words="jieba")
        _TOX["t"].setup()
    return _TOX["t"].density(text)[1]


def stop_words_keep(text: str) -> bool:
    if unit(text) == "jieba":
        stage = ChineseQuality(chinese_words="jieba")
        stage.setup()
        return stage._stop_word_count(Document("d", text, meta={"language": "zh"})) >= 2
    stage = GopherQuality()
    stage.setup()
    return len(stage._stop_words.intersection(w for w in doc(text).text.split())) >= 2


def visible(text: str) -> int:
    return len(text) - sum(ch.isspace() for ch in text)


def avg_line(text: str) -> float:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return sum(map(len, lines)) / len(lines) if lines else 0.0


Measure = Callable[[str], bool]
SOURCES: dict[str, tuple[Measure, list[tuple[str, bool]]]] = {
    "test_character_repetition_filter.test_case": (
        lambda t: char_repetition_ratio(t, 5) <= 0.4,
        [(SUNDA, False), ("a v s e c s f e f g a a a a a a a a a a", False), (SYMBOLS, True),
         ("中文也是一个字算一个长度", True)],
    ),
    "test_word_repetition_filter.test_en_case": (
        lambda t: word_repetition_ratio(words(t), 3) <= 0.2,
        [("Today is Sunday Sunday Sunday Sunday Sunday and it's a happy day!", False),
         ("Today is Sunday Sunday Sunday and it's a happy day!", True), (SUNDA, False),
         ("plusieurs èrdash@hqbchd.ckd d'accéder à ces wwwasdasd fonc", True),
         ("This proposed a novel proposed pretraining proposed pretraining.", True)],
    ),
    "test_word_repetition_filter.test_zh_case": (
        lambda t: word_repetition_ratio(words(t), 3) <= 0.2,
        [("去除字母、数字、下划线占比过低或过高的代码", True), ("欢迎来到阿里巴巴巴巴巴巴巴巴", False),
         ("使用片段分词器对每个页面进行分词，使用语言模型计算每个段落的困惑度得分", True),
         ("根据算子使用使用使用使用安装方案确定", False),
         ("基于前一步结果，在同一个聚类中找出那些过长文档为假正例，暂不进行滤除", True)],
    ),
    "test_special_characters_filter.test_case": (
        lambda t: special_char_ratio(t) <= 0.25,
        [("Today is Sunday and it's a happy day!", True), ("Today is Sund Sund Sund Sund Sunda and it's a happy day!", True),
         ("a v s e c s f e f g a qkc", False), (SYMBOLS, False), ("Do you need a cup of coffee?", True),
         ("emoji表情测试下😊，😸31231", False)],
    ),
    "test_words_num_filter.test_case": (
        lambda t: 5 <= len(words(t)) <= 15,
        [("Today is Sun", False), (SUNDA, True), ("a v s e c s f e f g a a a  ", True), (SYMBOLS, False)],
    ),
    "test_words_num_filter.test_zh_case": (
        lambda t: 10 <= len(words(t)) <= 25,
        [("你好，请问你是谁", False), ("欢迎来到阿里巴巴", False), ("根据算子使用情况增量安装方案确定", False),
         ("去除字母、数字、下划线占比过低或过高的代码", True),
         ("使用片段分词器对每个页面进行分词，使用语言模型计算每个段落的困惑度得分，由此过滤低质量文本", False),
         ("基于前一步结果，在同一个聚类中找出那些过长文档为假正例，暂不进行滤除", True)],
    ),
    "test_flagged_words_filter.test_en_case": (
        lambda t: flagged_ratio(t) <= 0.045,
        [("Today is anal cumshot day", False), ("Fuck you doggystyle!", False), (SYMBOLS, True),
         ("Do you need a cup of coffee?", True), ("emoji表情测试下😊，😸31231\n", True)],
    ),
    "test_flagged_words_filter.test_zh_case": (
        lambda t: flagged_ratio(t) <= 0.045,
        [("你是个卖淫女", False), ("根据算子使用情况增量安装方案确定", True), ("去除字母、数字、下划线占比过低或过高的代码", True),
         ("基于前一步结果，除掉打飞机、三级片等敏感词", False),
         ("使用片段分词器对每个页面进行分词，使用语言模型计算每个段落的困惑度得分，由此过滤低质量文本", True)],
    ),
    "test_stopwords_filter.test_en_case": (
        stop_words_keep,
        [("Today is Sunday and it's a happy day!", True), (SUNDA, True), ("a v s e c s f e f g a qkc", False),
         (SYMBOLS, False), ("Do you need a cup of coffee?", True)],
    ),
    "test_stopwords_filter.test_zh_case": (
        stop_words_keep,
        [("你好，请问你是谁", True), ("字母、数字、下划线、占比、代码", False),
         ("基于前一步结果，在同一个聚类中找出那些过长文档为假正例，暂不进行滤除", True),
         ("使用片段分词器对每个页面进行分词，使用语言模型计算每个段落的困惑度得分，由此过滤低质量文本", True)],
    ),
    "test_text_length_filter.test_case": (
        lambda t: 10 <= visible(t) <= 50,
        [("Today is", False), (SUNDA, False), ("a v s e c s f e f g a a a  ", True), (SYMBOLS, True),
         ("中文也是一个字算一个长度", True)],
    ),
    "test_average_line_length_filter.test_case_default": (
        lambda t: 10 <= avg_line(t) <= 20,
        [("a=1\nb\nc=1+2+3+5\nd=6", False), ("Today is Sund Sund Sunda and it's a happy day!\nYou know", False),
         ("a v s e e f g a qkc", True), (SYMBOLS, False), ("Do you need a cup of coffee?", False),
         ("emoji表情测试下😊，😸31231\n", True)],
    ),
}

DIFFERENCES: dict[tuple[str, str], str] = {
    ("test_word_repetition_filter.test_zh_case", "欢迎来到阿里巴巴巴巴巴巴巴巴"):
        "segmentation: jieba cuts 阿里巴巴|巴巴|巴巴|巴巴, no repeated word 3-gram (data-juicer's "
        "sentencepiece pieces repeat); our character rules catch it (repeated_characters)",
    ("test_special_characters_filter.test_case", "a v s e c s f e f g a qkc"):
        "whitespace is not special for us (data-juicer counts string.whitespace): ratio of visible characters",
    ("test_special_characters_filter.test_case", "emoji表情测试下😊，😸31231"):
        "digits are not special for us (data-juicer counts string.digits; prices and dates are content)",
    ("test_words_num_filter.test_zh_case",
     "使用片段分词器对每个页面进行分词，使用语言模型计算每个段落的困惑度得分，由此过滤低质量文本"):
        "segmentation: 22 jieba words (<= 25); data-juicer's sentencepiece gives more pieces",
    ("test_stopwords_filter.test_en_case", "Today is Sunday and it's a happy day!"):
        "English stop words are Gopher's 8 (datatrove parity): only 'and' here",
    ("test_stopwords_filter.test_en_case", SUNDA): "English stop words are Gopher's 8: only 'and' here",
    ("test_stopwords_filter.test_en_case", "Do you need a cup of coffee?"): "Gopher's 8: only 'of' here",
    ("test_stopwords_filter.test_zh_case", "你好，请问你是谁"):
        "our Chinese list has 38 function words and needs 2 distinct: only 是 here (7-character text)",
    ("test_text_length_filter.test_case", SUNDA):
        "length counts non-whitespace characters (49), data-juicer len(text) (61)",
}
"""(source test, text) -> why we decide otherwise (listed in docs/rules.md)."""

CASES = [(name, text, keep) for name, (_, cases) in SOURCES.items() for text, keep in cases]


@pytest.mark.parametrize(("source", "text", "dj_keep"), CASES, ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(CASES)])
def test_ported_case(source: str, text: str, dj_keep: bool) -> None:
    ours = SOURCES[source][0](text)
    expected = dj_keep if (source, text) not in DIFFERENCES else not dj_keep
    assert ours == expected, DIFFERENCES.get((source, text), "")


def test_agreement_counts_match_the_docs() -> None:
    """docs/rules.md: 51 of 60 data-juicer cases agree, 9 are listed differences."""
    assert (len(CASES), len(DIFFERENCES)) == (60, 9)
    assert all(key in {(n, t) for n, t, _ in CASES} for key in DIFFERENCES)
