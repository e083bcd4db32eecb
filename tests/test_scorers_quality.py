"""quality_classifier: a tiny fastText model trained from the bundled sample, errors, pickling."""
from __future__ import annotations

import pickle
import re
from pathlib import Path

import fasttext
import pytest

from pretrain_clean.filters.model_card import read_card
from pretrain_clean.filters.quality import QualityClassifier
from pretrain_clean.cli.train_classifier import classifier_job
from pretrain_clean.filters.training.fasttext_clf import train_classifier
from pretrain_clean.filters.training.corpus import read_texts
from pretrain_clean.pipeline.config import ConfigError, parse_config, setup_stages
from pretrain_clean.pipeline.document import Document
from conftest import ready

ROOT = Path(__file__).resolve().parent.parent
WEB_EN = ROOT / "data" / "sample" / "web_en"
POSITIVE = [str(WEB_EN / f) for f in ("multiple_files__cc_en_head-0091.jsonl.gz", "multiple_files__cc_en_head-0174.jsonl.gz",
                                      "demos_data_mixture_data_redpajama-c4-refined.jsonl")]
NEGATIVE = [str(WEB_EN / f) for f in ("provided_documents__000.json.gz", "warc__sample-0000.warc.gz",
                                      "demos_data_process_loop_data_demo-dataset.jsonl")]

CLEAN = (
    "The city is located on the northern bank of the river and has a population of about two "
    "hundred thousand people. It is known for its university, which was founded in the "
    "sixteenth century, and for its historic market square."
)
SPAM = "cheap replica watches buy now best price free shipping discount casino bonus click here cheap cheap"


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("quality") / "quality.bin"
    report = train_classifier(list(read_texts(POSITIVE)), list(read_texts(NEGATIVE)), str(out), ("hq", "lq"),
                              dim=32)  # fmt: skip
    assert report.test_positive > 0 and report.test_negative > 0
    # the report's held-out figures are the ones its card records for users (not just "in [0, 1]")
    held_out = read_card(str(out)).held_out
    assert (held_out["precision"], held_out["recall"]) == (round(report.precision, 4), round(report.recall, 4))
    assert (held_out["positive_documents"], held_out["negative_documents"]) == (
        report.test_positive, report.test_negative)
    return out


def test_clean_paragraph_scores_higher_than_keyword_spam(tiny_model: Path) -> None:
    # the tiny model's card says demo-sized: it drops only with the explicit key (tests/test_model_card.py)
    stage = ready(QualityClassifier(model_path=str(tiny_model), drop_with_demo_model=True))
    clean, spam = Document("c", CLEAN, meta={"language": "en"}), Document("s", SPAM, meta={"language": "en"})
    reasons = stage.apply_batch([clean, spam])
    assert clean.meta["quality_score"] > spam.meta["quality_score"]
    assert reasons == [None, "low_quality_score"]


def test_other_languages_pass_unscored_unless_configured(tiny_model: Path) -> None:
    doc = Document("z", "这是一个中文文档。", meta={"language": "zh"})
    assert ready(QualityClassifier(model_path=str(tiny_model))).apply(doc) is None and "quality_score" not in doc.meta
    ready(QualityClassifier(model_path=str(tiny_model), languages=[], min_score=0.0)).apply(doc)
    same_text_as_en = Document("e", doc.text, meta={"language": "en"})
    ready(QualityClassifier(model_path=str(tiny_model))).apply(same_text_as_en)
    assert doc.meta["quality_score"] == same_text_as_en.meta["quality_score"]  # scored as English text is


