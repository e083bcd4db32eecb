"""Clean raw text: the configured cascade (and dedup) on the local or the Spark engine.

    pretrain-clean clean --engine local --config default --input data/sample --output out/sample
    spark-submit jobs/clean.py --config default --input data/sample --output out/sample
"""
from __future__ import annotations

import argparse
import os
import sys

from pretrain_clean.pipeline.clean import CleanOptions, clean
from pretrain_clean.pipeline.config import ConfigError, load_config
from pretrain_clean.pipeline.plan import UsageError
from pretrain_clean.pipeline.stats import AccountingError


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    under_spark = "PYSPARK_GATEWAY_PORT" in os.environ
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", required=True, help="TOML config (a file, or 'default' / 'minimal' for a bundled one)")
    parser.add_argument("--input", required=True, nargs="+", help="files, directories or globs")
    parser.add_argument("--output", required=True, help="output directory")
    parser.add_argument("--engine", choices=["local", "spark"], default="spark" if under_spark else "local",
                        help="default: spark under spark-submit, else local")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="local engine: parallel worker processes (default: all cores)")
    parser.add_argument("--tasks", type=int, default=None,
                        help="local engine: datatrove tasks sharing the input files (default: --workers)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a config value, e.g. stages.gopher_quality.min_doc_words=30")
    parser.add_argument("--overwrite", action="store_true", help="delete the output directory first")
    parser.add_argument("--quiet", action="store_true", help="no progress or summary on stderr")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        spec = load_config(args.config, args.set)
        options = CleanOptions(args.engine, max(1, args.workers), args.tasks, args.overwrite, not args.quiet)
        stats = clean(spec, args.input, args.output, options)
    except (ConfigError, UsageError, AccountingError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"kept {stats.kept:,} of {stats.documents_in:,} documents "
          f"({stats.removed_total:,} removed, {stats.quarantined:,} quarantined) -> {args.output}")
    return 0

