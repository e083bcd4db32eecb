"""The labelled keep/drop set, `pretrain-clean evaluate`, annotate-only reasons, and the default
config's promise: every reason that drops has precision >= 0.9 on the set and keep-labelled
retention is >= 0.9 per language; on the bundled sample no demo-sized model drops a document."""
from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from pretrain_clean.cli.main import main as cli
from pretrain_clean.filters import model_card
from pretrain_clean.filters.model_card import read_card
from pretrain_clean.filters.model_files import resolve
from pretrain_clean.pipeline import evaluate as ev
from pretrain_clean.pipeline import worker
from pretrain_clean.pipeline.cascade import Cascade
from pretrain_clean.pipeline.config import ConfigError, load_config, parse_config, setup_stages
from pretrain_clean.pipeline.document import Document
from pretrain_clean.pipeline.stats import Stats
from pretrain_clean.tokenizer.sample import text_hash

ROOT = Path(__file__).resolve().parent.parent
LABELLED_DIR = resolve("bundled:labelled/docs.jsonl.gz").parent


@pytest.fixture(scope="module")
def labelled() -> list[ev.Labelled]:
    return ev.load_labelled()


@pytest.fixture(scope="module")
def default_decisions(labelled: list[ev.Labelled]) -> list[ev.Decision]:
    return ev.decide(load_config("default"), labelled)


def test_set_is_large_bilingual_and_every_document_is_labelled(labelled: list[ev.Labelled]) -> None:
    counts = Counter((d.lang, d.label) for d in labelled)
    assert len(labelled) >= 300
    assert all(counts["en", label] >= 40 and counts["zh", label] >= 80 for label in ev.LABELS)
    assert {d.kind for d in labelled} == {"page", "boilerplate", "review"}
    assert all(d.note for d in labelled) and len({d.id for d in labelled}) == len(labelled)


def test_hashes_file_lists_every_text_and_no_model_trained_on_one(labelled: list[ev.Labelled]) -> None:
    hashes = set((LABELLED_DIR / "hashes.txt").read_text().split())
    assert hashes == {text_hash(d.text) for d in labelled}
    for model in ("quality/en.ftz", "kenlm/en.arpa.bin", "kenlm/zh.arpa.bin"):
        card = read_card(f"bundled:models/{model}")
        trained = resolve(f"bundled:models/{model}").parent / card.text_hashes
        seen = {line.split("\t")[1] for line in trained.read_text().splitlines()}
        assert not seen & hashes, f"{model} was trained on labelled documents"


def test_default_config_drops_only_by_reasons_with_precision_at_least_09(default_decisions: list[ev.Decision]) -> None:
    assert ev.problems(default_decisions) == []
    dropping = [r for r in ev.reason_rows(default_decisions) if r.action == "drop"]
    assert dropping and all(r.precision >= ev.MIN_PRECISION for r in dropping)
    retention = {r.lang: r.retention for r in ev.language_rows(default_decisions)}
    assert retention["en"] >= ev.MIN_RETENTION and retention["zh"] >= ev.MIN_RETENTION


def test_default_config_flags_the_reasons_it_does_not_trust(default_decisions: list[ev.Decision]) -> None:
    flags = {r.key for r in ev.reason_rows(default_decisions) if r.action == "flag"}
    assert {"gopher_quality.too_few_alpha_words", "chinese_quality.too_few_chars"} <= flags
    assert not any(d.stage == "quality_classifier" for d in default_decisions)  # demo-sized model


def _decision(label: str, lang: str, removed: bool) -> ev.Decision:
    doc = ev.Labelled("x", label, lang, "text")
    return ev.Decision(doc, "s" if removed else None, "r" if removed else None)


@pytest.mark.parametrize(("drops", "keeps", "ok"), [(9, 1, True), (8, 1, False), (10, 0, True)])
def test_precision_threshold_is_inclusive_at_09(drops: int, keeps: int, ok: bool) -> None:
    decisions = [_decision("drop", "en", True)] * drops + [_decision("keep", "en", True)] * keeps
    decisions += [_decision("keep", "en", False)] * 100  # retention stays >= 0.9
    assert (ev.problems(decisions) == []) is ok


@pytest.mark.parametrize(("kept", "ok"), [(9, True), (8, False)])
def test_retention_threshold_is_inclusive_at_09_per_language(kept: int, ok: bool) -> None:
    decisions = [_decision("keep", "zh", False)] * kept + [_decision("keep", "zh", True)] * (10 - kept)
    decisions += [_decision("drop", "zh", True)] * 100  # the removals stay precise
    decisions += [_decision("keep", "en", False)] * 10
    found = ev.problems(decisions)
    assert (found == []) is ok
    assert all(line.startswith("zh: keep-labelled retention") for line in found)


