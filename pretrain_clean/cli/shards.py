"""`pretrain-clean shards`: tokenize the cleaned corpus into parquet shards."""
from __future__ import annotations

import argparse
import logging
import sys

from pretrain_clean.cli.args import parser
from pretrain_clean.pipeline.config import build_dataclass, read_toml
from pretrain_clean.pipeline.engine import ENGINES, EngineOptions, engine_for
from pretrain_clean.pipeline.output_guard import output_lock
from pretrain_clean.tokenizer.manifest import ShardError
from pretrain_clean.tokenizer.shards import ShardConfig

USAGE = """\
pretrain-clean shards --tokenizer PATH --input DIR --output DIR [--shard-tokens N]
    [--seq-len N] [--shuffle-seed N] [--overwrite] [--engine local|spark]
spark-submit jobs/shards.py --engine spark ...   (same flags, same shard format)
See docs/shards.md."""


FLAGS = {"shard_tokens": "--shard-tokens", "seq_len": "--seq-len", "shuffle_seed": "--shuffle-seed",
         "row_group_tokens": "--row-group-tokens", "eos_token": "--eos", "bos_token": "--bos",
         "compression": "--compression", "batch_docs": "--batch-docs"}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line; shard settings left unset come from ``--config`` or ShardConfig."""
    p = parser("shards", USAGE)
    d = ShardConfig()
    p.add_argument("--tokenizer", required=True, help="tokenizer.json (tokenizers library format)")
    p.add_argument("--input", required=True, help="cleaned corpus folder (reads DIR/kept/*.parquet)")
    p.add_argument("--output", required=True, help="shard folder (part-NNNNN.parquet + manifest.json)")
    p.add_argument("--config", help="TOML file whose [shards] table sets the options below (flags win)")
    p.add_argument("--shard-tokens", type=int, help=f"target tokens per shard (default {d.shard_tokens})")
    p.add_argument("--seq-len", type=int, help="pack into rows of this many tokens (default: no packing)")
    p.add_argument("--shuffle-seed", type=int, help="shuffle documents across the corpus with this seed")
    p.add_argument("--row-group-tokens", type=int, help=f"tokens per parquet row group (default {d.row_group_tokens})")
    p.add_argument("--eos", help="EOS token name (default: auto-detect <|endoftext|>, </s>, <eos>, ...)")
    p.add_argument("--bos", help="BOS token name to prepend, or 'auto' (default: no BOS)")
    p.add_argument("--compression", help=f"parquet codec (default {d.compression})")
    p.add_argument("--batch-docs", type=int, help=f"documents per encode batch (default {d.batch_docs})")
    p.add_argument("--overwrite", action="store_true", help="replace shards written by a different run")
    p.add_argument("--engine", choices=ENGINES, default="local")
    p.add_argument("--master", default=None, help="Spark master when not set by spark-submit (e.g. local[*])")
    return p.parse_args(argv)


def shard_config(args: argparse.Namespace) -> ShardConfig:
    """ShardConfig from the ``[shards]`` table of ``--config`` (if any), overridden by flags;
    checked by the one config validator (names, types), then :meth:`ShardConfig.check`."""
    values: dict = {}
    where, base_dir = "[shards]", "."
    if args.config:
        data, base_dir = read_toml(args.config)
        values.update(data.get("shards", {}))
        where = f"{args.config} [shards]"
    for field, flag in FLAGS.items():
        value = getattr(args, flag[2:].replace("-", "_"))
        if value is not None:
            values[field] = value
    cfg = build_dataclass(ShardConfig, values, where, base_dir)
    cfg.check()
    return cfg


def main(argv: list[str] | None = None) -> int:
    """Run the job; print the totals; return the exit status."""
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    try:
        cfg = shard_config(args)
        with output_lock(args.output):  # a second run into the same shard folder fails fast
            engine = engine_for(args.engine, EngineOptions(master=args.master))
            manifest = engine.shards(args.tokenizer, args.input, args.output, cfg, overwrite=args.overwrite)
    except (ShardError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{args.output}: {len(manifest['shards'])} shards, {manifest['total_documents']} documents, "
          f"{manifest['total_tokens']} tokens")
    return 0
