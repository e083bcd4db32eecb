"""The stage protocol's setup rule: the caller sets a stage up once per process; a stage used
before its ``setup()`` raises one clear error, which the cascade does not turn into a
quarantined document."""
from __future__ import annotations

import pytest

from conftest import ready
from pretrain_clean.filters.chinese import ChineseQuality
from pretrain_clean.filters.gopher import GopherQuality
from pretrain_clean.filters.toxicity import Toxicity
from pretrain_clean.pipeline.cascade import Cascade
from pretrain_clean.pipeline.document import Document
from pretrain_clean.pipeline.stage import Stage, StageNotSetUp
from pretrain_clean.pipeline.stats import Stats

EN = " ".join(["the cat sat on the mat and looked at the dog"] * 10)
ZH = "这本书的内容非常丰富，作者写得很认真，值得推荐给大家阅读。" * 5
CASES = [(GopherQuality, EN, "en", None), (ChineseQuality, ZH, "zh", "word_repetition"), (Toxicity, EN, "en", None)]


@pytest.mark.parametrize("kind,text,language,decision", CASES)
def test_a_stage_used_before_setup_says_so(kind: type[Stage], text: str, language: str, decision: str | None) -> None:
    doc = Document("d", text, meta={"language": language})
    with pytest.raises(StageNotSetUp, match=rf"stage '{kind.name}' used before setup\(\)"):
        kind().apply(doc)
    assert ready(kind()).apply(doc) == decision


@pytest.mark.parametrize("kind,text,language,decision", CASES)
def test_the_cascade_stops_instead_of_quarantining(kind: type[Stage], text: str, language: str,
                                                    decision: str | None) -> None:
    with pytest.raises(StageNotSetUp):
        Cascade([kind()]).run([Document("d", text, meta={"language": language})], Stats())
