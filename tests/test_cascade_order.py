"""Cascade order: annotate-only stages after every dropping stage change no decision.

The bundled sample goes through the default cascade (every stage, bundled models) twice,
(local engine) with ``run.annotate_last`` on and off: kept documents (text and meta) and every removal
reason must be the same; only removed documents lose the scores of the moved stages.
"""
from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from conftest import ROOT
from pretrain_clean.filters.coherence import Coherence
from pretrain_clean.filters.perplexity import Perplexity
from pretrain_clean.filters.toxicity import Toxicity
from pretrain_clean.pipeline.cascade import run_order
from pretrain_clean.pipeline.clean import CleanOptions, clean
from pretrain_clean.pipeline.config import load_config

SAMPLE = ROOT / "data" / "sample"


def test_run_order_moves_only_stages_that_only_annotate() -> None:
    ppl, coh, tox = Perplexity(), Coherence(), Toxicity()
    assert run_order([ppl, coh, tox], annotate_last=True) == [tox, ppl, coh]
    assert run_order([ppl, coh, tox], annotate_last=False) == [ppl, coh, tox]
    dropping_ppl, dropping_coh = Perplexity(drop_buckets=["tail"]), Coherence(min_coherence=0.05)
    assert run_order([dropping_ppl, dropping_coh, tox], annotate_last=True) == [dropping_ppl, dropping_coh, tox]
    assert run_order([Perplexity(max_perplexity={"en": 1e4}), tox], True)[0].name == "perplexity"


def _outputs(out: Path) -> dict[str, tuple]:
    rows = {}
    for sub in ("kept", "rejected"):
        for part in sorted((out / sub).glob("*.parquet")):
            for r in pq.read_table(part).to_pylist():
                rows[f"{r['source']}:{r['position']}"] = (r.get("stage"), r.get("reason"), r["text"],
                                                          json.loads(r["meta"] or "{}"))
    return rows


@pytest.mark.slow
def test_annotate_last_keeps_every_decision_on_the_sample(tmp_path: Path) -> None:
    runs = {}
    for flag in (False, True):
        spec = load_config(ROOT / "pretrain_clean" / "configs" / "default.toml", [f"run.annotate_last={str(flag).lower()}",
                                                                                    "stages.quality_classifier.drop_with_demo_model=true"])
        out = tmp_path / str(flag)
        stats = clean(spec, [str(SAMPLE)], str(out), CleanOptions(show_progress=False))
        runs[flag] = (stats, _outputs(out), json.loads((out / "stats.json").read_text()))
    (before, rows_before, saved_before), (after, rows_after, saved_after) = runs[False], runs[True]
    assert rows_before.keys() == rows_after.keys() and len(rows_before) > 2000
    assert before.kept == after.kept > 100 and saved_before["removed"] == saved_after["removed"]
    assert saved_after["removed"].get("quality_classifier.low_quality_score", 0) > 0
    for key, (stage, reason, text, meta) in rows_before.items():
        stage2, reason2, text2, meta2 = rows_after[key]
        assert (stage, reason, text) == (stage2, reason2, text2)
        if stage is None or stage.startswith("dedup"):
            assert meta == meta2  # kept documents: every score as before
        elif stage in ("quality_classifier", "toxicity"):
            assert "perplexity" not in meta2  # removed before the moved stages now
    order = list(saved_after["stages"])
    assert order.index("toxicity") < order.index("perplexity") < order.index("coherence")
    assert saved_after["stages"]["perplexity"]["documents_in"] <= saved_before["stages"]["perplexity"]["documents_in"]


@pytest.mark.parametrize("annotate_last", [True, False])
def test_annotate_last_from_the_config_reaches_the_cascade(tmp_path: Path, annotate_last: bool) -> None:
    """``[run] annotate_last``: coherence (annotate only) listed first scores every document
    when off, and only the documents gopher_repetition keeps when on (counted in parquet rows)."""
    import random

    from conftest import write_jsonl

    words = "river boat mill child bridge water stone field road house tree light summer winter market".split()
    rng = random.Random(7)
    pages = ["\n\n".join("The " + " ".join(rng.choice(words) for _ in range(12)) + "." for _ in range(10))
             for _ in range(2)]
    repeated = "The same line again and again.\n" * 40
    write_jsonl(tmp_path / "in" / "a.jsonl", [{"text": pages[0]}, {"text": repeated}, {"text": pages[1]}])
    config = tmp_path / "c.toml"
    config.write_text(f'[run]\nannotate_last = {str(annotate_last).lower()}\n\n'
                      '[[stages]]\nstage = "coherence"\n\n[[stages]]\nstage = "gopher_repetition"\n', encoding="utf-8")
    stats = clean(load_config(config), [str(tmp_path / "in")], str(tmp_path / "out"), CleanOptions(show_progress=False))
    rows = _outputs(tmp_path / "out")
    assert len(rows) == 3 and [r[0] for r in rows.values()].count("gopher_repetition") == 1 == stats.removed_total
    scored = [key for key, (_, _, _, meta) in rows.items() if "coherence" in meta]
    assert len(scored) == stats.stages["coherence"].documents_in == (2 if annotate_last else 3)
