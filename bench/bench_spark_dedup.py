"""Spark dedup's two paths against the local engine, in one process, interleaved.

    python bench/bench_spark_dedup.py [--docs 20000] [--rounds 3]

On a generated near-duplicate corpus (bench/dedup_corpus.py, 4 parquet parts; default config:
exact + MinHash + paragraph), each round runs the local engine (2 workers), the Spark driver
path and the Spark distributed path (``spark_driver_bytes`` set to force each) in one
``local[2]`` session started by our code (so the JVM is warm after round 1: this measures the
dedup step, not Spark's start-up). Prints per path the wall seconds (median), the Spark jobs
it ran (status tracker, one job group per run), the driver Python's peak RSS above its level
before the run (``VmRSS`` sampled every 20 ms), the features estimate that decides the path
(:func:`dedup.spark_driver.feature_bytes`), and whether the three kept the same documents.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from pathlib import Path

import pyarrow.parquet as pq
from dedup_corpus import generate
from measure import load_note

from pretrain_clean.dedup.config import DedupConfig
from pretrain_clean.dedup.local import run_dedup_local
from pretrain_clean.dedup.spark import run_dedup_spark
from pretrain_clean.dedup.spark_driver import feature_bytes
from pretrain_clean.pipeline.spark_engine import spark_session


def rss(pid: int | str = "self") -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def kept(folder: Path) -> list[str]:
    return [i for p in sorted(folder.glob("*.parquet")) for i in pq.read_table(p, columns=["id"]).column(0).to_pylist()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--paths", default="local,driver,distributed", help="which of local, driver, distributed")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        (base / "in").mkdir()
        generate(base / "in", args.docs, per_part=-(-args.docs // 4))
        files = sorted(str(p) for p in (base / "in").glob("*.parquet"))
        estimate = feature_bytes(DedupConfig(), files)
        spark = spark_session(master="local[2]")
        tracker = spark.sparkContext.statusTracker()
        print(f"{args.docs:,} documents, 4 parts; features estimate {estimate / 2**20:.1f} MiB; {load_note()}")
        jvm = spark.sparkContext._jvm.ProcessHandle.current().pid()
        every = {
            "local": ("local engine", None),
            "driver": ("spark driver path", DedupConfig(spark_driver_bytes=estimate)),
            "distributed": ("spark distributed", DedupConfig(spark_driver_bytes=0)),
        }
        paths = dict(every[p] for p in args.paths.split(","))
        wall: dict[str, list[float]] = {name: [] for name in paths}
        jobs: dict[str, int] = {}
        peak: dict[str, int] = {}
        ids: dict[str, list[str]] = {}
        for r in range(args.rounds):
            for i, (name, cfg) in enumerate(paths.items()):
                out = base / f"out{i}"
                before, top, done = rss(), [0, 0], threading.Event()

                def sample() -> None:
                    while not done.is_set():
                        top[0] = max(top[0], rss())
                        top[1] = max(top[1], rss(jvm))
                        time.sleep(0.02)

                sampler = threading.Thread(target=sample, daemon=True)
                sampler.start()
                group = f"{name}-{r}"
                spark.sparkContext.setJobGroup(group, name)
                t0 = time.perf_counter()
                if cfg is None:
                    result = run_dedup_local(DedupConfig(), files, str(out / "kept"), str(out / "rej"), str(out / "w"), workers=2)
                else:
                    result = run_dedup_spark(spark.sparkContext, cfg, files, str(out / "kept"), str(out / "rej"), str(out / "w"))
                wall[name].append(time.perf_counter() - t0)
                done.set()
                sampler.join()
                jobs[name] = len(tracker.getJobIdsForGroup(group))
                peak[name] = max(peak.get(name, 0), top[0] - before)
                ids[name] = kept(out / "kept")
                print(f"  round {r + 1}/{args.rounds} {name:<18} wall {wall[name][-1]:6.2f} s  jobs {jobs[name]:3d}  "
                      f"driver RSS +{(top[0] - before) / 2**20:6.0f} MiB  JVM RSS {top[1] / 2**20:6.0f} MiB  phases " + ", ".join(
                          f"{k} {v:.2f}" for k, v in result.seconds.items() if not k.endswith("_cpu")))
        spark.stop()
    for name in paths:
        local = wall.get("local engine", wall[name])
        ratio = statistics.median(w / loc for w, loc in zip(wall[name], local))
        print(f"{name:<18} median {statistics.median(wall[name]):6.2f} s ({ratio:.2f}x local), {jobs[name]} Spark jobs, "
              f"driver Python peak +{peak[name] / 2**20:.0f} MiB, kept {len(ids[name]):,}")
    print(f"same kept ids on every path: {len({tuple(v) for v in ids.values()}) == 1}; after: {load_note()}")


if __name__ == "__main__":
    main()
