"""toxicity: LDNOOBW word lists with a density threshold, optional fastText classifier, pickling."""
from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from pretrain_clean.filters.toxicity import Toxicity
from pretrain_clean.filters.training.corpus import read_texts
from pretrain_clean.filters.training.fasttext_clf import train_classifier
from pretrain_clean.pipeline.config import ConfigError, parse_config, setup_stages
from pretrain_clean.pipeline.document import Document
from conftest import ready

ROOT = Path(__file__).resolve().parent.parent

TOXIC = "Shut up, you stupid bitch. Fuck you and fuck your whole family, you worthless asshole."
MEDICAL = (
    "Hypospadias is a congenital condition in which the opening of the urethra is on the underside "
    "of the penis instead of at the tip. It is one of the most common birth anomalies in boys and is "
    "usually diagnosed during the newborn examination. Surgery to correct it is typically carried out "
    "between six and eighteen months of age, and most children have good long-term outcomes with "
    "normal urinary function."
)
ZH_TOXIC = "你他妈的是个傻逼，操你妈，滚！"
ZH_CLEAN = "这款牛奶的性价比很高，乳制品的质量也有保障，可能性很大的是我会再次购买。"


@pytest.fixture(scope="module")
def stage() -> Toxicity:
    s = Toxicity()
    s.setup()
    return s


def test_toxic_text_is_dropped_with_reason_and_scores(stage: Toxicity) -> None:
    doc = Document("t", TOXIC)
    assert stage.apply(doc) == "toxic_words"
    assert doc.meta["toxic_hits"] >= 4 and doc.meta["toxic_density"] > stage.max_density


def test_medical_text_with_one_incidental_word_is_kept(stage: Toxicity) -> None:
    doc = Document("m", MEDICAL)
    assert stage.apply(doc) is None
    assert doc.meta["toxic_hits"] == 1  # "penis" is on the list; one hit is never enough


def test_single_hit_in_a_short_text_is_kept(stage: Toxicity) -> None:
    assert stage.apply(Document("s", "Sex education starts at school.")) is None


def test_english_matches_on_word_boundaries_only(stage: Toxicity) -> None:
    hits, _ = stage.density("The class assessed Scunthorpe's cocktails and analysis of a bassist.")
    assert hits == 0


def test_chinese_matches_substrings_but_not_single_characters(stage: Toxicity) -> None:
    toxic, clean = Document("z", ZH_TOXIC), Document("c", ZH_CLEAN)
    assert stage.apply_batch([toxic, clean]) == ["toxic_words", None]
    assert clean.meta["toxic_hits"] == 0  # 性, 奶, 乳 are single-character entries: skipped


@pytest.fixture(scope="module")
def classifier(tmp_path_factory: pytest.TempPathFactory) -> Path:
    toxic = [
        "you are a pathetic loser and everyone hates you, go away idiot",
        "shut up moron, nobody wants your stupid opinion, you disgusting idiot",
        "what a worthless piece of garbage you are, pathetic and stupid",
        "go away you idiot loser, you are stupid and disgusting",
        "nobody likes you moron, you are pathetic trash",
        "stupid idiot, shut up and go away, everyone hates you",
    ] * 5
    clean = list(read_texts([str(ROOT / "data" / "sample" / "web_en" / "demos_data_mixture_data_redpajama-c4-refined.jsonl")]))
    out = tmp_path_factory.mktemp("toxicity") / "toxicity.bin"
    train_classifier(toxic, clean, str(out), ("toxic", "clean"), dim=32, chunk_tokens=0)
    return out


def test_classifier_scores_and_drops_when_configured(classifier: Path) -> None:
    # the fixture's card says demo-sized (30 documents a class): without the key it only scores
    insult = Document("i", "you pathetic idiot, shut up, everyone hates you")
    assert ready(Toxicity(model_path=str(classifier))).apply_batch([insult]) == [None]
    stage = ready(Toxicity(model_path=str(classifier), drop_with_demo_model=True))
    insult = Document("i", "you pathetic idiot, shut up, everyone hates you")
    ok = Document("o", MEDICAL)
    assert stage.apply_batch([insult, ok]) == ["toxic_classifier", None]
    assert insult.meta["toxicity_score"] > 0.5 > ok.meta["toxicity_score"]
    assert insult.meta["toxic_hits"] == 0  # the word list alone would have kept it


def test_pickles_without_model_and_scores_identically(classifier: Path) -> None:
    stage = Toxicity(model_path=str(classifier))
    stage.setup()
    blob = pickle.dumps(stage)
    clone = pickle.loads(blob)
    assert clone == stage and not hasattr(clone, "_model") and len(blob) < 1000
    texts = [TOXIC, MEDICAL, ZH_TOXIC, ZH_CLEAN]
    a, b = [Document(str(i), t) for i, t in enumerate(texts)], [Document(str(i), t) for i, t in enumerate(texts)]
    clone.setup()
    assert stage.apply_batch(a) == clone.apply_batch(b)
    assert [d.meta for d in a] == [d.meta for d in b]


def test_missing_wordlist_and_model_name_their_keys(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"\(toxicity\)\.wordlists\.en: file not found"):
        parse_config({"stages": [{"stage": "toxicity", "wordlists": {"en": "no/such/list"}}]}, tmp_path)
    with pytest.raises(ConfigError, match=r"\(toxicity\)\.model_path: file not found"):
        parse_config({"stages": [{"stage": "toxicity", "model_path": "no/model.bin"}]}, tmp_path)
