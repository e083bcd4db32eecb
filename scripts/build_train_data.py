"""Build the English training text for the bundled demo models (run once; outputs are committed).

    python scripts/build_train_data.py

Writes ``data/train/en_reference.jsonl.gz``: the Python Language Reference sections shipped
with CPython (``pydoc_data.topics``, PSF-2.0), cut at blank lines into documents of about
1,000 characters, code-only blocks left out; and ``data/train/en_boilerplate.jsonl.gz``: the
distinct license texts in this environment's installed packages (``*.dist-info/**/LICENSE*``),
legal boilerplate of the kind web pages carry in their footers. Neither is in ``data/sample``
(which ``jobs/demo.sh`` cleans) nor in the labelled evaluation set, so the models trained on
them never score their own training documents there. Documents are sorted by text, so the
output is the same whatever the install order.
"""
from __future__ import annotations

import gzip
import json
import site
from pathlib import Path

from pretrain_clean.tokenizer.sample import text_hash

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "data" / "train"
DOC_CHARS = 1000
MIN_CHARS = 200


def reference_documents() -> list[dict[str, str]]:
    import pydoc_data.topics

    docs = []
    for name, text in sorted(pydoc_data.topics.topics.items()):
        prose = [b for b in text.split("\n\n") if b.strip() and not b.startswith("   ") and "****" not in b]
        current: list[str] = []
        for block in prose:
            current.append(" ".join(block.split()))
            if sum(map(len, current)) >= DOC_CHARS:
                docs.append("\n".join(current))
                current = []
        if current:
            docs.append("\n".join(current))
    return [{"text": t, "source": "pydoc_data.topics (CPython)", "license": "PSF-2.0"}
            for t in sorted(set(docs)) if len(t) >= MIN_CHARS]


def boilerplate_documents() -> list[dict[str, str]]:
    seen: dict[str, dict[str, str]] = {}
    for base in site.getsitepackages():
        for path in sorted(Path(base).glob("*.dist-info/**/*")):
            if path.is_file() and path.name.upper().startswith(("LICENSE", "COPYING")):
                text = path.read_text(encoding="utf-8", errors="replace").strip()
                if len(text) >= MIN_CHARS:
                    seen.setdefault(text_hash(text), {"text": text, "source": f"{path.parent.name}/{path.name}",
                                                      "license": "the license text itself"})
    return sorted(seen.values(), key=lambda d: d["text"])


def write(name: str, docs: list[dict[str, str]]) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with gzip.GzipFile(OUT / f"{name}.jsonl.gz", "wb", compresslevel=9, mtime=0) as fh:
        for d in docs:
            fh.write((json.dumps(d, ensure_ascii=False) + "\n").encode("utf-8"))
    print(f"{name}: {len(docs)} documents, {sum(len(d['text']) for d in docs):,} characters")


if __name__ == "__main__":
    write("en_reference", reference_documents())
    write("en_boilerplate", boilerplate_documents())
