"""CPU seconds per stage of the cascade, in one process, on bench_cascade.py's corpus.

    python bench/cascade_stages.py [--docs 20000] [--rounds 3] [--full]

The stages ``bench_cascade.py``'s ``ours-shared`` side runs (``--full``: the whole default
cascade without dedup), over the same web-like documents already in memory: no start-up, no
reading or writing. Prints, per stage, the least CPU time over ``--rounds`` runs (the least is
the run the other users of a shared machine disturbed least). To compare two checkouts, run it
in each, alternating (A B A B), with ``PYTHONPATH`` set to the checkout.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from bench_cascade import configs
from bench_rules import web_like_corpus
from measure import load_note

from pretrain_clean.pipeline import cascade as cascade_module
from pretrain_clean.pipeline.config import load_config
from pretrain_clean.pipeline.document import Document
from pretrain_clean.pipeline.stats import Stats
from pretrain_clean.pipeline.worker import worker_cascade


class _ProcessClock:
    """``time`` for the cascade module: its stage timer then counts this process's CPU."""

    perf_counter = staticmethod(time.process_time)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--full", action="store_true", help="the whole default cascade (no dedup)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path, off = configs(Path(tmp))
        spec = load_config(path, [] if args.full else off)
    cascade = worker_cascade(spec)
    cascade_module.time = _ProcessClock  # type: ignore[assignment]
    texts = web_like_corpus(args.docs, 2300, seed=0)
    best: dict[str, float] = {}
    for _ in range(args.rounds):
        docs = [Document(f"d{i}", text, "bench", i) for i, text in enumerate(texts)]
        stats = Stats()
        start = time.process_time()
        for i in range(0, len(docs), spec.run.batch_size):
            cascade.run(docs[i:i + spec.run.batch_size], stats)
        seconds = {name: record.seconds for name, record in stats.stages.items()}
        seconds["all stages"] = time.process_time() - start
        seconds["all but language_id"] = seconds["all stages"] - seconds.get("language_id", 0.0)
        for name, value in seconds.items():
            best[name] = min(best.get(name, float("inf")), value)
    print(f"{args.docs:,} documents, least CPU s of {args.rounds} rounds; {load_note()}")
    for name, value in best.items():
        print(f"  {name:<22} {value:7.3f}")


if __name__ == "__main__":
    main()
