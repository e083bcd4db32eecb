"""Engine overhead, two comparisons on the same corpus.

    python bench/bench_engine.py [--docs 40000]            # runner: ours vs datatrove
    python bench/bench_engine.py --spark [--docs 20000]    # Spark local[2] vs the local engine

Default: builds a web-like corpus (~2.3 KB documents cut from the bundled English sample) in
a temp folder, then runs, interleaved (A B A B ..., bench/measure.py), our local engine with
the bundled `minimal` config and datatrove's JsonlReader -> ParquetWriter on
LocalPipelineExecutor, one worker each.

``--spark``: the default config as shipped (full cascade, then exact + MinHash + paragraph
dedup) on the web-like corpus of bench_cascade.py in ``2 x workers`` jsonl files, by
``pretrain-clean clean --engine local --workers N`` and by ``spark-submit --master
local[N] jobs/clean.py``, interleaved; also the dedup step's wall seconds from each run's
``stats.json`` (its phases, not the local workers' ``*_cpu`` entries) and whether both kept
the same documents. ``--submit-args '--properties-file jobs/spark-local.conf'`` runs the
Spark side with the driver JVM options recommended for ``local[N]``. ``--spark-cli`` adds
``pretrain-clean clean --engine spark``; ``--baseline DIR`` adds the same command with the
package of another checkout (``git archive COMMIT | tar -x -C DIR``, C modules built there)
first on ``PYTHONPATH`` (and ``PRETRAIN_CLEAN_SPARK_CDS=0``, the default before session 6):
before/after a change, in the same interleaved rounds. The ``--spark-cli`` side maps the
class-data-sharing archive it uses by default (``pipeline/spark_cds.py``), kept in a temp
folder and dumped by one unmeasured run first; ``--no-cds`` adds the same command without it.

Prints per-side medians, documents/s per core (CPU of the process tree), the median ratio of
CPU and wall time, and peak memory (PSS of the tree).
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from measure import interleave, load_note, median_ratio, table

SPARK, LOCAL = "spark local[2] (default config)", "local engine (default config)"
SPARK_CLI = "pretrain-clean --engine spark"

ROOT = Path(__file__).resolve().parent.parent

DATATROVE = """
import sys
from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.readers import JsonlReader
from datatrove.pipeline.writers import ParquetWriter
src, out = sys.argv[1], sys.argv[2]
if __name__ == "__main__":
    LocalPipelineExecutor(pipeline=[JsonlReader(src), ParquetWriter(out)], tasks=1, workers=1,
                          logging_dir=out + "/_logs").run()
