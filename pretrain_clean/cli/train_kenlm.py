"""Train a CCNet-style KenLM model (normalization + SentencePiece + lmplz) for the perplexity stage.

    pretrain-clean train-kenlm --input PATH... --output MODEL [--order N]
        [--vocab-size N] [--prune N...] [--cutoff-sample PATH...]

Writes MODEL (KenLM binary; ARPA if MODEL ends in .arpa), <model>.sp.model,
<model>.cutoffs.json and the model card <model>.card.json (+ <model>.hashes.txt). Needs KenLM's lmplz: `bash scripts/build_kenlm.sh` builds it once.
Inputs: .txt (one document per line), .jsonl/.json[.gz|.zst] ("text" field), .parquet, or folders.
"""
from __future__ import annotations

import argparse
import os
import sys

from pretrain_clean.filters.model_card import card_path, excluded_hashes
from pretrain_clean.filters.training.corpus import read_texts
from pretrain_clean.filters.training.fasttext_clf import LABELLED_HASHES
from pretrain_clean.filters.training.kenlm_lm import train_kenlm


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--input", nargs="+", required=True, help="reference corpus (files or folders)")
    ap.add_argument("--output", required=True, help="model path, e.g. models/kenlm/en.arpa.bin")
    ap.add_argument("--order", type=int, default=5, help="n-gram order (CCNet: 5)")
    ap.add_argument("--vocab-size", type=int, default=8000, help="SentencePiece vocabulary (upper bound)")
    ap.add_argument("--prune", type=int, nargs="+", help="lmplz --prune thresholds, e.g. 0 0 1")
    ap.add_argument("--cutoff-sample", nargs="+", help="sample of the corpus to filter, for the "
                    "head/middle/tail percentiles (default: every 10th input document, held out)")
    ap.add_argument("--text-field", default="text", help="JSON/parquet field holding the text")
    ap.add_argument("--exclude", nargs="*", default=[LABELLED_HASHES], metavar="HASHES",
                    help="text-hash lists whose documents are never trained on (default: the labelled "
                         "evaluation set; pass --exclude with no value to exclude nothing)")
    ap.add_argument("--demo", action="append", default=[], metavar="REASON",
                    help="mark the model demo-sized in its card, e.g. 'trained on the data the demo cleans'")
    args = ap.parse_args(argv)
    try:
        sample = list(read_texts(args.cutoff_sample, args.text_field)) if args.cutoff_sample else None
        report = train_kenlm(
            args.input, args.output, order=args.order, vocab_size=args.vocab_size,
            cutoff_texts=sample, prune=args.prune, texts=list(read_texts(args.input, args.text_field)),
            exclude=excluded_hashes(args.exclude), demo=args.demo,
        )  # fmt: skip
    except (FileNotFoundError, ValueError, RuntimeError) as exc:
        print(f"train_kenlm: {exc}", file=sys.stderr)
        return 1
    pct = report.percentiles
    print(f"model {report.model} ({os.path.getsize(report.model)} bytes), tokenizer {report.tokenizer}")
    print(f"trained on {report.train_documents} documents / {report.train_lines} lines")
    if pct:
        print(f"cut-offs from {report.sample_documents} documents: p30={pct['30']} p60={pct['60']} -> {report.cutoffs}")
    print(f"card: {card_path(report.model)}")
    return 0

