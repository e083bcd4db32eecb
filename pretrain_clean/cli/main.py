"""``pretrain-clean SUBCOMMAND ...``: one console script for every job.

Usage, config, input and environment problems print one ``error:`` line and exit with
status 2; anything else is a bug and keeps its traceback.
"""
from __future__ import annotations

import importlib
import sys

from pretrain_clean.errors import UserError

SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "clean": ("clean", "run the cascade (and dedup) over raw inputs"),
    "dedup": ("dedup", "deduplicate an already cleaned corpus"),
    "evaluate": ("evaluate", "score a config's removals on the labelled keep/drop set"),
    "train-kenlm": ("train_kenlm", "train a CCNet-style KenLM model for the perplexity stage"),
    "train-quality": ("train_quality", "train the fastText quality classifier"),
    "train-toxicity": ("train_toxicity", "train the fastText toxicity classifier"),
    "train-tokenizer": ("train_tokenizer", "train a SentencePiece or byte-level BPE tokenizer"),
    "report-tokenizers": ("report_tokenizers", "compare tokenizers' compression"),
    "shards": ("shards", "tokenize the cleaned corpus into parquet shards"),
    "verify-shards": ("verify_shards", "check a shard folder against its manifest"),
}


def usage() -> str:
    lines = ["usage: pretrain-clean SUBCOMMAND [ARGS...]   (SUBCOMMAND --help for its options)", ""]
    lines += [f"  {name:<18} {text}" for name, (_, text) in SUBCOMMANDS.items()]
    return "\n".join(lines)


def run(name: str, argv: list[str]) -> int:
    """Run one subcommand with ``argv``; user problems become ``error:`` + status 2."""
    module = importlib.import_module(f"pretrain_clean.cli.{SUBCOMMANDS[name][0]}")
    try:
        return int(module.main(argv) or 0)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in ("-h", "--help"):
        print(usage())
        return 0 if args else 2
    if args[0] not in SUBCOMMANDS:
        print(f"error: unknown subcommand {args[0]!r}\n{usage()}", file=sys.stderr)
        return 2
    return run(args[0], args[1:])
