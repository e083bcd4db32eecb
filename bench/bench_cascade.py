"""The whole cascade, ours vs datatrove doing the same work, on the same files.

    python bench/bench_cascade.py [--docs 20000] [--rounds 3] [--workers 2]

Builds a web-like English corpus (windows of real lines of the bundled sample pages, ~2.3 KB
each, as bench_rules.py) in ``2 x workers`` jsonl files, then runs, interleaved (A B A B ...),
each as a fresh process tree with ``--workers`` processes:

* ``ours-shared``: our local engine with only the stages datatrove also has: language ID
  (fastText LID-176, the bundled ``lid.176.ftz``), Gopher repetition and quality, C4 (page and
  line rules), FineWeb; no dedup; reasons the default config only flags (``annotate``) drop
  here, as datatrove drops them, so both sides make the same decisions (kept counts printed);
* ``datatrove``: ``JsonlReader -> LanguageFilter(en, the same local lid.176.ftz) ->
  GopherRepetitionFilter -> GopherQualityFilter -> C4QualityFilter -> FineWebQualityFilter ->
  ParquetWriter`` on ``LocalPipelineExecutor`` (tasks = files, workers = --workers);
* ``ours-full``: the whole default cascade (every stage, bundled models), no dedup;
* ``ours-full+dedup``: the default config as shipped (cascade, then exact + MinHash +
  paragraph dedup);
* ``spark-full+dedup``: the same as ``ours-full+dedup`` under ``spark-submit --master
  local[<workers>]`` (skipped unless ``--skip`` is given without it);
* ``lid-floor``: fastText LID-176 alone over the same texts, one process per file half, the
  floor under any cascade that identifies languages with it.

Prints per-side medians, the median ratio datatrove/ours of CPU time (whole process tree)
and of wall time, documents/s per core, and peak RSS (summed over the tree).
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

from bench_rules import web_like_corpus
from measure import ROOT, interleave, load_note, report

LID_MODEL = ROOT / "pretrain_clean" / "resources" / "lid" / "lid.176.ftz"
DEFAULT_CONFIG = ROOT / "pretrain_clean" / "configs" / "default.toml"
SHARED = ("language_id", "gopher_repetition", "gopher_quality", "c4_quality", "c4_lines", "fineweb_quality")

DATATROVE = """
import sys
from fasttext.FastText import _FastText
from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.filters import (C4QualityFilter, FineWebQualityFilter, GopherQualityFilter,
                                        GopherRepetitionFilter, LanguageFilter)
from datatrove.pipeline.readers import JsonlReader
from datatrove.pipeline.writers import ParquetWriter
import datatrove.pipeline.base

# datatrove's dependency check wants the distribution "fasttext-numpy2-wheel"; this venv has
# the same fasttext module from "fasttext-numpy2" (the check only looks at names).
datatrove.pipeline.base.check_required_dependencies = lambda *args, **kwargs: None

src, out, workers, tasks, model = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]


class LocalModelLanguageFilter(LanguageFilter):
    # datatrove downloads lid.176.bin on first use; give it the same local model as ours.
    def run(self, data, rank=0, world_size=1):
        if self.model._model is None:
            self.model._model = _FastText(model)
        return super().run(data, rank, world_size)


if __name__ == "__main__":
    LocalPipelineExecutor(
        pipeline=[JsonlReader(src), LocalModelLanguageFilter(languages=["en"], language_threshold=0.5),
                  GopherRepetitionFilter(), GopherQualityFilter(), C4QualityFilter(), FineWebQualityFilter(),
                  ParquetWriter(out)],
        tasks=tasks, workers=workers, logging_dir=out + "/_logs",
    ).run()
"""

LID_FLOOR = """
import json, sys
from concurrent.futures import ProcessPoolExecutor
import fasttext

def run(path):
    model = fasttext.load_model(sys.argv[1])
    texts = [json.loads(line)["text"].replace("\\n", " ") for line in open(path, encoding="utf-8")]
    labels, _ = model.predict(texts, k=1)
    return len(labels)

if __name__ == "__main__":
    files = sys.argv[3:]
    with ProcessPoolExecutor(int(sys.argv[2])) as pool:
        print(sum(pool.map(run, files)))
