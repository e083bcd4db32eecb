"""Rule cascade vs datatrove's filters on the same web-like English corpus, in one run.

Runs, interleaved (A B C A B C ..., bench/measure.py), each side as a process of its own
(set-up and model loading included) over the same documents, and prints per-side medians
(wall, CPU of the process tree, documents/s per core, peak PSS) and the median per-round
ratios of CPU and wall time for:
  * datatrove: GopherRepetition -> GopherQuality -> C4Quality -> FineWebQuality
    (C4 bad words and language ID left out: they download at run time);
  * ours, the same four rules (gopher_repetition, gopher_quality, c4_quality + c4_lines,
    fineweb_quality);
  * ours, the full cascade of the rule stages of the bundled default config (normalize, blocklist, all rules,
    PII masking);
the share of identical keep/drop decisions, and our peak traced memory as the corpus grows
(documents are streamed, so it should stay flat).

Corpus: the English documents of data/sample/web_en (*.jsonl*, *.json.gz) cut into windows
of consecutive lines (random start, random length), sometimes two windows of different
pages joined, until the average document is about --avg-bytes (2.3 KB by default). Real
lines and real boilerplate, web-like lengths; deterministic for a seed.

    python bench/bench_rules.py [--docs 3000] [--rounds 3]
"""
from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
import tempfile
import tomllib
import tracemalloc
from pathlib import Path
from typing import Iterator

from measure import interleave, load_note, report

ROOT = Path(__file__).resolve().parent.parent

from pretrain_clean.paths import CONFIGS
from pretrain_clean.filters import text_features as tf
from pretrain_clean.pipeline.config import parse_config, setup_stages
from pretrain_clean.pipeline.document import Document
from pretrain_clean.pipeline.stage import Stage


def sample_pages() -> list[str]:
    """English texts of the bundled sample."""
    pages = []
    folder = ROOT / "data/sample/web_en"
    for path in sorted(folder.glob("*.jsonl*")) + sorted(folder.glob("*.json.gz")):
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    text = json.loads(line)["text"]
                    if not tf.is_chinese_text(text) and len(text) > 200:
                        pages.append(text)
    return pages


def web_like_corpus(count: int, avg_bytes: int, seed: int) -> list[str]:
    """``count`` documents of windows of real lines, averaging about ``avg_bytes``."""
    rng = random.Random(seed)
    pages = [p.split("\n") for p in sample_pages()]
    docs = []
    while len(docs) < count:
        parts = []
        for _ in range(2 if rng.random() < 0.25 else 1):
            lines = rng.choice(pages)
            target = rng.expovariate(1 / avg_bytes) * (1.0 if parts else 1.9)  # page ends cut windows short
            start = rng.randrange(len(lines))
            window, size = [], 0
            for line in lines[start:]:
                if size >= target and window:
                    break
                window.append(line)
                size += len(line.encode("utf-8")) + 1
            parts.append("\n".join(window))
        docs.append("\n".join(parts).strip() or lines[0])
    return docs


RULE_STAGES = ("normalize", "url_blocklist", "gopher_repetition", "gopher_quality", "c4_quality", "c4_lines",
               "fineweb_quality", "chinese_quality", "special_characters", "pii_mask")
"""The heuristic-rule part of the default cascade (no model-based stages)."""


def cascade(path: Path) -> list[Stage]:
    spec = parse_config(tomllib.loads(path.read_text(encoding="utf-8")), CONFIGS)
    setup_stages(spec.stages)
    return spec.stages


def run_ours(stages: list[Stage], texts: list[str]) -> list[str | None]:
    out = []
    for i, text in enumerate(texts):
        doc = Document(str(i), text)
        out.append(next((f"{s.name}.{r}" for s in stages if (r := s.apply(doc))), None))
    return out


