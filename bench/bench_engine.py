"""Runner overhead: read jsonl.gz -> (no stages) -> write parquet, ours vs datatrove, same corpus.

    python bench/bench_engine.py [--docs 40000]

Builds a web-like corpus (~2.3 KB documents cut from the bundled English sample) in a temp
folder, then runs, interleaved (A B A B ..., bench/measure.py), our local engine with the
bundled `minimal` config and datatrove's JsonlReader -> ParquetWriter on LocalPipelineExecutor,
one worker each. Prints per-side medians, documents/s per core (CPU of the process tree), the
median ratio of CPU and wall time, and peak memory (PSS of the tree).
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import shutil
import sys
import tempfile
from pathlib import Path

from measure import interleave, load_note, median_ratio, table

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=40_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
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
