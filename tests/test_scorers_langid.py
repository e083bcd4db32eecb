"""language_id: fastText LID-176 (bundled), zh/en mixed documents, config errors, pickling."""
from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from pretrain_clean.filters.langid import LanguageId
from pretrain_clean.pipeline.config import ConfigError, parse_config, setup_stages
from pretrain_clean.pipeline.document import Document
from conftest import ready

ROOT = Path(__file__).resolve().parent.parent

EN = "The Danube is the second-longest river in Europe. It flows through ten countries and empties into the Black Sea."
ZH = "长江是亚洲第一长河，全长六千三百多公里，流经青海、西藏、四川等十一个省级行政区，最后注入东海。"
FR = "La Loire est le plus long fleuve de France. Elle prend sa source au mont Gerbier-de-Jonc."
MIXED = (
    "本文介绍数据清洗流程中的去重方法和质量过滤。\n"
    "The pipeline removes near-duplicate documents with MinHash and locality-sensitive hashing.\n"
    "我们在中文和英文网页上都做了实验，结果表明过滤后模型的效果更好。\n"
    "Perplexity filtering keeps the documents that look most like Wikipedia."
)


@pytest.fixture(scope="module")
def stage() -> LanguageId:
    s = LanguageId()
    s.setup()
    return s


def run(stage: LanguageId, *texts: str) -> tuple[list[str | None], list[Document]]:
    docs = [Document(str(i), t) for i, t in enumerate(texts)]
    return stage.apply_batch(docs), docs


def test_english_and_chinese_are_kept_with_language_and_score(stage: LanguageId) -> None:
    reasons, docs = run(stage, EN, ZH)
    assert reasons == [None, None]
    assert [d.meta["language"] for d in docs] == ["en", "zh"]
    assert all(0.5 <= d.meta["language_score"] <= 1.0 for d in docs)


def test_other_language_is_dropped_with_reason(stage: LanguageId) -> None:
    reasons, docs = run(stage, FR)
    assert reasons == ["unwanted_language"]
    assert docs[0].meta["language"] == "fr"


def test_low_score_is_dropped() -> None:
    s = ready(LanguageId(min_score=0.999))
    assert s.apply(Document("1", "ok fine")) in {"low_language_score", "unwanted_language"}


def test_mixed_chinese_english_is_kept_and_reports_both_shares(stage: LanguageId) -> None:
    reasons, docs = run(stage, MIXED)
    assert reasons == [None]
    mix = docs[0].meta["language_mix"]
    assert set(mix) >= {"en", "zh"} and min(mix["en"], mix["zh"]) > 0.3
    assert docs[0].meta["language"] in {"en", "zh"}


def test_mixed_document_is_dropped_when_only_english_is_wanted() -> None:
    s = ready(LanguageId(languages=["en"]))
    mostly_zh = MIXED.replace("Perplexity filtering keeps the documents that look most like Wikipedia.", ZH + "\n" + ZH)
    doc = Document("1", mostly_zh)
    assert s.apply(doc) == "unwanted_language"
    assert doc.meta["language"] == "zh" and 0 < doc.meta["language_mix"]["en"] < 0.5


def test_apply_and_apply_batch_agree(stage: LanguageId) -> None:
    texts = [EN, ZH, FR, MIXED]
    batch_reasons, batch_docs = run(stage, *texts)
    single = [Document(str(i), t) for i, t in enumerate(texts)]
    assert [stage.apply(d) for d in single] == batch_reasons
    assert [d.meta for d in single] == [d.meta for d in batch_docs]


def test_pickles_without_model_and_scores_identically(stage: LanguageId) -> None:
    blob = pickle.dumps(stage)
    assert len(blob) < 1000  # fields only, no model
    clone = pickle.loads(blob)
    assert clone == stage
    clone.setup()
    assert run(clone, EN, ZH, MIXED)[1][2].meta == run(stage, EN, ZH, MIXED)[1][2].meta


def test_missing_model_is_a_config_error_naming_the_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"stages\[0\] \(language_id\)\.model_path: file not found"):
        parse_config({"stages": [{"stage": "language_id", "model_path": "nope/lid.ftz"}]}, tmp_path)


def test_corrupt_model_fails_setup_naming_the_key(tmp_path: Path) -> None:
    (tmp_path / "lid.ftz").write_bytes(b"not a fasttext model")
    spec = parse_config({"stages": [{"stage": "language_id", "model_path": "lid.ftz"}]}, tmp_path)
    with pytest.raises(ConfigError, match=r"stages\[0\] \(language_id\): setup failed: model_path: not a readable fastText model"):
        setup_stages(spec.stages)


def test_short_chinese_review_with_ascii_punctuation_is_chinese(stage: LanguageId) -> None:
    review = "书的质量很差,味道也很大.看一会就眼睛疼"  # whole-text LID-176 says en 0.12
    doc = Document("r", review)
    assert stage.apply(doc) is None
    assert doc.meta["language"] == "zh" and doc.meta["language_score"] >= 0.5
    unsegmented = LanguageId(space_han=False)
    unsegmented.setup()
    assert unsegmented.apply(Document("r", review)) == "low_language_score"