def run_datatrove(texts: list[str]) -> list[str | None]:
    from datatrove.data import Document as DTDocument
    from datatrove.pipeline.filters import (
        C4QualityFilter,
        FineWebQualityFilter,
        GopherQualityFilter,
        GopherRepetitionFilter,
    )

    filters = [GopherRepetitionFilter(), GopherQualityFilter(), C4QualityFilter(), FineWebQualityFilter()]
    out = []
    for i, text in enumerate(texts):
        doc = DTDocument(text=text, id=str(i))
        reason = None
        for f in filters:
            result = f.filter(doc)
            if result is not True:
                reason = result[1]
                break
        out.append(reason)
    return out


def peak_memory(stages: list[Stage], texts: Iterator[str]) -> int:
    tracemalloc.start()
    for i, text in enumerate(texts):
        doc = Document(str(i), text)
        for s in stages:
            if s.apply(doc):
                break
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


SIDES = {"datatrove": "datatrove Gopher->C4->FineWeb", "same": "ours, same four rules", "full": "ours, full rule cascade"}


def run_side(side: str, corpus: Path, out: Path) -> None:
    """One side over the corpus file (a process of its own): set-up, then every document;
    the per-document decisions go to ``out`` (JSON)."""
    texts = json.loads(corpus.read_text(encoding="utf-8"))
    if side == "datatrove":
        decisions = run_datatrove(texts)
    else:
        full = [s for s in cascade(CONFIGS / "default.toml") if s.name in RULE_STAGES]
        same = [s for s in full if s.name in ("gopher_repetition", "gopher_quality", "c4_quality", "c4_lines", "fineweb_quality")]
        decisions = run_ours(full if side == "full" else same, texts)
    out.write_text(json.dumps(decisions), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=3000, help="documents per side")
    parser.add_argument("--avg-bytes", type=int, default=2300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (at least 3)")
    parser.add_argument("--side", choices=list(SIDES), help=argparse.SUPPRESS)
    parser.add_argument("--corpus", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.side:
        run_side(args.side, args.corpus, args.out)
        return

    texts = web_like_corpus(args.docs, args.avg_bytes, args.seed)
    avg = sum(len(t.encode("utf-8")) for t in texts) / len(texts)
    print(f"corpus: {len(texts)} docs, {avg:.0f} bytes on average (windows of real sample pages); "
          f"{args.rounds} interleaved rounds, each side a process of its own (set-up included); {load_note()}")
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus.json"
        corpus.write_text(json.dumps(texts), encoding="utf-8")
        sides = {SIDES[name]: [sys.executable, __file__, "--side", name, "--corpus", str(corpus), "--out", f"{tmp}/{name}.json"]
                 for name in SIDES}
        runs = interleave(sides, args.rounds)
        theirs, ours_same, ours_full = (json.loads(Path(f"{tmp}/{name}.json").read_text()) for name in SIDES)
    report(runs, {name: len(texts) for name in sides},
           [(SIDES["datatrove"], SIDES["same"]), (SIDES["datatrove"], SIDES["full"])])

    n = len(texts)
    agree = sum((a is None) == (b is None) for a, b in zip(theirs, ours_same))
    agree_full = sum((a is None) == (b is None) for a, b in zip(theirs, ours_full))
    kept = sum(r is None for r in theirs)
    print(f"decision agreement with datatrove on {n} English docs (datatrove keeps {kept}):")
    print(f"  same four rules: {agree}/{n} = {agree / n:.1%}")
    print(f"  full cascade:    {agree_full}/{n} = {agree_full / n:.1%} (normalize, special characters etc. also act)")
    for i, (a, b) in enumerate(zip(theirs, ours_same)):
        if (a is None) != (b is None):
            print(f"    doc {i}: datatrove {a!r}, ours {b!r}")

    full = [s for s in cascade(CONFIGS / "default.toml") if s.name in RULE_STAGES]
    print("peak traced memory of the full cascade as the corpus grows (streamed):")
    for factor in (1, 2, 4):
        size = max(1, len(texts) // 4) * factor
        stream = (texts[i % len(texts)] for i in range(size))
        print(f"  {size:7d} docs: {peak_memory(full, stream) / 2**20:6.2f} MiB")


if __name__ == "__main__":
    main()
