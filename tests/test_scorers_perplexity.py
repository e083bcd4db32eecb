"""perplexity: a tiny KenLM trained from the bundled sample in seconds, buckets, errors, pickling."""
from __future__ import annotations

import math
import os
import pickle
from pathlib import Path

import kenlm
import pytest

from pretrain_clean.filters.perplexity import Perplexity
from pretrain_clean.filters.training.kenlm_lm import find_kenlm_tool, train_kenlm
from pretrain_clean.pipeline.config import ConfigError, parse_config, setup_stages
from pretrain_clean.pipeline.document import Document
from conftest import ready

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample"
REFERENCE = [str(SAMPLE / "web_en" / f) for f in (
    "multiple_files__cc_en_head-0091.jsonl.gz", "multiple_files__cc_en_head-0174.jsonl.gz",
    "demos_data_mixture_data_redpajama-c4-refined.jsonl",
)]  # fmt: skip
RAW_WEB = [str(SAMPLE / "web_en" / "provided_documents__000.json.gz")]

CLEAN = (
    "The city is located on the northern bank of the river and has a population of about two "
    "hundred thousand people. It is known for its university, which was founded in the "
    "sixteenth century, and for its historic market square."
)
SPAM = "cheap replica watches buy now best price free shipping discount casino bonus click here cheap cheap"


def _lmplz_or_skip() -> None:
    """Skip without lmplz on a developer machine; in CI (which builds it) its absence fails."""
    try:
        find_kenlm_tool("lmplz")
    except FileNotFoundError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI must build lmplz (scripts/setup.sh): {exc}")
        pytest.skip(str(exc))


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    _lmplz_or_skip()
    from pretrain_clean.filters.training.corpus import read_texts

    out = tmp_path_factory.mktemp("kenlm") / "en.arpa.bin"
    train_kenlm(REFERENCE, str(out), order=3, vocab_size=4000,
                cutoff_texts=list(read_texts(RAW_WEB)))  # fmt: skip
    return out


def test_training_writes_a_loadable_binary_model_tokenizer_and_cutoffs(tiny_model: Path) -> None:
    model = kenlm.Model(str(tiny_model))
    assert model.order == 3
    assert tiny_model.with_name("en.sp.model").is_file()
    cutoffs = tiny_model.with_name("en.cutoffs.json").read_text()
    assert '"30"' in cutoffs and '"60"' in cutoffs


def test_clean_paragraph_has_lower_perplexity_than_keyword_spam(tiny_model: Path) -> None:
    stage = ready(Perplexity(models={"en": str(tiny_model)}))
    clean, spam = Document("c", CLEAN, meta={"language": "en"}), Document("s", SPAM, meta={"language": "en"})
    assert stage.apply_batch([clean, spam]) == [None, None]
    assert clean.meta["perplexity"] < spam.meta["perplexity"]
    assert spam.meta["perplexity_bucket"] == "tail"


def test_drop_by_bucket_and_by_threshold(tiny_model: Path) -> None:
    # the tiny model's card says demo-sized: drops need the explicit key (tests/test_model_card.py)
    by_bucket = ready(Perplexity(models={"en": str(tiny_model)}, drop_buckets=["tail"], drop_with_demo_model=True))
    assert by_bucket.apply(Document("s", SPAM, meta={"language": "en"})) == "tail_bucket"
    by_limit = ready(Perplexity(models={"en": str(tiny_model)}, cutoffs={"en": [10.0, 20.0]},
                                max_perplexity={"en": 1.0}, drop_with_demo_model=True))
    doc = Document("c", CLEAN, meta={"language": "en"})
    assert by_limit.apply(doc) == "high_perplexity"
    assert doc.meta["perplexity_bucket"] == "tail"  # explicit cut-offs override the file


def test_language_without_model_or_text_passes_unscored(tiny_model: Path) -> None:
    stage = ready(Perplexity(models={"en": str(tiny_model)}, drop_buckets=["tail"]))
    for doc in (Document("f", "Le chat dort.", meta={"language": "fr"}), Document("e", "\n \n", meta={"language": "en"})):
        assert stage.apply(doc) is None and "perplexity" not in doc.meta


def test_bundled_models_score_english_and_chinese() -> None:
    stage = ready(Perplexity())
    en = Document("e", CLEAN, meta={"language": "en"})
    zh_good = Document("z", "这本书的内容非常丰富，作者写得很认真，值得推荐给大家阅读。", meta={"language": "zh"})
    zh_spam = Document("s", "澳门 赌场 在线 注册 送钱 点击 进入 澳门 赌场 在线 注册 送钱", meta={"language": "zh"})
    stage.apply_batch([en, zh_good, zh_spam])
    assert math.isfinite(en.meta["perplexity"])
    assert zh_good.meta["perplexity"] < zh_spam.meta["perplexity"]


def test_pickles_without_model_and_scores_identically(tiny_model: Path) -> None:
    stage = Perplexity(models={"en": str(tiny_model)})
    stage.setup()
    clone = pickle.loads(pickle.dumps(stage))
    assert clone == stage and not hasattr(clone, "_lms")
    docs = [Document("c", CLEAN, meta={"language": "en"}), Document("s", SPAM, meta={"language": "en"})]
    copies = [Document(d.id, d.text, meta=dict(d.meta)) for d in docs]
    stage.apply_batch(docs)
    clone.setup()
    clone.apply_batch(copies)
    assert [d.meta for d in docs] == [d.meta for d in copies]


def test_missing_model_is_a_config_error_naming_the_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"stages\[0\] \(perplexity\)\.models\.en: file not found"):
        parse_config({"stages": [{"stage": "perplexity", "models": {"en": "missing/en.arpa.bin"}}]}, tmp_path)


def test_corrupt_model_is_a_setup_error_naming_the_key(tmp_path: Path) -> None:
    (tmp_path / "en.arpa.bin").write_bytes(b"garbage, not a language model\n")
    spec = parse_config({"stages": [{"stage": "perplexity", "models": {"en": str(tmp_path / "en.arpa.bin")}}]}, tmp_path)
    with pytest.raises(ConfigError, match=r"models\.en: not a readable KenLM model"):
        setup_stages(spec.stages)


def test_bad_bucket_name_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="drop_buckets: unknown bucket"):
        parse_config({"stages": [{"stage": "perplexity", "drop_buckets": ["bottom"]}]}, tmp_path)


def test_train_kenlm_without_lmplz_says_how_to_build_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import pretrain_clean.filters.training.kenlm_lm as mod

    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("KENLM_BIN", raising=False)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError, match="scripts/build_kenlm.sh"):
        mod.find_kenlm_tool("lmplz")
