"""Spark's fixed cost: candidate driver settings when our code starts the JVM (``local[*]``).

    python bench/bench_spark_jvm.py [--docs 100] [--rounds 3] [--sides default,codegen,...]

Runs ``pretrain-clean clean --engine spark --config default`` on the web-like corpus of
bench_cascade.py once per side and round, interleaved (bench/measure.py: CPU of the whole
process tree, wall, peak PSS). Each side sets ``PYSPARK_SUBMIT_ARGS``: the driver JVM options
we pass by default (:data:`pipeline.spark_engine.LOCAL_DRIVER_JAVA_OPTIONS`) plus the side's
own, and the side's ``--conf`` settings. The ``cds`` side first runs once, unmeasured, with
``-XX:ArchiveClassesAtExit`` to dump a dynamic class-data-sharing archive, then every
measured run maps it (``-XX:SharedArchiveFile``). Prints medians and each side's median
per-round ratio to ``default``, and whether every side kept the same documents.
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench_cascade import write_corpus
from bench_engine import kept_ids
from measure import interleave, load_note, median_ratio, table

from pretrain_clean.pipeline.spark_engine import LOCAL_DRIVER_JAVA_OPTIONS

SIDES: dict[str, tuple[str, dict[str, str]]] = {
    "default": ("", {}),
    "codegen_off": ("", {"spark.sql.codegen.wholeStage": "false", "spark.sql.codegen.factoryMode": "NO_CODEGEN"}),
    "no_perfdata": ("-XX:-UsePerfData", {}),
    "one_compiler": ("-XX:CICompilerCount=1", {}),
    "xint": ("-Xint", {}),
    "cds": ("-XX:SharedArchiveFile={archive}", {}),
    "quiet_metrics": ("", {"spark.ui.enabled": "false", "spark.sql.ui.retainedExecutions": "1",
                           "spark.ui.retainedJobs": "1", "spark.ui.retainedStages": "1",
                           "spark.eventLog.enabled": "false", "spark.executor.heartbeatInterval": "60s",
                           "spark.network.timeout": "120s"}),
}


def submit_args(java: str, conf: dict[str, str]) -> str:
    options = f"{LOCAL_DRIVER_JAVA_OPTIONS} {java}".strip()
    return " ".join([f'--driver-java-options "{options}"', *(f"--conf {k}={v}" for k, v in conf.items()), "pyspark-shell"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sides", default=",".join(SIDES), help=f"comma-separated, of {', '.join(SIDES)}")
    args = parser.parse_args()
    names = args.sides.split(",")
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        archive = base / "spark.jsa"
        write_corpus(base / "in", args.docs, 4)
        common = [sys.executable, "-m", "pretrain_clean", "clean", "--engine", "spark", "--config", "default", "--input",
                  str(base / "in"), "--overwrite", "--quiet"]
        sides = {}
        for name in names:
            java, conf = SIDES[name]
            sides[name] = ["env", f"PYSPARK_SUBMIT_ARGS={submit_args(java.format(archive=archive), conf)}", *common,
                           "--output", str(base / name)]
        if "cds" in names:  # the archive is dumped by one unmeasured run
            import subprocess

            dump = submit_args(f"-XX:ArchiveClassesAtExit={archive}", {})
            subprocess.run(["env", f"PYSPARK_SUBMIT_ARGS={dump}", *common, "--output", str(base / "dump")], check=True)
            # the JVM writes the archive as it exits, after the Python driver has returned
            for _ in range(600):
                size = archive.stat().st_size if archive.exists() else -1
                time.sleep(0.5)
                if size > 0 and archive.stat().st_size == size:
                    break
            print(f"CDS archive: {archive.stat().st_size / 2**20:.0f} MiB")
        print(f"{args.docs:,} documents; {args.rounds} interleaved rounds; {load_note()}")
        runs = interleave(sides, args.rounds, before_each=lambda name: shutil.rmtree(base / name, ignore_errors=True))
        same = all(kept_ids(base / name) == kept_ids(base / names[0]) for name in names)
    print(table(runs, {name: args.docs for name in names}))
    for name in names[1:]:
        print(f"{name} / {names[0]}: CPU {median_ratio(runs, name, names[0], 'cpu'):.3f}x, "
              f"wall {median_ratio(runs, name, names[0], 'wall'):.3f}x")
    print(f"same kept ids on every side: {same}; after the run: {load_note()}")


if __name__ == "__main__":
    main()
