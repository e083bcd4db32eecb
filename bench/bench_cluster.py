"""Start-up seconds and documents/s per core: Spark standalone cluster (s3:// to s3://) vs the
local engine (local disk), same input, same cascade (the default config without dedup).

    PYTHONPATH=$PWD:$PWD/tests python bench/bench_cluster.py [--rounds 3] [--workers 2]

Starts a moto S3 server and a Spark standalone master with ``--workers`` one-core workers on
loopback (the helpers of ``tests/test_cluster.py``), then runs interleaved (bench/measure.py),
per round: a one-document run (the fixed cost: JVM, session, executors, model loading) and the
bundled sample, on each side. CPU and peak memory (PSS) of a Spark side include the cluster's
master, workers and executors during the run. docs/s per core = documents / (run seconds -
that side's one-document seconds) / cores.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

from measure import interleave, load_note, report

from s3_server import moto_s3, upload_tree
from spark_cluster import Cluster, spark_bin

from pretrain_clean.paths import CONFIGS, RESOURCES
from pretrain_clean.pipeline import storage

ROOT = Path(__file__).resolve().parent.parent
BUCKET = "s3://bench"
MODELS = ("lid/lid.176.ftz", "models/quality/en.ftz",
          *(f"models/kenlm/{lang}.{ext}" for lang in ("en", "zh") for ext in ("arpa.bin", "sp.model", "cutoffs.json")))


def model_sets(prefix: str) -> list[str]:
    return ["--set", f'stages.language_id.model_path="{prefix}/lid/lid.176.ftz"',
            "--set", f'stages.quality_classifier.model_path="{prefix}/models/quality/en.ftz"',
            "--set", (f'stages.perplexity.models={{en="{prefix}/models/kenlm/en.arpa.bin", '
                      f'zh="{prefix}/models/kenlm/zh.arpa.bin"}}')]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds (at least 3)")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-cluster-"))
    config = tmp / "no_dedup.toml"
    config.write_text((CONFIGS / "default.toml").read_text().split("\n[dedup]")[0] + "\n")
    tiny = tmp / "tiny" / "one.jsonl"
    tiny.parent.mkdir()
    tiny.write_text('{"id": "1", "text": "One short document to start the engines."}\n')
    docs = 2329  # the bundled sample's documents (kept + removed + quarantined)
    with moto_s3(("bench",)) as s3env:
        upload_tree(ROOT / "data" / "sample", f"{BUCKET}/sample")
        upload_tree(tiny.parent, f"{BUCKET}/tiny")
        storage.write_bytes(f"{BUCKET}/no_dedup.toml", config.read_bytes())
        for name in MODELS:
            storage.write_bytes(f"{BUCKET}/models/{name}", (RESOURCES / name).read_bytes())
        env = {**os.environ, **s3env, "SPARK_LOCAL_IP": "127.0.0.1", "PYSPARK_PYTHON": sys.executable}
        cluster = Cluster(tmp / "cluster", env, workers=args.workers).start()
        submit = [spark_bin("spark-submit"), "--master", cluster.master_url, "--conf", f"spark.cores.max={args.workers}",
                  "--conf", "spark.executor.cores=1", "--executor-memory", "1g", "--conf", "spark.ui.enabled=false",
                  str(ROOT / "jobs" / "clean.py"), "--quiet", "--overwrite", "--config", f"{BUCKET}/no_dedup.toml",
                  *model_sets(f"{BUCKET}/models")]
        local = [sys.executable, "-m", "pretrain_clean", "clean", "--engine", "local", "--workers", str(args.workers),
                 "--quiet", "--overwrite", "--config", str(config)]
        sides = {
            "spark, 1 document": submit + ["--input", f"{BUCKET}/tiny", "--output", f"{BUCKET}/t"],
            "local, 1 document": local + ["--input", str(tiny.parent), "--output", str(tmp / "t")],
            "spark, sample": submit + ["--input", f"{BUCKET}/sample", "--output", f"{BUCKET}/o"],
            "local, sample": local + ["--input", str(ROOT / "data" / "sample"), "--output", str(tmp / "o")],
        }
        print(f"standalone cluster: {args.workers} one-core workers; {args.rounds} interleaved rounds; {load_note()}")
        try:  # the cluster's master and workers (and the executors they start) count for the Spark sides
            runs = interleave(sides, args.rounds, env=env, also=tuple(proc.pid for proc in cluster.procs.values()))
        finally:
            cluster.stop()
    report(runs, {"spark, 1 document": 1, "local, 1 document": 1, "spark, sample": docs, "local, sample": docs},
           [("spark, 1 document", "local, 1 document"), ("spark, sample", "local, sample")])
    for side in ("spark", "local"):
        start = statistics.median(r.wall for r in runs[f"{side}, 1 document"])
        run = statistics.median(r.wall for r in runs[f"{side}, sample"])
        print(f"{side:5s}: start-up {start:.1f} s, sample {run:.1f} s, "
              f"{docs / max(run - start, 1e-9) / args.workers:,.0f} docs/s per core over {args.workers} cores (wall minus start-up)")
    ratios = [(s.wall - ss.wall) / max(lo.wall - ls.wall, 1e-9) for s, ss, lo, ls in
              zip(runs["spark, sample"], runs["spark, 1 document"], runs["local, sample"], runs["local, 1 document"])]
    print(f"cluster/local wall time for the sample's work (minus start-up; median of per-round ratios): "
          f"{statistics.median(ratios):.2f}x")


if __name__ == "__main__":
    main()
