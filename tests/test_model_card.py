"""Model cards: written by training, read by the scorer stages; a demo-sized model only annotates."""
from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path

import pytest

from pretrain_clean.filters import model_card as mc
from pretrain_clean.filters.model_files import ModelFileError, resolve
from pretrain_clean.filters.perplexity import Perplexity
from pretrain_clean.filters.quality import QualityClassifier
from pretrain_clean.filters.training.corpus import read_texts
from pretrain_clean.filters.training.fasttext_clf import train_classifier
from pretrain_clean.pipeline.document import Document
from pretrain_clean.tokenizer.sample import text_hash
from conftest import ready

ROOT = Path(__file__).resolve().parent.parent
TRAIN = ROOT / "data" / "train"
BUNDLED_QUALITY = resolve("bundled:models/quality/en.ftz")
TEXT = "Some English text that the model scores, long enough to get a score from it."


@pytest.fixture(autouse=True)
def _fresh_warnings() -> None:
    mc._WARNED.clear()


def copy_model(tmp_path: Path, training_documents: dict[str, int], marked: list[str] | None = None) -> Path:
    """The bundled quality model in ``tmp_path`` with a card claiming ``training_documents``."""
    model = tmp_path / "q.ftz"
    shutil.copyfile(BUNDLED_QUALITY, model)
    card = json.loads(Path(mc.card_path(str(BUNDLED_QUALITY))).read_text())
    card.update(training_documents=training_documents, demo_reasons=mc.demo_reasons(training_documents, marked))
    Path(mc.card_path(str(model))).write_text(json.dumps(card))
    return model


def score_one(stage: QualityClassifier) -> tuple[str | None, Document]:
    doc = Document("d", TEXT, meta={"language": "en"})
    return ready(stage).apply_batch([doc])[0], doc


def test_demo_threshold_is_exactly_the_documented_number() -> None:
    at = mc.MIN_TRAINING_DOCUMENTS
    assert mc.demo_reasons({"hq": at, "lq": at}) == []
    assert mc.demo_reasons({"hq": at - 1, "lq": at}) == [f"hq: {at - 1:,} training documents (< {at:,})"]
    assert mc.demo_reasons({"hq": at + 1, "lq": at + 1}, ["trained on what it scores"]) == ["trained on what it scores"]


def test_demo_card_only_annotates_and_warns_once(tmp_path: Path) -> None:
    model = copy_model(tmp_path, {"hq": 100, "lq": 100})
    with pytest.warns(mc.DemoModelWarning, match=r"demo-sized .*hq: 100 training documents"):
        first = QualityClassifier(model_path=str(model), min_score=1.01)  # everything is below 1.01
        reason, doc = score_one(first)
    assert reason is None and doc.meta["quality_score"] < first.min_score  # under the threshold, kept
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a second stage on the same model must not warn again
        assert score_one(QualityClassifier(model_path=str(model), min_score=1.01))[0] is None


def test_real_card_drops(tmp_path: Path) -> None:
    model = copy_model(tmp_path, {"hq": mc.MIN_TRAINING_DOCUMENTS, "lq": 50_000})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert score_one(QualityClassifier(model_path=str(model), min_score=1.01))[0] == "low_quality_score"
        assert score_one(QualityClassifier(model_path=str(model), min_score=0.0))[0] is None


def test_trainer_mark_makes_a_large_model_demo_sized(tmp_path: Path) -> None:
    model = copy_model(tmp_path, {"hq": 50_000, "lq": 50_000}, ["trained on the data it scores"])
    with pytest.warns(mc.DemoModelWarning, match="trained on the data it scores"):
        assert score_one(QualityClassifier(model_path=str(model), min_score=1.01))[0] is None


def test_explicit_key_drops_with_a_demo_model(tmp_path: Path) -> None:
    model = copy_model(tmp_path, {"hq": 100, "lq": 100})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        stage = QualityClassifier(model_path=str(model), min_score=1.01, drop_with_demo_model=True)
        assert score_one(stage)[0] == "low_quality_score"


