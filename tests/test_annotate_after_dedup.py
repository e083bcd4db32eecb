"""``[run] annotate_after_dedup``: the stages that only annotate score dedup's survivors only.

Checked by counting parquet rows, not our stats: the same documents kept and removed with the
same reasons as with the switch off; scores equal wherever dedup left the text alone; a stage
failing on a document after dedup quarantines it; a pass cut short before its marker reruns
to the same outputs."""
from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from conftest import ROOT, write_jsonl
from pretrain_clean.filters.coherence import Coherence
from pretrain_clean.paths import CONFIGS
from pretrain_clean.pipeline import annotate_step
from pretrain_clean.pipeline.clean import CleanOptions, clean
from pretrain_clean.pipeline.config import annotates_after_dedup, load_config
from pretrain_clean.pipeline.worker import worker_cascade

SAMPLE = str(ROOT / "data" / "sample")
CONFIG = """
[run]
annotate_after_dedup = {switch}
batch_size = 4

[[stages]]
stage = "gopher_repetition"

[[stages]]
stage = "coherence"

[dedup]
minhash = false
paragraph = false
"""
WORDS = ("river boat mill child bridge water stone field road house tree light summer winter market "
         "letter garden window morning evening village teacher doctor engine paper story music city "
         "forest mountain valley island harbor station kitchen table chair door wall roof street").split()


def text(seed: int) -> str:
    """A page of ten paragraphs of plain sentences that no repetition rule removes."""
    import random

    rng = random.Random(seed)
    return "\n\n".join("The " + " ".join(rng.choice(WORDS) for _ in range(12)) + "." for _ in range(10))


def rows(folder: Path, columns: list[str]) -> dict[str, dict]:
    """``doc_key`` (or source:position) -> the row, over every parquet file in ``folder``."""
    found = {}
    for part in sorted(folder.glob("*.parquet")):
        for row in pq.read_table(part, columns=columns).to_pylist():
            found[row.get("doc_key") or f"{row['source']}:{row['position']}"] = row
    return found


def small_run(tmp_path: Path, name: str, switch: bool, workers: int = 1, extra: str = ""):
    """12 documents, 4 of them exact copies of others (dedup removes them)."""
    texts = [text(i) for i in range(8)] + [text(i) for i in range(4)]
    src = write_jsonl(tmp_path / "in" / "docs.jsonl",
                      [{"id": f"d{i}", "text": t, "url": f"https://example.com/{i}"} for i, t in enumerate(texts)])
    config = tmp_path / f"{name}.toml"
    config.write_text(CONFIG.format(switch=str(switch).lower()).replace('stage = "coherence"\n', f'stage = "coherence"\n{extra}'),
                      encoding="utf-8")
    spec = load_config(config)
    stats = clean(spec, [str(src.parent)], str(tmp_path / name), CleanOptions(workers=workers, show_progress=False))
    return spec, stats


