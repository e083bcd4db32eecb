"""Train the fastText quality classifier: reference-quality text (positive) vs raw web text (negative).

    python jobs/train_quality.py --positive PATH... --negative PATH... --output MODEL

Writes a fastText model (MODEL ending in .ftz: quantized, small) and prints precision/recall
of the positive label on a held-out split. Inputs: .txt (one document per line),
.jsonl/.json[.gz|.zst] ("text" field), .parquet, .warc[.gz], .html, or folders of them.
"""
from __future__ import annotations

import os
import sys

sys.path[0] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

from filters.training.fasttext_clf import classifier_job  # noqa: E402

if __name__ == "__main__":
    sys.exit(classifier_job(None, __doc__, ("hq", "lq")))
