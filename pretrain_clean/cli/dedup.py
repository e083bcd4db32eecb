"""Deduplicate an already cleaned corpus: exact, MinHash LSH, paragraph/sentence levels.

    pretrain-clean dedup --config default --input out/kept --output out-dedup [--engine local|spark]

``--input`` takes a directory of ``part-*.parquet`` files or the files themselves;
``--output`` receives ``kept/``, ``rejected/``, ``dedup_report.{json,md}`` and a
scratch ``work/`` directory. The ``[dedup]`` table of the config sets the levels.
"""
from __future__ import annotations

import argparse
import json
import sys

from pretrain_clean.dedup.config import DedupConfig
from pretrain_clean.pipeline import storage
from pretrain_clean.pipeline.config import load_config


def input_files(inputs: list[str]) -> list[str]:
    """Parquet parts named by ``inputs`` (paths or URIs; folders expand to their ``*.parquet``),
    sorted by file name."""
    files: list[str] = []
    for item in inputs:
        item = storage.absolute(item)
        if storage.is_file(item):
            files.append(item)
        elif storage.exists(item):
            files += storage.list_files(item, ".parquet")
        else:
            raise SystemExit(f"--input: {item}: no such file or directory")
    if not files:
        raise SystemExit(f"--input: no .parquet files in {', '.join(inputs)}")
    return sorted(files, key=storage.basename)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", required=True, help="TOML config with a [dedup] table")
    parser.add_argument("--input", required=True, nargs="+", help="directory of parquet parts, or files")
    parser.add_argument("--output", required=True, help="output directory")
    parser.add_argument("--engine", choices=("local", "spark"), default="local")
    parser.add_argument("--workers", type=int, default=None,
                        help="local engine: processes for the read and write passes (default: every CPU)")
    parser.add_argument("--master", default=None,
                        help="Spark master (spark engine); default: spark-submit's, else local[*]")
    args = parser.parse_args(argv)
    spec = load_config(args.config)
    cfg = spec.sections.get("dedup", DedupConfig())
    files = input_files(args.input)
    out = storage.absolute(args.output)
    kept, rejected, work = storage.join(out, "kept"), storage.join(out, "rejected"), storage.join(out, "work")
    if args.engine == "local":
        from pretrain_clean.dedup.local import run_dedup_local

        result = run_dedup_local(cfg, files, kept, rejected, work, workers=args.workers)
    else:
        from pretrain_clean.dedup.spark import run_dedup_spark
        from pretrain_clean.pipeline.spark_engine import spark_session

        spark = spark_session("dedup", args.master)
        try:
            result = run_dedup_spark(spark, cfg, files, kept, rejected, work)
        finally:
            spark.stop()
    summary = {k: v for k, v in result.to_json().items() if k != "report"}
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
