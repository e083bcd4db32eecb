"""Print every span ``pii_mask`` would replace, with context, for hand-checking precision.

    python scripts/pii_audit.py data/sample /path/to/more/pages [--kind phone] [--limit 100]
    python scripts/pii_audit.py --lines /path/to/zh   # .txt: a document per line, .csv: per row

Documents are read as ``clean`` reads them and normalized first (as in the cascade). With ``--lines``,
``.txt`` files give one document per line and ``.csv`` files one per row (last column), for
review and news corpora. A development tool: it is not part of a run.
"""
from __future__ import annotations

import argparse
import csv
import random
import re
from pathlib import Path

from pretrain_clean.filters import text_features as tf
from pretrain_clean.filters.normalize import Normalize
from pretrain_clean.filters.pii import PiiMask
from pretrain_clean.pipeline.config import InputConfig
from pretrain_clean.pipeline.readers import Document, is_supported, read_records


def texts_of(path: Path) -> list[str]:
    """The document texts of one input file."""
    if path.suffix == ".txt":
        return path.read_text(encoding="utf-8").splitlines()
    if path.suffix == ".csv":
        with path.open(encoding="utf-8", newline="") as handle:
            return [row[-1] for row in csv.reader(handle) if row]
    return [r.text for r in read_records(str(path), InputConfig(), str(path)) if isinstance(r, Document)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("inputs", nargs="+")
    parser.add_argument("--kind", help="only this kind (email, phone, ip, id)")
    parser.add_argument("--lines", action="store_true", help="also read .txt (per line) and .csv (per row)")
    parser.add_argument("--limit", type=int, default=0, help="a random sample of this many spans (seed 0)")
    args = parser.parse_args()
    files = []
    for name in args.inputs:
        path = Path(name)
        files += sorted(p for p in path.rglob("*") if p.is_file() and (is_supported(str(p)) or args.lines and p.suffix in (".txt", ".csv"))
                        and not p.name.startswith("LICENSE")) if path.is_dir() else [path]
    normalize, pii = Normalize(), PiiMask()
    normalize.setup()
    spans: list[tuple[str, str, str, str]] = []
    docs = 0
    for path in files:
        for raw in texts_of(path):
            docs += 1
            text = normalize.normalize(raw, tf.is_chinese_text(raw))
            for kind, start, end in pii.spans(text):
                if args.kind and kind != args.kind:
                    continue
                context = text[max(0, start - 40):start] + "[[" + text[start:end] + "]]" + text[end:end + 40]
                spans.append((kind, path.name, text[start:end], re.sub(r"\s+", " ", context)))
    counts: dict[str, int] = {}
    for kind, *_ in spans:
        counts[kind] = counts.get(kind, 0) + 1
    print(f"{docs} documents in {len(files)} files; spans per kind: {counts}")
    if args.limit and len(spans) > args.limit:
        spans = random.Random(0).sample(spans, args.limit)
    for kind, name, span, context in spans:
        print(f"{kind}\t{name}\t{span!r}\t{context}")


if __name__ == "__main__":
    main()