"""


def build_corpus(folder: Path, docs: int, seed: int = 0) -> int:
    texts = []
    for path in sorted((ROOT / "data/sample/web_en").glob("demos_data_mixture_*.jsonl")):
        texts += [json.loads(line)["text"] for line in path.open(encoding="utf-8")]
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    size = 0
    with gzip.open(folder / "corpus.jsonl.gz", "wt", encoding="utf-8") as out:
        for i in range(docs):
            text = rng.choice(texts)
            start = rng.randrange(max(1, len(text) - 2300))
            line = json.dumps({"id": f"d{i}", "text": text[start:start + 2300]}) + "\n"
            size += len(text[start:start + 2300].encode())
            out.write(line)
    return size


def kept_ids(folder: Path) -> list[str]:
    import pyarrow.parquet as pq

    return [i for p in sorted((folder / "kept").glob("*.parquet")) for i in pq.read_table(p, columns=["id"]).column(0).to_pylist()]


def spark_vs_local(docs: int, rounds: int, workers: int, submit_args: list[str], cli: bool = False,
                   baseline: str | None = None, no_cds: bool = False) -> None:
    """The default config on both engines, interleaved; dedup seconds from ``stats.json``.

    ``submit_args`` go to ``spark-submit`` before the job (e.g. ``--driver-java-options ...``).
    ``cli``: a third side, ``pretrain-clean clean --engine spark``, whose driver JVM our code
    starts (``local[*]``, so only when ``workers`` is every CPU).
    """
    import statistics

    from bench_cascade import write_corpus

    names = {SPARK.replace("[2]", f"[{workers}]"): "spark", LOCAL: "local", SPARK_CLI: "spark_cli",
             f"{SPARK_CLI} (baseline)": "spark_baseline", f"{SPARK_CLI} (no CDS)": "spark_no_cds"}
    spark_name = next(iter(names))
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        size = write_corpus(base / "in", docs, 2 * workers)
        common = ["--config", "default", "--input", str(base / "in"), "--overwrite", "--quiet"]
        sides = {
            spark_name: ["spark-submit", "--master", f"local[{workers}]", *submit_args, str(ROOT / "jobs" / "clean.py"), *common,
                         "--output", f"{tmp}/spark"],
            LOCAL: [sys.executable, "-m", "pretrain_clean", "clean", "--engine", "local", "--workers", str(workers), *common,
                    "--output", f"{tmp}/local"],
        }
        if cli:
            if workers != os.cpu_count():
                raise SystemExit(f"--spark-cli runs local[*]: use --workers {os.cpu_count()}")
            cli_side = [sys.executable, "-m", "pretrain_clean", "clean", "--engine", "spark", *common]
            # the archive the command maps by default (pipeline/spark_cds.py), dumped by one unmeasured run
            cds = ["env", f"PRETRAIN_CLEAN_SPARK_CDS={tmp}/cds"]
            subprocess.run([*cds, *cli_side, "--output", f"{tmp}/cds_dump"], check=True)
            sides[SPARK_CLI] = [*cds, *cli_side, "--output", f"{tmp}/spark_cli"]
            if no_cds:
                sides[f"{SPARK_CLI} (no CDS)"] = ["env", "PRETRAIN_CLEAN_SPARK_CDS=0", *cli_side, "--output",
                                                  f"{tmp}/spark_no_cds"]
            if baseline:
                path = os.pathsep.join([str(Path(baseline).resolve()), os.environ.get("PYTHONPATH", "")])
                # run from there too: `python -m` puts the current folder first on sys.path
                sides[f"{SPARK_CLI} (baseline)"] = ["env", "-C", str(Path(baseline).resolve()), f"PYTHONPATH={path}",
                                                    "PRETRAIN_CLEAN_SPARK_CDS=0", *cli_side, "--output",
                                                    f"{tmp}/spark_baseline"]
        dedup: dict[str, list[float]] = {name: [] for name in sides}

        def collect(name: str) -> None:
            stats = base / names[name] / "stats.json"
            if stats.exists():
                seconds = json.loads(stats.read_text())["dedup_seconds"]
                # the phases' wall seconds; the local engine also lists its workers' CPU (*_cpu)
                dedup[name].append(sum(v for k, v in seconds.items() if not k.endswith("_cpu")))
                stats.unlink()

        print(f"corpus: {docs:,} web-like documents, {size / 1e6:.1f} MB, {2 * workers} files; {rounds} interleaved "
              f"rounds; {load_note()}")
        runs = interleave(sides, rounds, before_each=collect)
        for name in sides:
            collect(name)
        same = all(kept_ids(base / names[name]) == kept_ids(base / "local") for name in sides)
    print(table(runs, {name: docs for name in sides}))
    for name in [n for n in sides if n != LOCAL]:
        print(f"{name} / local, median of per-round ratios: CPU {median_ratio(runs, name, LOCAL, 'cpu'):.2f}x, "
              f"wall {median_ratio(runs, name, LOCAL, 'wall'):.2f}x")
        ratios = [s / max(loc, 1e-9) for s, loc in zip(dedup[name], dedup[LOCAL])]
        print(f"  dedup step (stats.json dedup_seconds, wall phases), medians: {statistics.median(dedup[name]):.1f} s, "
              f"local {statistics.median(dedup[LOCAL]):.1f} s, ratio {statistics.median(ratios):.2f}x")
    print(f"same kept ids on every side: {same}; after the run: {load_note()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=None, help="default: 40,000 (runner), 20,000 (--spark)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--spark", action="store_true", help="Spark local[workers] vs the local engine instead")
    parser.add_argument("--workers", type=int, default=2, help="--spark: cores per side")
    parser.add_argument("--submit-args", default="", help="--spark: extra spark-submit options, one string "
                        "(e.g. '--driver-java-options \"-XX:TieredStopAtLevel=1 -XX:+UseSerialGC\"')")
    parser.add_argument("--spark-cli", action="store_true", help="--spark: also `pretrain-clean clean --engine "
                        "spark` (our code starts the driver JVM, with its local-master options)")
    parser.add_argument("--no-cds", action="store_true", help="--spark-cli: also that command without its "
                        "class-data-sharing archive (PRETRAIN_CLEAN_SPARK_CDS=0)")
    parser.add_argument("--baseline", help="--spark-cli: also that command with the package from this folder "
                        "(another checkout) first on PYTHONPATH")
    args = parser.parse_args()
    if args.spark:
        spark_vs_local(args.docs or 20_000, args.rounds, args.workers, shlex.split(args.submit_args), args.spark_cli,
                       args.baseline, args.no_cds)
        return
    args.docs = args.docs or 40_000
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "in"
        size = build_corpus(corpus, args.docs)
        script = Path(tmp) / "datatrove_engine.py"
        script.write_text(DATATROVE, encoding="utf-8")
        print(f"corpus: {args.docs:,} documents, {size / 1e6:.1f} MB of text, {size / args.docs:,.0f} B/doc; "
              f"{args.rounds} interleaved rounds; {load_note()}")
        sides = {
            "ours (local engine)": [sys.executable, "-m", "pretrain_clean", "clean", "--config", "minimal", "--input",
                                    str(corpus), "--output", f"{tmp}/ours", "--workers", "1", "--quiet", "--overwrite"],
            "datatrove reader+writer": [sys.executable, str(script), str(corpus), f"{tmp}/datatrove"],
        }
        runs = interleave(sides, args.rounds, before_each=lambda name: shutil.rmtree(f"{tmp}/datatrove", ignore_errors=True))
    print(table(runs, {name: args.docs for name in sides}))
    print(f"datatrove / ours, median of per-round ratios: CPU "
          f"{median_ratio(runs, 'datatrove reader+writer', 'ours (local engine)', 'cpu'):.2f}x, wall "
          f"{median_ratio(runs, 'datatrove reader+writer', 'ours (local engine)', 'wall'):.2f}x")


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "true")
    main()
