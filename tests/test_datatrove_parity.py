"""Our English rules decide like datatrove's filters, document by document.

On every English document of the bundled sample (data/sample/web_en/*.jsonl*, *.json.gz),
with the same (paper) thresholds:

* gopher_repetition  == GopherRepetitionFilter
* gopher_quality     == GopherQualityFilter
* c4_quality+c4_lines == C4QualityFilter (bad-words part excluded: it downloads its list)
* fineweb_quality    == FineWebQualityFilter
* the chain of all four, including the text C4 leaves for FineWeb.

datatrove splits words with spaCy's blank English tokenizer (``pip install spacy``; no model
download); ours is a regex (filters/text_features.py). Known token-level differences (they
flip no decision on this sample, so EXPECTED_DIFFERENCES is empty): spaCy keeps a few
exception tokens whole (``Ph.D.``, ``3/4″``), glues marks it has no rule for inside odd
strings (``hard.”\\n\\nIn`` with literal backslashes), and datatrove's repeated-n-gram
check joins words without spaces, so two different n-grams that spell the same string
count as repeats there and not here. A difference found later must be listed here with its
reason, or fixed.
"""
from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pytest

if os.environ.get("CI"):  # CI installs the test extra: a missing spaCy is a failure there
    import spacy  # noqa: F401
else:
    pytest.importorskip("spacy", reason="datatrove's English word splitting needs spaCy (test dependency)")

from datatrove.data import Document as DTDocument  # noqa: E402
from datatrove.pipeline.filters import (  # noqa: E402
    C4QualityFilter,
    FineWebQualityFilter,
    GopherQualityFilter,
    GopherRepetitionFilter,
)

from pretrain_clean.filters import text_features as tf  # noqa: E402
from pretrain_clean.filters.c4 import C4Lines, C4Quality  # noqa: E402
from pretrain_clean.filters.fineweb import FineWebQuality  # noqa: E402
from pretrain_clean.filters.gopher import GopherQuality, GopherRepetition  # noqa: E402
from pretrain_clean.pipeline.document import Document  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
EXPECTED_DIFFERENCES: dict[str, str] = {}
"""doc id -> why our decision differs from datatrove's (none on the bundled sample)."""


def english_sample() -> list[tuple[str, str]]:
    files = sorted((ROOT / "data/sample/web_en").glob("*.jsonl*")) + sorted(
        (ROOT / "data/sample/web_en").glob("*.json.gz")
    )
    out = []
    for path in files:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as handle:
            for i, line in enumerate(handle):
                if line.strip():
                    text = json.loads(line)["text"]
                    if not tf.is_chinese_text(text):
                        out.append((f"{path.name}:{i}", text))
    return out


DOCS = english_sample()


def ours_chain() -> list[list]:
    quality = GopherQuality()
    quality.setup()
    return [[GopherRepetition()], [quality], [C4Quality(), C4Lines()], [FineWebQuality()]]


def theirs_chain() -> list:
    return [GopherRepetitionFilter(), GopherQualityFilter(), C4QualityFilter(), FineWebQualityFilter()]


def run_ours(stages: list, text: str) -> tuple[str | None, str]:
    doc = Document("d", text)
    for stage in stages:
        reason = stage.apply(doc)
        if reason:
            return reason, doc.text
    return None, doc.text


def run_theirs(filters: list, text: str) -> tuple[str | None, str]:
    doc = DTDocument(text=text, id="d")
    for f in filters:
        result = f.filter(doc)
        if result is not True:
            return result[1], doc.text
    return None, doc.text


def test_sample_is_big_enough() -> None:
    assert len(DOCS) >= 70


@pytest.mark.parametrize("index", range(4), ids=["gopher_repetition", "gopher_quality", "c4", "fineweb"])
def test_each_filter_decides_like_datatrove(index: int) -> None:
    ours, theirs = ours_chain()[index], theirs_chain()[index]
    differences = {}
    kept = 0
    for doc_id, text in DOCS:
        our_reason, _ = run_ours(ours, text)
        their_reason, _ = run_theirs([theirs], text)
        kept += our_reason is None
        if (our_reason is None) != (their_reason is None) and doc_id not in EXPECTED_DIFFERENCES:
            differences[doc_id] = (our_reason, their_reason)
    assert differences == {}
    assert 0 < kept < len(DOCS)  # the sample exercises both outcomes


def test_chain_decides_and_rewrites_like_datatrove() -> None:
    ours, theirs = [s for group in ours_chain() for s in group], theirs_chain()
    differences = {}
    for doc_id, text in DOCS:
        our_reason, our_text = run_ours(ours, text)
        their_reason, their_text = run_theirs(theirs, text)
        if doc_id in EXPECTED_DIFFERENCES:
            continue
        if (our_reason is None) != (their_reason is None):
            differences[doc_id] = (our_reason, their_reason)
        elif our_reason is None and our_text != their_text:
            differences[doc_id] = "kept text differs after C4 line removal"
    assert differences == {}
