"""Runner overhead: read jsonl.gz -> (no stages) -> write parquet, ours vs datatrove, same corpus.

    python bench/bench_engine.py [--docs 40000]

Builds a web-like corpus (~2.3 KB documents cut from the bundled English sample) in a temp
folder, then times, each in a fresh process, our local engine with the bundled `minimal` config and
datatrove's JsonlReader -> ParquetWriter on LocalPipelineExecutor. Prints documents/s (CPU-time
based, per core), the ratio, and peak RSS.
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

DATATROVE = """
import sys
from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.readers import JsonlReader
from datatrove.pipeline.writers import ParquetWriter
src, out = sys.argv[1], sys.argv[2]
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


def timed(cmd: list[str]) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds of children, peak RSS KiB) of one subprocess run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, after.ru_maxrss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=40_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "in"
        size = build_corpus(corpus, args.docs)
        print(f"corpus: {args.docs:,} documents, {size / 1e6:.1f} MB of text, {size / args.docs:,.0f} B/doc")
        ours = timed([sys.executable, "jobs/clean.py", "--config", "minimal", "--input", str(corpus),
                      "--output", f"{tmp}/ours", "--workers", "1", "--quiet"])
        theirs = timed([sys.executable, "-c", DATATROVE, str(corpus), f"{tmp}/datatrove"])
    print(f"{'':<28}{'wall s':>8}{'CPU s':>8}{'docs/s/core':>13}")
    for name, (wall, cpu, _) in (("ours (local engine)", ours), ("datatrove reader+writer", theirs)):
        print(f"{name:<28}{wall:>8.2f}{cpu:>8.2f}{args.docs / cpu:>13,.0f}")
    print(f"ratio ours/datatrove (CPU-time throughput): {theirs[1] / ours[1]:.2f}x")
    print(f"peak RSS of any child so far: {max(ours[2], theirs[2]) / 1024:.0f} MiB")


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "true")
    main()