def test_job_prints_held_out_precision_and_recall(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "q.bin"
    train = ROOT / "data" / "train"
    assert classifier_job(["--positive", str(train / "en_reference.jsonl.gz"), "--negative",
                           str(train / "en_boilerplate.jsonl.gz"), "--output", str(out), "--epoch", "5",
                           ], "test", ("hq", "lq")) == 0  # fmt: skip
    printed = capsys.readouterr().out
    assert "(0 excluded as evaluation documents)" in printed
    # the printed figures are the card's (a user compares models by them)
    found = re.search(r"precision (\d\.\d{3}) recall (\d\.\d{3})", printed)
    assert found, printed
    held_out = read_card(str(out)).held_out
    assert float(found[1]) == pytest.approx(held_out["precision"], abs=6e-4)  # printed with 3 decimals
    assert float(found[2]) == pytest.approx(held_out["recall"], abs=6e-4)
    assert "demo-sized" in printed and out.with_name("q.card.json").is_file()
    assert sorted(fasttext.load_model(str(out)).labels) == ["__label__hq", "__label__lq"]


def test_job_never_trains_on_the_labelled_set(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # every sample web page is in the labelled evaluation set, so the default --exclude leaves none
    out = tmp_path / "q.bin"
    assert classifier_job(["--positive", *POSITIVE, "--negative", *NEGATIVE, "--output", str(out)],
                          "test", ("hq", "lq")) == 2  # a user problem: one error: line, status 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "left out as evaluation documents" in err and not out.exists()


def test_bundled_model_scores_clean_above_spam_and_only_annotates() -> None:
    # demo-sized (reference prose vs license texts, see models/README.md): scores, never drops
    stage = ready(QualityClassifier(min_score=0.99))
    clean, spam = Document("c", CLEAN, meta={"language": "en"}), Document("s", SPAM, meta={"language": "en"})
    assert stage.apply_batch([clean, spam]) == [None, None]
    assert clean.meta["quality_score"] > spam.meta["quality_score"]


def test_a_demo_model_makes_the_stage_annotate_only(tiny_model: Path) -> None:
    """The bundled (demo-sized) model never drops, so the stage may run after the dropping
    stages and after dedup; asked to drop with it, or with a model that is not demo-sized, it may drop."""
    assert QualityClassifier().annotates_only()
    assert not QualityClassifier(drop_with_demo_model=True).annotates_only()
    card = read_card(str(tiny_model))
    assert QualityClassifier(model_path=str(tiny_model)).annotates_only() == card.demo
    bare = tiny_model.parent / "no_card" / "quality.bin"  # no card: nothing says it is demo-sized
    bare.parent.mkdir(exist_ok=True)
    bare.write_bytes(tiny_model.read_bytes())
    assert not QualityClassifier(model_path=str(bare)).annotates_only()


def test_pickles_without_model_and_scores_identically(tiny_model: Path) -> None:
    stage = QualityClassifier(model_path=str(tiny_model))
    stage.setup()
    clone = pickle.loads(pickle.dumps(stage))
    assert clone == stage and not hasattr(clone, "_model")
    a, b = Document("c", CLEAN, meta={"language": "en"}), Document("c", CLEAN, meta={"language": "en"})
    stage.apply(a)
    clone.setup()
    clone.apply(b)
    assert a.meta == b.meta


def test_wrong_label_and_corrupt_model_fail_setup_naming_the_key(tiny_model: Path, tmp_path: Path) -> None:
    spec = parse_config({"stages": [{"stage": "quality_classifier", "model_path": str(tiny_model), "label": "wiki"}]}, tmp_path)
    with pytest.raises(ConfigError, match=r"label: 'wiki' is not a label"):
        setup_stages(spec.stages)
    (tmp_path / "bad.ftz").write_bytes(b"\x00" * 64)
    spec = parse_config({"stages": [{"stage": "quality_classifier", "model_path": "bad.ftz"}]}, tmp_path)
    with pytest.raises(ConfigError, match=r"\(quality_classifier\): setup failed: model_path: not a readable fastText model"):
        setup_stages(spec.stages)


def test_missing_model_is_a_config_error_naming_the_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"\(quality_classifier\)\.model_path: file not found"):
        parse_config({"stages": [{"stage": "quality_classifier", "model_path": "models/none.ftz"}]}, tmp_path)
