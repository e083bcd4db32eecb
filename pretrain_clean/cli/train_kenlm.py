"""Train a CCNet-style KenLM model (normalization + SentencePiece + lmplz) for the perplexity stage.

    pretrain-clean train-kenlm --input PATH... --output MODEL [--order N]
        [--vocab-size N] [--prune N...] [--cutoff-sample PATH...]

Writes MODEL (KenLM binary; ARPA if MODEL ends in .arpa), <model>.sp.model,
<model>.cutoffs.json and the model card <model>.card.json (+ <model>.hashes.txt). Needs KenLM's lmplz: `bash scripts/build_kenlm.sh` builds it once.
Inputs: .txt (one document per line), .jsonl/.json[.gz|.zst] ("text" field), .parquet, or folders.
"""
from __future__ import annotations

import os

from pretrain_clean.cli.args import parser, positive
from pretrain_clean.cli.train_classifier import add_card_options
from pretrain_clean.errors import EnvironmentProblem, UsageError
from pretrain_clean.filters.model_card import card_path, excluded_hashes
from pretrain_clean.filters.training.corpus import read_texts
from pretrain_clean.filters.training.kenlm_lm import find_kenlm_tool, train_kenlm


def main(argv: list[str] | None = None) -> int:
    ap = parser("train-kenlm", __doc__)
    ap.add_argument("--input", nargs="+", required=True, help="reference corpus (files or folders)")
    ap.add_argument("--output", required=True, help="model path, e.g. models/kenlm/en.arpa.bin")
    ap.add_argument("--order", type=positive, default=5, help="n-gram order (CCNet: 5)")
    ap.add_argument("--vocab-size", type=positive, default=8000, help="SentencePiece vocabulary (upper bound)")
    ap.add_argument("--prune", type=int, nargs="+", help="lmplz --prune thresholds, e.g. 0 0 1")
    ap.add_argument("--cutoff-sample", nargs="+", help="sample of the corpus to filter, for the "
                    "head/middle/tail percentiles (default: every 10th input document, held out)")
    ap.add_argument("--text-field", default="text", help="JSON/parquet field holding the text")
    add_card_options(ap)
    args = ap.parse_args(argv)
    try:
        find_kenlm_tool("lmplz")
        find_kenlm_tool("build_binary")
    except FileNotFoundError as exc:
        raise EnvironmentProblem(str(exc)) from exc
    try:
        sample = list(read_texts(args.cutoff_sample, args.text_field)) if args.cutoff_sample else None
        report = train_kenlm(
            args.input, args.output, order=args.order, vocab_size=args.vocab_size,
            cutoff_texts=sample, prune=args.prune, texts=list(read_texts(args.input, args.text_field)),
            exclude=excluded_hashes(args.exclude), demo=args.demo,
        )  # fmt: skip
    except (ValueError, RuntimeError) as exc:  # no usable text, or lmplz refusing it
        raise UsageError(str(exc)) from exc
    pct = report.percentiles
    print(f"model {report.model} ({os.path.getsize(report.model)} bytes), tokenizer {report.tokenizer}")
    print(f"trained on {report.train_documents} documents / {report.train_lines} lines")
    if pct:
        print(f"cut-offs from {report.sample_documents} documents: p30={pct['30']} p60={pct['60']} -> {report.cutoffs}")
    print(f"card: {card_path(report.model)}")
    return 0

