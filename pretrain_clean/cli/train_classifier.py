"""The command line shared by ``pretrain-clean train-quality`` and ``train-toxicity``: a binary
fastText classifier (:func:`filters.training.fasttext_clf.train_classifier`) from two labelled
sets of documents, with its held-out precision/recall and model card printed; and the model-card
options of every model-training job (also ``train-kenlm``)."""
from __future__ import annotations

import argparse
import os
import sys

from pretrain_clean.cli.args import parser
from pretrain_clean.filters.model_card import LABELLED_HASHES, card_path, excluded_hashes
from pretrain_clean.filters.training.corpus import read_texts
from pretrain_clean.filters.training.fasttext_clf import train_classifier


def add_card_options(ap: argparse.ArgumentParser) -> None:
    """The ``--exclude`` and ``--demo`` options every model-training job has (see model cards)."""
    ap.add_argument("--exclude", nargs="*", default=[LABELLED_HASHES], metavar="HASHES",
                    help="text-hash lists whose documents are never trained on (default: the labelled "
                         "evaluation set; pass --exclude with no value to exclude nothing)")
    ap.add_argument("--demo", action="append", default=[], metavar="REASON",
                    help="mark the model demo-sized in its card, e.g. 'trained on the data the demo cleans'")


def classifier_job(argv: list[str] | None, description: str, labels: tuple[str, str],
                   prog: str = "train-classifier") -> int:
    """The command line shared by ``pretrain-clean train-quality`` and ``train-toxicity``."""
    ap = parser(prog, description)
    ap.add_argument("--positive", nargs="+", required=True, help=f"documents labelled {labels[0]!r}")
    ap.add_argument("--negative", nargs="+", required=True, help=f"documents labelled {labels[1]!r}")
    ap.add_argument("--output", required=True, help="model path (.bin, or .ftz to quantize)")
    ap.add_argument("--held-out", type=float, default=0.2, help="share of each class kept for the report")
    ap.add_argument("--epoch", type=int, default=25)
    ap.add_argument("--lr", type=float, default=0.5)
    ap.add_argument("--dim", type=int, default=32)
    ap.add_argument("--bucket", type=int, default=200_000, help="hashed word n-gram buckets")
    ap.add_argument("--chunk-tokens", type=int, default=100, help="training example size (0: whole documents)")
    ap.add_argument("--quantize-cutoff", type=int, default=20_000, help=".ftz: words/n-grams kept")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--text-field", default="text", help="JSON/parquet field holding the text")
    add_card_options(ap)
    args = ap.parse_args(argv)
    try:
        report = train_classifier(
            list(read_texts(args.positive, args.text_field)), list(read_texts(args.negative, args.text_field)),
            args.output, labels, sources={labels[0]: args.positive, labels[1]: args.negative},
            exclude=excluded_hashes(args.exclude), demo=args.demo,
            held_out=args.held_out, seed=args.seed, epoch=args.epoch, lr=args.lr,
            dim=args.dim, bucket=args.bucket, chunk_tokens=args.chunk_tokens,
            quantize_cutoff=args.quantize_cutoff,
        )  # fmt: skip
    except (FileNotFoundError, ValueError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"model {report.model} ({os.path.getsize(report.model)} bytes), labels {labels[0]}/{labels[1]}")
    print(f"trained on {report.train_positive} positive / {report.train_negative} negative documents "
          f"({report.excluded} excluded as evaluation documents)")
    print(report.summary())
    print(f"card: {card_path(report.model)}" + (" (demo-sized: annotates only unless drop_with_demo_model)"
                                                 if report.demo else ""))
    return 0