"""


def write_corpus(folder: Path, docs: int, files: int) -> int:
    """``docs`` web-like documents in ``files`` jsonl files; returns the text bytes."""
    texts = web_like_corpus(docs, 2300, seed=0)
    folder.mkdir(parents=True, exist_ok=True)
    size = 0
    for f in range(files):
        with open(folder / f"part-{f:03d}.jsonl", "w", encoding="utf-8") as out:
            for i in range(f, docs, files):
                out.write(json.dumps({"id": f"d{i}", "text": texts[i]}, ensure_ascii=False) + "\n")
                size += len(texts[i].encode("utf-8"))
    return size


def configs(folder: Path) -> tuple[Path, list[str]]:
    """The default config without its ``[dedup]`` table, and the ``--set`` switches that
    leave only the shared stages on, dropping what datatrove drops."""
    text = DEFAULT_CONFIG.read_text(encoding="utf-8")
    cut = text.index("\n[dedup]")
    cut = text.rindex("\n\n", 0, cut)  # drop the comment above the table too
    cascade = folder / "cascade.toml"
    cascade.write_text(text[:cut] + "\n", encoding="utf-8")
    import tomllib

    tables = tomllib.loads(text)["stages"]
    off = [f"stages.{s['stage']}.enabled=false" for s in tables if s["stage"] not in SHARED]
    # reasons the default config only flags drop here, as datatrove drops them: the same decisions
    off += [f"stages.{s['stage']}.annotate=[]" for s in tables if s["stage"] in SHARED and s.get("annotate")]
    return cascade, off


def script(folder: Path, name: str, source: str) -> Path:
    """``source`` saved as a file (worker processes re-import their main module)."""
    path = folder / name
    path.write_text(source, encoding="utf-8")
    return path


def kept_rows(folder: Path) -> int:
    import pyarrow.parquet as pq

    return sum(pq.ParquetFile(p).metadata.num_rows for p in folder.rglob("*.parquet")
               if "rejected" not in p.parts and "quarantine" not in p.parts and "_cascade_kept" not in p.parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip", nargs="*", default=["spark-full+dedup"],
                        help="sides to leave out (default: the Spark side; --skip with no value runs all)")
    args = parser.parse_args()
    files = 2 * args.workers
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        size = write_corpus(base / "in", args.docs, files)
        cascade, off = configs(base)
        inputs = sorted(str(p) for p in (base / "in").glob("*.jsonl"))
        clean = [sys.executable, "-m", "pretrain_clean", "clean", "--engine", "local", "--input", str(base / "in"),
                 "--workers", str(args.workers), "--overwrite", "--quiet"]
        sides = {
            "ours-shared": [*clean, "--config", str(cascade), "--output", f"{tmp}/ours-shared",
                            *[x for s in off for x in ("--set", s)]],
            "datatrove": [sys.executable, str(script(base, "datatrove_cascade.py", DATATROVE)), str(base / "in"), f"{tmp}/datatrove",
                          str(args.workers), str(files), str(LID_MODEL)],
            "ours-full": [*clean, "--config", str(cascade), "--output", f"{tmp}/ours-full"],
            "ours-full+dedup": [*clean, "--config", "default", "--output", f"{tmp}/ours-full+dedup"],
            "spark-full+dedup": ["spark-submit", "--master", f"local[{args.workers}]", str(ROOT / "jobs" / "clean.py"),
                                 "--config", "default", "--input", str(base / "in"), "--output",
                                 f"{tmp}/spark-full+dedup", "--overwrite", "--quiet"],
            "lid-floor": [sys.executable, str(script(base, "lid_floor.py", LID_FLOOR)), str(LID_MODEL), str(args.workers), *inputs],
        }
        sides = {k: v for k, v in sides.items() if k not in args.skip}

        def clear(name: str) -> None:
            shutil.rmtree(base / name, ignore_errors=True)

        print(f"corpus: {args.docs:,} web-like English documents, {size / 1e6:.1f} MB, {files} files; "
              f"{args.workers} workers per side; {args.rounds} interleaved rounds; {load_note()}")
        runs = interleave(sides, args.rounds, before_each=clear)
        kept = {name: kept_rows(base / name) for name in sides if name != "lid-floor"}
    print()
    print("kept documents: " + ", ".join(f"{k} {v:,}" for k, v in kept.items()))
    pairs = [("datatrove", "ours-shared"), ("spark-full+dedup", "ours-full+dedup"), ("ours-shared", "lid-floor")]
    report(runs, {name: args.docs for name in sides}, [(a, b) for a, b in pairs if a in runs and b in runs])
    print(f"after the run: {load_note()}")


if __name__ == "__main__":
    main()
