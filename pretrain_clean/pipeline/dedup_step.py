"""Run corpus-wide dedup after the cascade and fold its counts into the run's stats.

Cascade survivors are in ``_cascade_kept/``; dedup writes the final ``kept/`` parts and
``rejected/dedup-*.parquet``. A finished dedup leaves ``_dedup.json``, so a rerun skips it.
"""
from __future__ import annotations

import json
from collections import Counter

import pyarrow.compute as pc

from pretrain_clean.pipeline import storage
from pretrain_clean.pipeline.config import RunSpec
from pretrain_clean.pipeline.engine import Engine
from pretrain_clean.pipeline.parts import PartTask
from pretrain_clean.pipeline.stats import StageStats, Stats

DONE_FILE = "_dedup.json"
LEVELS = ("dedup_exact", "dedup_minhash", "dedup_paragraph")
SECONDS_KEY = {"dedup_exact": "exact", "dedup_minhash": "minhash", "dedup_paragraph": "paragraph"}


def _removed_bytes_by_stage(rejected_dir: str) -> Counter:
    removed: Counter = Counter()
    for part in storage.list_files(rejected_dir, ".parquet"):
        if not storage.basename(part).startswith("dedup-"):
            continue
        table = storage.parquet_file(part).read(columns=["stage", "text"])
        for stage, text in zip(table.column("stage").to_pylist(), pc.binary_length(table.column("text")).to_pylist()):
            removed[stage] += text or 0
    return removed


def run_dedup_step(spec: RunSpec, tasks: list[PartTask], out_dir: str, cascade_kept: str,
                   engine: Engine, stats: Stats) -> Stats:
    """Deduplicate the cascade's survivors; returns ``stats`` with dedup's removals added."""
    out = str(out_dir)
    done = storage.join(out, DONE_FILE)
    if storage.exists(done):
        result = json.loads(storage.read_text(done))
    else:
        cfg = spec.sections["dedup"]
        inputs = [storage.join(out, cascade_kept, f"{t.name}.parquet") for t in tasks]
        args = (cfg, inputs, storage.join(out, "kept"), storage.join(out, "rejected"), storage.join(out, "_dedup_work"))
        result = engine.dedup(*args).to_json()
        storage.write_text(done, json.dumps(result, ensure_ascii=False, default=str) + "\n")  # the marker, last
    if result["documents_in"] != stats.kept:
        raise RuntimeError(f"dedup read {result['documents_in']} documents but the cascade kept {stats.kept}")
    merged = stats + Stats(removed=Counter(result["removed"]))
    merged.kept, merged.bytes_kept = result["kept"], result["bytes_kept"]
    merged.dedup_seconds = dict(result["seconds"])
    bytes_removed = _removed_bytes_by_stage(storage.join(out, "rejected"))
    docs, size = stats.kept, stats.bytes_kept
    for level in LEVELS:
        removed = sum(n for key, n in result["removed"].items() if key.split(".", 1)[0] == level)
        seconds = result["seconds"].get(SECONDS_KEY[level])
        if seconds is None and not removed:
            continue
        after = result["bytes_kept"] if level == "dedup_paragraph" else size - bytes_removed[level]
        merged.stages[level] = StageStats(documents_in=docs, bytes_in=size, removed=removed,
                                          bytes_removed=bytes_removed[level], bytes_out=after,
                                          seconds=seconds or 0.0)
        if level == "dedup_minhash":
            for cluster in result.get("report", {}).get("example_clusters", []):
                for member in cluster["members"]:
                    if member["id"] != cluster["kept"]:
                        merged.add_example("dedup_minhash.near_duplicate", member["id"], member["text"])
        docs, size = docs - removed, after
    return merged