def test_annotated_reason_keeps_the_document_with_a_flag_and_counts_it() -> None:
    text = "word " * 10
    spec = parse_config({"stages": [{"stage": "gopher_quality", "annotate": ["too_few_words"]}]}, ROOT)
    setup_stages(spec.stages)
    stats = Stats()
    (outcome,) = Cascade(spec.stages).run([Document("a", text)], stats)
    assert outcome.kept and outcome.doc.meta["flags"] == ["gopher_quality.too_few_words"]
    assert stats.flagged == {"gopher_quality.too_few_words": 1} and not stats.removed
    assert Stats.from_json(stats.to_json()).flagged == stats.flagged
    spec = parse_config({"stages": [{"stage": "gopher_quality", "annotate": ["too_few_stop_words"]}]}, ROOT)
    setup_stages(spec.stages)
    (outcome,) = Cascade(spec.stages).run([Document("a", text)], Stats())
    assert outcome.reason == "too_few_words"  # other reasons still drop
    spec = parse_config({"stages": [{"stage": "gopher_quality", "annotate": ["*"]}]}, ROOT)
    setup_stages(spec.stages)
    assert Cascade(spec.stages).run([Document("a", text)], Stats())[0].kept


@pytest.mark.parametrize("bad", ["too_few_words", [1], [""]])
def test_annotate_must_be_a_list_of_reason_names(bad: object) -> None:
    with pytest.raises(ConfigError, match=r"stages\[0\]\.annotate: expected a list of reason names"):
        parse_config({"stages": [{"stage": "gopher_quality", "annotate": bad}]}, ROOT)


def test_evaluate_command_writes_report_csvs_and_doc_section(tmp_path: Path, labelled: list[ev.Labelled]) -> None:
    doc = tmp_path / "rules.md"
    doc.write_text(f"# Rules\n\nbefore\n{ev.DOC_BEGIN}\nold table\n{ev.DOC_END}\nafter\n")
    assert cli(["evaluate", "--output", str(tmp_path / "out"), "--update-doc", str(doc), "--check"]) == 0
    report = (tmp_path / "out" / "report.md").read_text()
    assert "| en | 103 |" in report and "`gopher_quality.too_few_alpha_words` | flag" in report
    rows = list(csv.DictReader((tmp_path / "out" / "documents.csv").open()))
    assert len(rows) == len(labelled) and Counter(r["label"] for r in rows) == Counter(d.label for d in labelled)
    assert {r["outcome"] for r in rows} == {"kept", "removed"}
    text = doc.read_text()
    assert text.startswith("# Rules\n\nbefore\n") and text.endswith(f"{ev.DOC_END}\nafter\n")
    assert "old table" not in text and "Each reason alone" in text


def test_check_fails_when_a_dropping_reason_is_imprecise(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["evaluate", "--output", str(tmp_path), "--set", "stages.gopher_quality.annotate=[]", "--check"]
    assert cli(args) == 1
    assert "below target: gopher_quality.too_few_alpha_words drops with precision" in capsys.readouterr().err


def test_bad_labelled_file_and_missing_markers_are_one_line_errors(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"id": "a", "label": "maybe", "lang": "en", "text": "x"}) + "\n")
    assert cli(["evaluate", "--output", str(tmp_path / "o"), "--labelled", str(bad)]) == 2
    assert "bad.jsonl:1: label must be keep or drop" in capsys.readouterr().err
    (tmp_path / "doc.md").write_text("no markers\n")
    assert cli(["evaluate", "--output", str(tmp_path / "o"), "--update-doc", str(tmp_path / "doc.md")]) == 2
    assert "no <!-- evaluate:begin --> ... <!-- evaluate:end --> markers" in capsys.readouterr().err


def test_bundled_sample_default_config_no_document_dropped_by_a_demo_model(tmp_path: Path) -> None:
    out = tmp_path / "run"
    model_card._WARNED.clear()  # an earlier test of this process may have warned already (once per process)
    worker._CASCADES.clear()  # ... or loaded the default cascade already (models load once per process)
    worker._STAGES.clear()
    with pytest.warns(model_card.DemoModelWarning, match="demo-sized"):
        assert cli(["clean", "--engine", "local", "--config", "default", "--input", str(ROOT / "data" / "sample"),
                    "--output", str(out), "--workers", "1", "--quiet"]) == 0
    rejected = [r for f in sorted((out / "rejected").glob("*.parquet")) for r in pq.read_table(f).to_pylist()]
    kept = [r for f in sorted((out / "kept").glob("*.parquet")) for r in pq.read_table(f).to_pylist()]
    assert not [r for r in rejected if r["stage"] in ("quality_classifier", "perplexity")
                or r["reason"] == "toxic_classifier"]
    english = [json.loads(r["meta"]) for r in kept if json.loads(r["meta"]).get("language") == "en"]
    assert english and all("quality_score" in m and "perplexity_bucket" in m for m in english)
    stats = json.loads((out / "stats.json").read_text())
    assert stats["documents_in"] == len(kept) + len(rejected) + stats["quarantined"]
    assert stats["flagged"]["gopher_quality.too_few_alpha_words"] > 0
    assert "| `chinese_quality.too_few_chars` |" in (out / "funnel.md").read_text()