def test_model_without_card_drops_as_configured(tmp_path: Path) -> None:
    model = tmp_path / "q.ftz"
    shutil.copyfile(BUNDLED_QUALITY, model)
    assert score_one(QualityClassifier(model_path=str(model), min_score=1.01))[0] == "low_quality_score"


def test_card_of_a_model_on_object_storage_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A URI model's card is fetched like the model: a demo card on the store annotates only
    # (a Path() round trip once folded s3:// into s3:/ and lost the card, so Spark dropped).
    fsspec = pytest.importorskip("fsspec")
    monkeypatch.setenv("PRETRAIN_CLEAN_CACHE", str(tmp_path / "cache"))
    local = copy_model(tmp_path, {"hq": 5, "lq": 5})
    fs = fsspec.filesystem("memory")
    fs.pipe("/models/q.ftz", local.read_bytes())
    fs.pipe("/models/q.card.json", Path(mc.card_path(str(local))).read_bytes())
    assert mc.card_path("memory://models/q.ftz") == "memory://models/q.card.json"
    assert mc.read_card("memory://models/q.ftz").demo
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert mc.drops_allowed("quality_classifier", "memory://models/q.ftz", False) is False
    assert mc.drops_allowed("quality_classifier", "memory://models/q.ftz", True) is True


def test_corrupt_card_is_an_error_naming_the_file(tmp_path: Path) -> None:
    model = copy_model(tmp_path, {"hq": 100, "lq": 100})
    Path(mc.card_path(str(model))).write_text("{not json")
    with pytest.raises(ModelFileError, match=r"model card .*q\.card\.json: unreadable"):
        QualityClassifier(model_path=str(model)).setup()


def test_perplexity_with_demo_card_keeps_bucket_but_does_not_drop() -> None:
    spam = "cheap replica watches buy now best price free shipping discount casino bonus click here " * 3
    with pytest.warns(mc.DemoModelWarning, match="perplexity"):
        stage = ready(Perplexity(models={"en": "bundled:models/kenlm/en.arpa.bin"}, drop_buckets=["tail"]))
        doc = Document("s", spam, meta={"language": "en"})
        assert stage.apply(doc) is None
    assert doc.meta["perplexity_bucket"] == "tail"
    allowed = ready(Perplexity(models={"en": "bundled:models/kenlm/en.arpa.bin"}, drop_buckets=["tail"],
                               drop_with_demo_model=True))
    assert allowed.apply(Document("s", spam, meta={"language": "en"})) == "tail_bucket"


def test_training_writes_card_hashes_and_excludes_listed_texts(tmp_path: Path) -> None:
    positive = list(read_texts([str(TRAIN / "en_reference.jsonl.gz")]))[:40]
    negative = list(read_texts([str(TRAIN / "en_boilerplate.jsonl.gz")]))[:40]
    out = tmp_path / "m.bin"
    report = train_classifier(positive, negative, str(out), ("hq", "lq"), sources={"hq": ["ref"], "lq": ["bp"]},
                              exclude={text_hash(positive[0]), text_hash(negative[0])}, epoch=5)
    card = mc.read_card(str(out))
    assert report.excluded == 2 and card is not None and card.excluded_documents == 2
    assert card.training_documents == {"hq": report.train_positive, "lq": report.train_negative}
    assert report.train_positive + report.test_positive == 39
    assert card.demo and card.sources == {"hq": ["ref"], "lq": ["bp"]}
    assert set(card.held_out) >= {"precision", "recall", "positive_documents", "negative_documents"}
    hashes = {line.split("\t")[1] for line in (tmp_path / card.text_hashes).read_text().splitlines()}
    assert len(hashes) == report.train_positive + report.train_negative
    assert text_hash(positive[0]) not in hashes and text_hash(negative[0]) not in hashes


@pytest.mark.parametrize("model", ["quality/en.ftz", "kenlm/en.arpa.bin", "kenlm/zh.arpa.bin"])
def test_every_bundled_model_has_a_demo_card(model: str) -> None:
    card = mc.read_card(f"bundled:models/{model}")
    assert card is not None and card.demo and card.created and card.sources
    assert (resolve(f"bundled:models/{model}").parent / card.text_hashes).is_file()
