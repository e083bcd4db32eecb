"""Command line of ``jobs/tokenize.py``: tokenize the cleaned corpus into parquet shards."""
from __future__ import annotations

import argparse
import logging
import sys

from tokenizer.manifest import ShardError
from tokenizer.shards import ShardConfig, tokenize_to_shards

USAGE = """\
python jobs/tokenize.py --tokenizer PATH --input DIR --output DIR [--shard-tokens N]
    [--seq-len N] [--shuffle-seed N] [--overwrite] [--engine local|spark]
spark-submit jobs/tokenize.py --engine spark ...   (same flags, same shard format)
See docs/shards.md."""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    p = argparse.ArgumentParser(description=USAGE, formatter_class=argparse.RawDescriptionHelpFormatter)
    d = ShardConfig()
    p.add_argument("--tokenizer", required=True, help="tokenizer.json (tokenizers library format)")
    p.add_argument("--input", required=True, help="cleaned corpus folder (reads DIR/kept/*.parquet)")
    p.add_argument("--output", required=True, help="shard folder (part-NNNNN.parquet + manifest.json)")
    p.add_argument("--shard-tokens", type=int, default=d.shard_tokens, help=f"target tokens per shard (default {d.shard_tokens})")
    p.add_argument("--seq-len", type=int, default=None, help="pack into rows of this many tokens")
    p.add_argument("--shuffle-seed", type=int, default=None, help="shuffle documents across the corpus with this seed")
    p.add_argument("--row-group-tokens", type=int, default=d.row_group_tokens, help="tokens per parquet row group")
    p.add_argument("--eos", default=d.eos_token, help="EOS token name (default: auto-detect <|endoftext|>, </s>, <eos>, ...)")
    p.add_argument("--bos", default=None, help="BOS token name to prepend, or 'auto' (default: no BOS)")
    p.add_argument("--batch-docs", type=int, default=d.batch_docs, help="documents per encode batch")
    p.add_argument("--overwrite", action="store_true", help="replace shards written by a different run")
    p.add_argument("--engine", choices=("local", "spark"), default="local")
    p.add_argument("--master", default=None, help="Spark master when not set by spark-submit (e.g. local[*])")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the job; print the totals; return the exit status."""
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    cfg = ShardConfig(shard_tokens=args.shard_tokens, seq_len=args.seq_len, shuffle_seed=args.shuffle_seed,
                      row_group_tokens=args.row_group_tokens, eos_token=args.eos, bos_token=args.bos,
                      batch_docs=args.batch_docs)
    try:
        if args.engine == "spark":
            from tokenizer.shards_spark import tokenize_with_spark
            manifest = tokenize_with_spark(args.tokenizer, args.input, args.output, cfg,
                                           overwrite=args.overwrite, master=args.master)
        else:
            manifest = tokenize_to_shards(args.tokenizer, args.input, args.output, cfg, overwrite=args.overwrite)
    except (ShardError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{args.output}: {len(manifest['shards'])} shards, {manifest['total_documents']} documents, "
          f"{manifest['total_tokens']} tokens")
    return 0
