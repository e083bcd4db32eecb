"""Clean raw text: the configured cascade (and dedup) on the local or the Spark engine.

    python jobs/clean.py --engine local --config configs/default.toml --input data/sample --output out/sample
    spark-submit jobs/clean.py --config configs/default.toml --input data/sample --output out/sample
"""
from __future__ import annotations

import argparse
import os
import sys

# The repository root replaces this script's folder on sys.path: jobs/tokenize.py would
# otherwise shadow the standard library's tokenize module.
sys.path[0] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

from pipeline.clean import CleanOptions, clean  # noqa: E402
from pipeline.config import ConfigError, load_config  # noqa: E402
from pipeline.plan import UsageError  # noqa: E402
from pipeline.stats import AccountingError  # noqa: E402


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    under_spark = "PYSPARK_GATEWAY_PORT" in os.environ
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", required=True, help="TOML config (e.g. configs/default.toml)")
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


if __name__ == "__main__":
    sys.exit(main())
