"""Print every span ``pii_mask`` would replace, with context, for hand-checking precision.

    python scripts/pii_audit.py data/sample /path/to/more/pages [--kind phone] [--limit 100]

Documents are read as ``clean`` reads them and normalized first (as in the cascade).
A development tool: it is not part of a run.
"""
from __future__ import annotations

import argparse
import random
import re
from pathlib import Path

from pretrain_clean.filters.normalize import Normalize
from pretrain_clean.filters.pii import PiiMask
from pretrain_clean.pipeline.config import InputConfig
from pretrain_clean.pipeline.readers import Quarantined, is_supported, read_records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("inputs", nargs="+")
    parser.add_argument("--kind", help="only this kind (email, phone, ip, id)")
    parser.add_argument("--limit", type=int, default=0, help="a random sample of this many spans (seed 0)")
    args = parser.parse_args()
    files = []
    for name in args.inputs:
        path = Path(name)
        files += sorted(p for p in path.rglob("*") if p.is_file() and is_supported(str(p))) if path.is_dir() else [path]
    normalize, pii = Normalize(), PiiMask()
    normalize.setup()
    spans: list[tuple[str, str, str, str]] = []
    docs = 0
    for path in files:
        for record in read_records(str(path), InputConfig(), str(path)):
            if isinstance(record, Quarantined):
                continue
            docs += 1
            text = normalize.normalize(record.text, False)
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
