"""coherence: on-topic text scores above text stitched from unrelated documents."""
from __future__ import annotations

import gzip
import json
import pickle
import statistics

from conftest import ROOT
from pretrain_clean.filters.coherence import Coherence, blocks, coherence
from pretrain_clean.pipeline.document import Document

RIVER = (
    "The Danube rises in the Black Forest and flows east through ten countries.\n\n"
    "Along its course the river passes Vienna, Budapest and Belgrade, cities that grew on its banks.\n\n"
    "The river delta on the Black Sea is a wetland where the Danube splits into three branches.\n\n"
    "Shipping on the Danube connects the river ports of central Europe with the Black Sea."
)
STITCHED = (
    "The Danube rises in the Black Forest and flows east through ten countries.\n\n"
    "Preheat the oven, whisk the butter with sugar and fold the flour into the batter.\n\n"
    "Our premium hosting plans include unlimited bandwidth, backups and support tickets.\n\n"
    "Quarterly earnings beat analyst forecasts as revenue from cloud services doubled."
)


def web_documents() -> list[str]:
    texts = []
    for path in sorted((ROOT / "data/sample/web_en").glob("*.json*")):
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as fh:
            texts += [json.loads(line)["text"] for line in fh]
    return [t for t in texts if len(blocks(t, 20)) >= 4]


def interleaved(a: str, b: str) -> str:
    """Alternate runs of three lines from two documents (a stitched page)."""
    la = [x for x in a.splitlines() if x.strip()]
    lb = [x for x in b.splitlines() if x.strip()]
    out: list[str] = []
    for k in range(0, max(len(la), len(lb)), 3):
        out += la[k:k + 3] + lb[k:k + 3]
    return "\n".join(out)


def test_on_topic_text_scores_above_stitched_text() -> None:
    assert coherence(RIVER, block_terms=5) > 0.1 > coherence(STITCHED, block_terms=5)


def test_real_pages_score_above_pages_stitched_from_two_of_them() -> None:
    docs = web_documents()
    assert len(docs) >= 30
    real = [coherence(d) for d in docs]
    mixed = [coherence(interleaved(d, docs[(i + 7) % len(docs)])) for i, d in enumerate(docs)]
    wins = sum(r > m for r, m in zip(real, mixed))
    assert wins >= 0.75 * len(docs), (wins, len(docs))  # 34 of 42 when written
    assert statistics.mean(real) > statistics.mean(mixed)


def test_stage_annotates_by_default_and_drops_only_with_a_threshold() -> None:
    doc = Document("s", STITCHED)
    assert Coherence(block_terms=5).apply(doc) is None and doc.meta["coherence"] < 0.1
    assert Coherence(block_terms=5, min_coherence=0.1).apply(Document("s", STITCHED)) == "low_coherence"
    assert Coherence(block_terms=5, min_coherence=0.1).apply(Document("r", RIVER)) is None


def test_single_block_gets_no_score_and_is_kept() -> None:
    doc = Document("one", "A single short line.")
    assert Coherence(min_coherence=0.5).apply(doc) is None and "coherence" not in doc.meta
    assert Coherence().apply(Document("empty", "")) is None


def test_pickles_by_its_fields() -> None:
    stage = Coherence(block_terms=7, min_coherence=0.2)
    assert pickle.loads(pickle.dumps(stage)) == stage
