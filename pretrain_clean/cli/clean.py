"""Clean raw text: the configured cascade (and dedup) on the local or the Spark engine.

    pretrain-clean clean --engine local --config default --input data/sample --output out/sample
    spark-submit jobs/clean.py --config default --input data/sample --output out/sample
"""
from __future__ import annotations

import argparse
import os

from pretrain_clean.cli.args import parser, positive
from pretrain_clean.pipeline.engine import ENGINES, EngineOptions, closed_on_error, engine_for


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    under_spark = "PYSPARK_GATEWAY_PORT" in os.environ
    ap = parser("clean", __doc__)
    ap.add_argument("--config", required=True, help="TOML config (a file, or 'default' / 'minimal' for a bundled one)")
    ap.add_argument("--input", required=True, nargs="+", help="files, directories or globs")
    ap.add_argument("--output", required=True, help="output directory")
    ap.add_argument("--engine", choices=ENGINES, default="spark" if under_spark else "local",
                    help="default: spark under spark-submit, else local")
    ap.add_argument("--workers", type=positive, default=os.cpu_count() or 1,
                    help="local engine: parallel worker processes (default: all cores)")
    ap.add_argument("--tasks", type=positive, default=None,
                    help="local engine: datatrove tasks sharing the input files (default: --workers)")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="override a config value, e.g. stages.gopher_quality.min_doc_words=30")
    ap.add_argument("--overwrite", action="store_true", help="delete the output directory first")
    ap.add_argument("--follow-symlinks", action="store_true",
                    help="read files that symlinks inside an input folder point to outside it")
    ap.add_argument("--quiet", action="store_true", help="no progress or summary on stderr")
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    options = EngineOptions(workers=args.workers, tasks=args.tasks, show_progress=not args.quiet)
    engine = engine_for(args.engine, options)
    engine.start()  # Spark: the driver JVM starts while the stages' modules, the config and the models load
    with closed_on_error(engine):
        from pretrain_clean.pipeline.clean import CleanOptions, clean  # imported after the start, to overlap it
        from pretrain_clean.pipeline.config import load_config

        spec = load_config(args.config, args.set)
        options = CleanOptions(args.engine, args.workers, args.tasks, args.overwrite, not args.quiet,
                               args.follow_symlinks)
        stats = clean(spec, args.input, args.output, options, engine)
    print(f"kept {stats.kept:,} of {stats.documents_in:,} documents "
          f"({stats.removed_total:,} removed, {stats.quarantined:,} quarantined) -> {args.output}")
    return 0
