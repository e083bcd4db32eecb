"""Deduplicate an already cleaned corpus: exact, MinHash LSH, paragraph/sentence levels.

    pretrain-clean dedup --config default --input out/kept --output out-dedup [--engine local|spark]

``--input`` takes a clean run's folder (its ``kept/`` is read), folders of parquet files
(searched recursively) or the files themselves;
``--output`` receives ``kept/``, ``rejected/``, ``dedup_report.{json,md}`` and a
scratch ``work/`` directory. The ``[dedup]`` table of the config sets the levels.
"""
from __future__ import annotations

import json

from pretrain_clean.cli.args import parser, positive
from pretrain_clean.dedup.config import DedupConfig
from pretrain_clean.errors import UsageError
from pretrain_clean.pipeline import storage
from pretrain_clean.pipeline.config import load_config
from pretrain_clean.pipeline.engine import ENGINES, EngineOptions, engine_for
from pretrain_clean.pipeline.output_guard import check_locations, output_lock
from pretrain_clean.pipeline.plan import expand_inputs


def input_files(inputs: list[str], follow_symlinks: bool = False) -> list[str]:
    """Parquet parts named by ``inputs`` (paths or URIs; a clean run's folder stands for its
    ``kept/``), through the pipeline's one lister; sorted by file name, which must be unique."""
    files = expand_inputs(inputs, wanted=lambda name: name.endswith(".parquet"), kinds=".parquet",
                          corpus_dirs=True, follow_symlinks=follow_symlinks)
    names: dict[str, str] = {}
    for path in files:
        other = names.setdefault(storage.basename(path), path)
        if other != path:
            raise UsageError(f"two inputs share the file name {storage.basename(path)} ({other}, {path}); "
                             "their outputs would collide: dedup one corpus at a time")
    return sorted(files, key=storage.basename)


def main(argv: list[str] | None = None) -> int:
    ap = parser("dedup", __doc__)
    ap.add_argument("--config", required=True, help="TOML config with a [dedup] table")
    ap.add_argument("--input", required=True, nargs="+",
                    help="a clean run's folder, folders of parquet parts, or files")
    ap.add_argument("--output", required=True, help="output directory")
    ap.add_argument("--engine", choices=ENGINES, default="local")
    ap.add_argument("--workers", type=positive, default=None,
                    help="local engine: processes for the read and write passes (default: every CPU)")
    ap.add_argument("--master", default=None,
                    help="Spark master (spark engine); default: spark-submit's, else local[*]")
    ap.add_argument("--follow-symlinks", action="store_true",
                    help="read files that symlinks inside an input folder point to outside it")
    args = ap.parse_args(argv)
    spec = load_config(args.config)
    cfg = spec.sections.get("dedup", DedupConfig())
    check_locations(args.input, args.output)
    files = input_files(args.input, args.follow_symlinks)
    out = storage.absolute(args.output)
    kept, rejected, work = storage.join(out, "kept"), storage.join(out, "rejected"), storage.join(out, "work")
    with output_lock(args.output):
        engine = engine_for(args.engine, EngineOptions(workers=args.workers, master=args.master, app_name="dedup"))
        try:
            result = engine.dedup(cfg, files, kept, rejected, work)
        finally:
            engine.close()
    summary = {k: v for k, v in result.to_json().items() if k != "report"}
    print(json.dumps(summary, indent=2))
    return 0