def test_the_switch_needs_dedup_and_defers_only_annotating_stages(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text(CONFIG.format(switch="true"), encoding="utf-8")
    spec = load_config(config)
    assert [s.name for s in annotates_after_dedup(spec)] == ["coherence"]
    assert [s.name for s in worker_cascade(spec).stages] == ["gopher_repetition"]
    assert [s.name for s in worker_cascade(spec, after_dedup=True).stages] == ["coherence"]
    no_dedup = tmp_path / "n.toml"
    no_dedup.write_text(CONFIG.format(switch="true").split("[dedup]")[0], encoding="utf-8")
    spec = load_config(no_dedup)
    assert annotates_after_dedup(spec) == []  # no dedup: the stages stay in the cascade
    assert [s.name for s in worker_cascade(spec).stages] == ["gopher_repetition", "coherence"]
    dropping = load_config(config, ["stages.coherence.min_coherence=0.01"])
    assert annotates_after_dedup(dropping) == []  # a stage that may drop is never deferred


def test_both_cascades_share_stages_set_up_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pretrain_clean.filters.gopher import GopherRepetition

    calls: list[int] = []
    monkeypatch.setattr(GopherRepetition, "setup", lambda self: calls.append(1))
    config = tmp_path / "c.toml"
    config.write_text(CONFIG.format(switch="true").replace('stage = "coherence"', 'stage = "coherence"\nblock_terms = 23'),
                      encoding="utf-8")  # a config no other test set up in this process
    spec = load_config(config)
    first, later = worker_cascade(spec), worker_cascade(spec, after_dedup=True)
    assert calls == [1]  # models load once for the cascade and the pass after dedup
    assert worker_cascade(load_config(config), after_dedup=True) is later and worker_cascade(spec) is first


@pytest.mark.parametrize("workers", [1, 2])
def test_same_outputs_and_scores_with_the_switch_on_and_off(tmp_path: Path, workers: int) -> None:
    _, off = small_run(tmp_path, "off", False, workers)
    _, on = small_run(tmp_path, "on", True, workers)
    columns = ["id", "doc_key", "text", "meta"]
    kept_off, kept_on = rows(tmp_path / "off" / "kept", columns), rows(tmp_path / "on" / "kept", columns)
    assert len(kept_on) == on.kept == 8 and kept_on == kept_off  # ids, texts, input meta and scores identical
    assert sorted(r["id"] for r in kept_on.values()) == [f"d{i}" for i in range(8)]
    assert all("coherence" in json.loads(r["meta"]) for r in kept_on.values())
    assert all(json.loads(r["meta"])["url"] == f"https://example.com/{r['id'][1:]}" for r in kept_on.values())
    rejected = ["doc_key", "stage", "reason"]
    assert rows(tmp_path / "on" / "rejected", rejected) == rows(tmp_path / "off" / "rejected", rejected)
    assert len(rows(tmp_path / "on" / "rejected", rejected)) == 4
    assert on.removed == off.removed and on.stages["coherence"].documents_in == 8  # survivors only
    assert off.stages["coherence"].documents_in == 12
    stats = json.loads((tmp_path / "on" / "stats.json").read_text())
    assert list(stats["stages"])[-1] == "coherence"  # listed after dedup
    assert (tmp_path / "on" / annotate_step.DONE_FILE).exists()


def test_a_document_a_stage_fails_on_after_dedup_is_quarantined(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = Coherence.apply

    def failing(self: Coherence, doc) -> str | None:  # noqa: ANN001
        if doc.text == text(3):
            raise ValueError("boom")
        return real(self, doc)

    monkeypatch.setattr(Coherence, "apply", failing)
    monkeypatch.setattr(Coherence, "apply_batch", lambda self, docs: [self.apply(d) for d in docs])
    _, stats = small_run(tmp_path, "on", True)
    quarantined = rows(tmp_path / "on" / "quarantine", ["source", "position", "kind", "error"])
    assert [r["kind"] for r in quarantined.values()] == ["stage_error"]
    assert "boom" in next(iter(quarantined.values()))["error"]
    assert (tmp_path / "on" / "quarantine" / "annotate-part-00000.parquet").exists()
    kept = rows(tmp_path / "on" / "kept", ["doc_key"])
    rejected = rows(tmp_path / "on" / "rejected", ["doc_key"])
    assert len(kept) == stats.kept == 7 and stats.quarantined == 1
    assert len(kept) + len(rejected) + len(quarantined) == stats.documents_in == 12
    # the document moves from kept to quarantined in the bytes and error kinds too
    kept_bytes = sum(len(r["text"].encode()) for r in rows(tmp_path / "on" / "kept", ["doc_key", "text"]).values())
    saved = json.loads((tmp_path / "on" / "stats.json").read_text())
    assert stats.bytes_kept == saved["bytes_kept"] == kept_bytes
    assert stats.bytes_quarantined == saved["bytes_quarantined"] == len(text(3).encode())
    assert dict(stats.quarantine_errors) == saved["quarantine_errors"] == {"stage_error": 1}
    assert stats.bytes_stage_errors == saved["bytes_stage_errors"] == len(text(3).encode())
    funnel = (tmp_path / "on" / "funnel.md").read_text()  # every document was read
    assert f"| readable | 12 | 100.0% | {stats.bytes_in:,} | 100.0% |" in funnel


def test_a_flag_raised_after_dedup_is_counted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = Coherence.apply

    def flagging(self: Coherence, doc) -> str | None:  # noqa: ANN001
        return "odd_page" if doc.text in (text(5), text(6)) else real(self, doc)

    monkeypatch.setattr(Coherence, "apply", flagging)
    monkeypatch.setattr(Coherence, "apply_batch", lambda self, docs: [self.apply(d) for d in docs])
    _, stats = small_run(tmp_path, "on", True, extra='annotate = ["odd_page"]\n')
    kept = rows(tmp_path / "on" / "kept", ["doc_key", "meta"])
    flags = [json.loads(r["meta"]).get("flags") for r in kept.values()]
    assert len(kept) == stats.kept == 8 and flags.count(["coherence.odd_page"]) == 2
    saved = json.loads((tmp_path / "on" / "stats.json").read_text())
    assert dict(stats.flagged) == saved["flagged"] == {"coherence.odd_page": 2}


def test_a_stage_that_drops_after_dedup_stops_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """annotates_only() promised no removal: a stage breaking that promise is a bug, said loudly."""
    real = Coherence.apply
    monkeypatch.setattr(Coherence, "apply", lambda self, doc: "odd_page" if doc.text == text(5) else real(self, doc))
    monkeypatch.setattr(Coherence, "apply_batch", lambda self, docs: [self.apply(d) for d in docs])
    with pytest.raises(RuntimeError, match=r"stage 'coherence' removed a document after dedup \(odd_page\); "
                                           "only stages that never drop may run there"):
        small_run(tmp_path, "on", True)
    assert not (tmp_path / "on" / annotate_step.DONE_FILE).exists()


def test_parts_are_rewritten_in_batches_of_batch_size(tmp_path: Path) -> None:
    """``[run] batch_size = 4`` bounds the rows the pass holds: each rewritten row group has at most 4."""
    small_run(tmp_path, "on", True)
    parts = sorted((tmp_path / "on" / "kept").glob("*.parquet"))
    groups = [pq.ParquetFile(p).metadata.row_group(i).num_rows for p in parts
              for i in range(pq.ParquetFile(p).metadata.num_row_groups)]
    assert sum(groups) == 8 and max(groups) == 4
    marker = json.loads((tmp_path / "on" / annotate_step.DONE_FILE).read_text())
    assert marker["parts"] == len(parts) and marker["documents_in"] == marker["kept"] == 8


def test_a_pass_cut_short_before_its_marker_reruns_to_the_same_outputs(tmp_path: Path) -> None:
    spec, first = small_run(tmp_path, "on", True)
    kept = rows(tmp_path / "on" / "kept", ["doc_key", "text", "meta"])
    (tmp_path / "on" / annotate_step.DONE_FILE).unlink()  # parts rewritten, marker not yet written
    src = tmp_path / "in"
    again = clean(spec, [str(src)], str(tmp_path / "on"), CleanOptions(show_progress=False))
    assert rows(tmp_path / "on" / "kept", ["doc_key", "text", "meta"]) == kept  # scored twice: unchanged
    assert (again.kept, again.removed, again.quarantined) == (first.kept, first.removed, first.quarantined)
    assert again.stages["coherence"].documents_in == 8


def test_a_marker_that_disagrees_with_dedup_fails_loudly(tmp_path: Path) -> None:
    spec, _ = small_run(tmp_path, "on", True)
    marker = tmp_path / "on" / annotate_step.DONE_FILE
    data = json.loads(marker.read_text())
    data["documents_in"] += 1
    marker.write_text(json.dumps(data))
    with pytest.raises(RuntimeError, match="annotation read 9 documents but dedup kept 8"):
        clean(spec, [str(tmp_path / "in")], str(tmp_path / "on"), CleanOptions(show_progress=False))


def test_a_marker_that_loses_a_document_fails_its_accounting(tmp_path: Path) -> None:
    from pretrain_clean.pipeline.stats import AccountingError

    spec, _ = small_run(tmp_path, "on", True)
    marker = tmp_path / "on" / annotate_step.DONE_FILE
    data = json.loads(marker.read_text())
    data["kept"] -= 1  # 8 read, 7 written back, none quarantined
    marker.write_text(json.dumps(data))
    with pytest.raises(AccountingError, match=r"^annotation after dedup: 8 documents in but 7 kept"):
        clean(spec, [str(tmp_path / "in")], str(tmp_path / "on"), CleanOptions(show_progress=False))


@pytest.mark.slow
def test_default_config_on_the_sample_keeps_the_same_documents(tmp_path: Path) -> None:
    """The bundled default config with the switch off and on: same kept and removed documents
    (counted in parquet rows); scores equal wherever dedup did not rewrite the text (paragraph
    dedup shortens some texts, which are then scored as kept)."""
    runs = {}
    for switch in (False, True):
        spec = load_config(CONFIGS / "default.toml", [f"run.annotate_after_dedup={str(switch).lower()}"])
        runs[switch] = clean(spec, [SAMPLE], str(tmp_path / str(switch)), CleanOptions(workers=2, show_progress=False))
    off, on = runs[False], runs[True]
    assert on.removed == off.removed and (on.kept, on.quarantined) == (off.kept, off.quarantined)
    columns = ["doc_key", "text", "meta"]
    kept_off, kept_on = rows(tmp_path / "False" / "kept", columns), rows(tmp_path / "True" / "kept", columns)
    assert kept_on.keys() == kept_off.keys() and len(kept_on) == on.kept
    assert all(kept_on[k]["text"] == kept_off[k]["text"] for k in kept_on)
    before = rows(tmp_path / "True" / "_cascade_kept", ["doc_key", "text"])
    untouched = [k for k in kept_on if before[k]["text"] == kept_on[k]["text"]]
    assert len(untouched) > len(kept_on) // 2
    assert all(json.loads(kept_on[k]["meta"]) == json.loads(kept_off[k]["meta"]) for k in untouched)
    rejected = ["doc_key", "stage", "reason"]
    assert rows(tmp_path / "True" / "rejected", rejected) == rows(tmp_path / "False" / "rejected", rejected)
    deferred = [s.name for s in annotates_after_dedup(load_config(CONFIGS / "default.toml",
                                                                  ["run.annotate_after_dedup=true"]))]
    assert deferred and all(on.stages[name].documents_in == on.kept for name in deferred)


def test_a_worker_collects_young_objects_less_often(tmp_path: Path) -> None:
    """Building a cascade raises the young-generation threshold only (worker.YOUNG_COLLECTION_THRESHOLD)."""
    import gc

    from pretrain_clean.pipeline.worker import YOUNG_COLLECTION_THRESHOLD

    before = gc.get_threshold()
    try:
        gc.set_threshold(700, 11, 12)
        config = tmp_path / "c.toml"
        config.write_text(CONFIG.format(switch="false").replace('stage = "coherence"', 'stage = "coherence"\nblock_terms = 29'),
                          encoding="utf-8")
        worker_cascade(load_config(config))  # a config no other test built a cascade for
        assert gc.get_threshold() == (YOUNG_COLLECTION_THRESHOLD, 11, 12) == (20_000, 11, 12)
    finally:
        gc.set_threshold(*before)
