"""Train the fastText quality classifier: reference-quality text (positive) vs raw web text (negative).

    pretrain-clean train-quality --positive PATH... --negative PATH... --output MODEL

Writes a fastText model (MODEL ending in .ftz: quantized, small) and prints precision/recall
of the positive label on a held-out split. Inputs: .txt (one document per line),
.jsonl/.json[.gz|.zst] ("text" field), .parquet, .warc[.gz], .html, or folders of them.
"""
from __future__ import annotations

from pretrain_clean.cli.train_classifier import classifier_job

def main(argv: list[str] | None = None) -> int:
    """Train, report held-out precision/recall; return the exit status."""
    return classifier_job(argv, __doc__, ("hq", "lq"), prog="train-quality")
