"""Peak resident memory of the local dedup driver alone (forked workers excluded), to state
dedup's memory per document: run it on two corpus sizes and divide the difference.

    python bench/dedup_driver_memory.py DIR/in     # a --scale corpus of bench_dedup.py

``VmRSS`` of this process is sampled every 20 ms while ``run_dedup_local`` runs with the
default config and 2 workers.
"""
from __future__ import annotations

import argparse
import glob
import tempfile
import threading
import time

from pretrain_clean.dedup.config import DedupConfig
from pretrain_clean.dedup.local import run_dedup_local


def rss() -> int:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("input", help="folder of parquet parts")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    files = sorted(glob.glob(f"{args.input}/*.parquet"))
    peak, done = [0], threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], rss())
            time.sleep(0.02)

    before = rss()
    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    with tempfile.TemporaryDirectory() as out:
        result = run_dedup_local(DedupConfig(), files, f"{out}/kept", f"{out}/rejected", f"{out}/work",
                                 workers=args.workers)
    done.set()
    thread.join()
    print(f"{result.documents_in:,} documents: driver RSS {before / 2**20:.0f} MiB before, peak {peak[0] / 2**20:.0f} MiB")


if __name__ == "__main__":
    main()
