"""Score dedup's survivors: the stages that only annotate, run after dedup.

With ``[run] annotate_after_dedup`` (and dedup on) the cascade leaves out the stages that only
annotate (:meth:`Stage.annotates_only`: they never drop nor rewrite a document), dedup runs on
the dropping stages' survivors, and this pass runs the annotating stages over ``kept/``
only, rewriting each kept part in place (written whole, then published). Dedup keeps the same
documents either way, since these stages change no text; scoring only its survivors saves
what they would have spent on duplicates (CCNet scores perplexity after dedup the same way).

A document a stage fails on moves to ``quarantine/annotate-<part>.parquet`` with its error.
``_annotate.json`` (the pass's stats) marks the pass done and a rerun skips it; a pass cut
short runs again whole: the scores are deterministic, so a part scored twice is unchanged.
"""
from __future__ import annotations

import json
from functools import partial

from pretrain_clean.pipeline import storage
from pretrain_clean.pipeline.config import RunSpec
from pretrain_clean.pipeline.document import Document
from pretrain_clean.pipeline.engine import Engine
from pretrain_clean.pipeline.parts import stage_error
from pretrain_clean.pipeline.readers import Quarantined
from pretrain_clean.pipeline.stats import Stats
from pretrain_clean.pipeline.worker import worker_cascade
from pretrain_clean.pipeline.writers import KEPT_SCHEMA, QUARANTINE_SCHEMA, AtomicParquetWriter, outcome_columns, quarantine_columns

DONE_FILE = "_annotate.json"
QUARANTINE_PREFIX = "annotate-"


def run_annotate_step(spec: RunSpec, out_dir: str, engine: Engine, stats: Stats) -> Stats:
    """Run the stages that annotate after dedup over ``out_dir/kept``; ``stats`` with their
    stage records (and any documents they failed on, moved from kept to quarantined) added."""
    done = storage.join(out_dir, DONE_FILE)
    if storage.exists(done):
        found = Stats.from_json(storage.read_text(done))
    else:
        worker_cascade(spec, after_dedup=True)  # set up here: forked workers inherit the models
        parts = storage.list_files(storage.join(out_dir, "kept"), ".parquet")
        found = sum(engine.map_parts(partial(annotate_part, spec, out_dir), parts, cpu_bound=True), Stats())
        storage.write_text(done, found.to_json())  # the marker, last
    if found.documents_in != stats.kept:
        raise RuntimeError(f"annotation read {found.documents_in} documents but dedup kept {stats.kept}")
    found.check_accounting("annotation after dedup")
    change = Stats(quarantined=found.quarantined, bytes_quarantined=found.bytes_quarantined,
                   quarantine_errors=found.quarantine_errors, stages=found.stages, flagged=found.flagged,
                   bytes_stage_errors=found.bytes_stage_errors)
    merged = stats + change
    merged.kept -= found.quarantined  # moved from kept to quarantined
    merged.bytes_kept -= found.bytes_quarantined
    return merged


def annotate_part(spec: RunSpec, out_dir: str, kept_path: str) -> Stats:
    """Score one kept part in place; its stats (``documents_in``: rows read, ``kept``: rows
    written back, ``quarantined``: documents a stage failed on, with their bytes)."""
    cascade = worker_cascade(spec, after_dedup=True)
    stats = Stats(parts=1)
    quarantined: list[Quarantined] = []
    kept = AtomicParquetWriter(kept_path, KEPT_SCHEMA)
    try:
        source = storage.parquet_file(kept_path)
        for batch in source.iter_batches(batch_size=spec.run.batch_size, columns=KEPT_SCHEMA.names):
            docs = [Document(row["id"], row["text"], row["source"], row["position"], json.loads(row["meta"]))
                    for row in batch.to_pylist()]
            stats.documents_in += len(docs)
            survivors = []
            for outcome in cascade.run(docs, stats):
                if outcome.error is not None:
                    quarantined.append(stage_error(outcome, stats))
                elif outcome.kept:
                    survivors.append(outcome)
                    stats.kept += 1
                else:  # annotates_only() promised no removal
                    raise RuntimeError(f"stage {outcome.stage!r} removed a document after dedup "
                                       f"({outcome.reason}); only stages that never drop may run there")
            kept.write_rows(outcome_columns(survivors, rejected=False))
        if quarantined:
            _write_quarantine(out_dir, kept_path, quarantined)
        kept.commit()
    except BaseException:
        kept.abort()
        raise
    return stats


def _write_quarantine(out_dir: str, kept_path: str, records: list[Quarantined]) -> None:
    name = QUARANTINE_PREFIX + storage.basename(kept_path)
    writer = AtomicParquetWriter(storage.join(out_dir, "quarantine", name), QUARANTINE_SCHEMA)
    try:
        writer.write_rows(quarantine_columns(records))
        writer.commit()
    except BaseException:
        writer.abort()
        raise
