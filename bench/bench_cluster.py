"""Start-up seconds and documents/s per core: Spark standalone cluster (s3:// to s3://) vs the
local engine (local disk), same input, same cascade (the default config without dedup).

    PYTHONPATH=$PWD:$PWD/tests python bench/bench_cluster.py [--rounds 2] [--workers 2]

Starts a moto S3 server and a Spark standalone master with ``--workers`` one-core workers on
loopback (the helpers of ``tests/test_cluster.py``), then alternates, per round: a one-document
run (the fixed cost: JVM, session, executors, model loading) and the bundled sample, on each
side. docs/s per core = documents / (run seconds - that side's one-document seconds) / cores.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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


def timed(cmd: list[str], env: dict[str, str], log: Path) -> float:
    start = time.perf_counter()
    with open(log, "wb") as fh:
        done = subprocess.run(cmd, env=env, stdout=fh, stderr=subprocess.STDOUT)
    if done.returncode:
        raise SystemExit(f"failed ({done.returncode}): {' '.join(cmd)}; see {log}")
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=2)
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
                  str(ROOT / "jobs" / "clean.py"), "--quiet", "--config", f"{BUCKET}/no_dedup.toml", *model_sets(f"{BUCKET}/models")]
        local = [sys.executable, "-m", "pretrain_clean", "clean", "--engine", "local", "--workers", str(args.workers),
                 "--quiet", "--config", str(config)]
        rows: dict[str, list[float]] = {k: [] for k in ("spark_start", "spark_run", "local_start", "local_run")}
        try:
            for r in range(args.rounds):
                rows["spark_start"].append(timed(submit + ["--input", f"{BUCKET}/tiny", "--output", f"{BUCKET}/t{r}"], env, tmp / "s.log"))
                rows["local_start"].append(timed(local + ["--input", str(tiny.parent), "--output", str(tmp / f"t{r}")], env, tmp / "l.log"))
                rows["spark_run"].append(timed(submit + ["--input", f"{BUCKET}/sample", "--output", f"{BUCKET}/o{r}"], env, tmp / "s.log"))
                rows["local_run"].append(timed(local + ["--input", str(ROOT / "data" / "sample"), "--output", str(tmp / f"o{r}")], env, tmp / "l.log"))
                print(f"round {r}: " + ", ".join(f"{k} {v[-1]:.1f}s" for k, v in rows.items()), flush=True)
        finally:
            cluster.stop()
    med = {k: statistics.median(v) for k, v in rows.items()}
    for side in ("spark", "local"):
        work = max(med[f"{side}_run"] - med[f"{side}_start"], 1e-9)
        print(f"{side:5s}: start-up {med[f'{side}_start']:.1f} s, sample {med[f'{side}_run']:.1f} s, "
              f"{docs / work / args.workers:,.0f} docs/s per core over {args.workers} cores")
    ratios = [(s - ss) / (l - ls) for s, ss, l, ls in zip(rows["spark_run"], rows["spark_start"], rows["local_run"], rows["local_start"])]
    print(f"cluster/local time for the sample's work (median of per-round ratios): {statistics.median(ratios):.2f}x")


if __name__ == "__main__":
    main()
