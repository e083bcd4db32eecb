"""The local dedup engine's two passes over one parquet part: scan (read, hash, spill) and
write (apply the decisions). Each is a pure function of its job, so parts run in parallel
worker processes; document numbers are global (the part's first number comes from the
parquet metadata), and the key sorts that decide are order-independent, so the result is
the same with any number of workers.
"""
from __future__ import annotations

import json
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pretrain_clean.dedup.config import DedupConfig
from pretrain_clean.dedup.decisions import too_short
from pretrain_clean.dedup.exact import exact_key
from pretrain_clean.dedup.features import NearDupHasher
from pretrain_clean.dedup.paragraph import paragraph_hashes_batch, rewrite, unit_hashes
from pretrain_clean.dedup.report import REASONS, STATUS_EXACT, STATUS_KEPT, STATUS_SHORT, DedupResult
from pretrain_clean.dedup.spill import SpillBuckets
from pretrain_clean.pipeline import storage

KEY_DOC = np.dtype([("key", "<i8"), ("doc", "<i8")])
KEY_DOC_UNIT = np.dtype([("key", "<i8"), ("doc", "<i8"), ("unit", "<i4")])
DOC_UNIT = np.dtype([("doc", "<i8"), ("unit", "<i4")])
STATE_ARRAYS = ("status", "duplicate_of", "cluster", "in_cluster")
"""Per-document decision arrays, saved as ``<work>/<name>.npy`` for the write workers."""


class CpuClock:
    """CPU seconds of this process per named step, summed: ``lap(name)`` charges the time
    since the previous lap to ``name``."""

    def __init__(self, prefix: str):
        self.prefix = prefix
        self.seconds: Counter[str] = Counter()
        self._last = time.process_time()

    def lap(self, name: str) -> None:
        now = time.process_time()
        self.seconds[f"{self.prefix}_{name}_cpu"] += now - self._last
        self._last = now


def structured(dtype: np.dtype, **columns: np.ndarray) -> np.ndarray:
    """A structured array of ``dtype`` from equal-length columns."""
    out = np.empty(len(next(iter(columns.values()))), dtype=dtype)
    for name, values in columns.items():
        out[name] = values
    return out


def spills(cfg: DedupConfig, work: Path, tag: str = "") -> dict[str, SpillBuckets]:
    """The three spill sets (exact keys, LSH band keys, paragraph units); ``tag`` names one
    writer's files, so parallel scans never append to the same file."""
    return {
        "exact": SpillBuckets(work / "exact", cfg.num_buckets, KEY_DOC, tag=tag),
        "bands": SpillBuckets(work / "bands", cfg.num_buckets, KEY_DOC, tag=tag),
        "units": SpillBuckets(work / "units", cfg.num_buckets, KEY_DOC_UNIT, tag=tag),
    }


@dataclass(frozen=True)
class ScanJob:
    """Read part ``index`` (``path``), whose first document is number ``first_doc``."""

    cfg: DedupConfig
    path: str
    index: int
    first_doc: int
    work: str
    signatures: str | None
    """Shared signature file (one row of ``num_perm`` uint32 per document), or None."""


def scan_part(job: ScanJob) -> tuple[int, int, Counter[str]]:
    """Spill the part's exact keys, band keys and paragraph hashes and write its signature
    rows; returns ``(documents, text bytes, CPU seconds per step)``."""
    clock = CpuClock("scan")
    cfg = job.cfg
    hasher = NearDupHasher.from_config(cfg) if cfg.minhash else None
    out = spills(cfg, Path(job.work), tag=f"{job.index:06d}")
    parquet = storage.parquet_file(job.path)
    if "text" not in parquet.schema_arrow.names:
        raise ValueError(f"{job.path}: no 'text' column (columns: {parquet.schema_arrow.names})")
    sig_file = open(job.signatures, "r+b") if hasher is not None and job.signatures else None
    doc, size = job.first_doc, 0
    try:
        if sig_file is not None:
            sig_file.seek(job.first_doc * cfg.num_perm * 4)
        for batch in parquet.iter_batches(batch_size=cfg.batch_size, columns=["text"]):
            column = batch.column(0)
            size += int(pc.sum(pc.binary_length(column)).as_py() or 0)
            texts = [t or "" for t in column.to_pylist()]
            ids = np.arange(doc, doc + len(texts), dtype=np.int64)
            clock.lap("read")
            if cfg.exact:
                keys = np.array([exact_key(t) for t in texts], dtype=np.int64)
                clock.lap("exact")
                out["exact"].add(structured(KEY_DOC, key=keys, doc=ids))
                clock.lap("spill")
            if hasher is not None:
                sigs = hasher.signatures(texts)
                keys, has_shingles = hasher.band_keys(sigs)
                clock.lap("minhash")
                keys, docs = keys[has_shingles], ids[has_shingles]
                out["bands"].add(structured(KEY_DOC, key=keys.ravel(), doc=np.repeat(docs, hasher.bands)))
                if sig_file is not None:
                    sigs.tofile(sig_file)
                clock.lap("spill")
            if cfg.paragraph and not cfg.sentence:
                index, unit, hashes = paragraph_hashes_batch(texts, cfg.paragraph_min_chars)
                clock.lap("paragraph")
                out["units"].add(structured(KEY_DOC_UNIT, key=hashes, doc=index + doc, unit=unit))
                clock.lap("spill")
            elif cfg.paragraph or cfg.sentence:
                rows = [(h, doc + i, u) for i, t in enumerate(texts) for u, h in _units(cfg, t)]
                clock.lap("paragraph")
                if rows:
                    out["units"].add(np.array(rows, dtype=KEY_DOC_UNIT))
                clock.lap("spill")
            doc += len(texts)
    finally:
        if sig_file is not None:
            sig_file.close()
    for spill in out.values():
        spill.flush()
    clock.lap("spill")
    return doc - job.first_doc, size, clock.seconds


def _units(cfg: DedupConfig, text: str) -> list[tuple[int, int]]:
    return unit_hashes(text, cfg.paragraph, cfg.sentence, cfg.paragraph_min_chars, cfg.sentence_min_chars)


@dataclass(frozen=True)
class WriteJob:
    """Rewrite part ``index`` into its kept and rejected files."""

    cfg: DedupConfig
    path: str
    index: int
    first_doc: int
    stop_doc: int
    work: str
    kept_path: str
    rejected_path: str
    rep_ids: dict[int, str]
    """Id of every representative a document of this part points to (this or an earlier part)."""
    examples: frozenset[int] = field(default_factory=frozenset)
    """Documents of this part whose id and text head go into the report's examples."""


@dataclass
class WriteResult:
    kept: int = 0
    bytes_kept: int = 0
    units_removed: int = 0
    removed: dict[str, int] = field(default_factory=dict)
    example_texts: dict[int, tuple[str, str]] = field(default_factory=dict)
    cpu: Counter[str] = field(default_factory=Counter)
    """CPU seconds per step: ``write_read_cpu`` (decode the part), ``write_apply_cpu``
    (meta, rewritten texts, filters), ``write_parquet_cpu`` (encode and write)."""


def add_written(result: DedupResult, written: list[WriteResult]) -> tuple[dict[int, tuple[str, str]], Counter[str]]:
    """Add the written parts' counts to ``result`` (``removed`` sorted by key); their example
    texts and CPU seconds per step."""
    removed: dict[str, int] = {}
    texts: dict[int, tuple[str, str]] = {}
    cpu: Counter[str] = Counter()
    for out in written:
        result.kept += out.kept
        result.bytes_kept += out.bytes_kept
        result.units_removed += out.units_removed
        texts.update(out.example_texts)
        cpu += out.cpu
        for key, count in out.removed.items():
            removed[key] = removed.get(key, 0) + count
    result.removed = dict(sorted(removed.items()))
    return texts, cpu


def write_part(job: WriteJob) -> WriteResult:
    """Apply the saved decisions to the part; kept/rejected files appear atomically.

    Columns pass through Arrow untouched except ``meta`` (every row's JSON is parsed and
    dumped again, adding the dedup keys) and the texts paragraph dedup shortens.
    """
    lo, hi = job.first_doc, job.stop_doc
    state = {name: np.array(np.load(Path(job.work) / f"{name}.npy", mmap_mode="r")[lo:hi]) for name in STATE_ARRAYS}
    removals = load_removals(Path(job.work) / "removals" / f"file-{job.index:06d}.bin")
    return apply_decisions(job, state, removals)


def apply_decisions(job: WriteJob, state: dict[str, np.ndarray], removals: dict[int, set[int]]) -> WriteResult:
    """Write the part's kept and rejected files from its decisions: ``state`` holds the
    :data:`STATE_ARRAYS` of documents ``first_doc..stop_doc``, ``removals`` the units to
    remove per document. The Spark engine calls this too, with its own document numbers."""
    lo, hi = job.first_doc, job.stop_doc
    result = WriteResult()
    parquet = storage.parquet_file(job.path)
    schema = parquet.schema_arrow
    rejected_schema = schema.append(pa.field("stage", pa.string())).append(pa.field("reason", pa.string()))
    kept_out, rejected_out = storage.OutputFile(job.kept_path), storage.OutputFile(job.rejected_path)
    try:
        doc = _write_batches(job, parquet, schema, rejected_schema, kept_out, rejected_out, state, removals, result)
        if doc != hi:
            raise RuntimeError(f"{job.path}: read {doc - lo} rows, its metadata says {hi - lo}")
    except BaseException:
        kept_out.discard()
        rejected_out.discard()
        raise
    kept_out.publish()
    rejected_out.publish()
    return result


def _write_batches(
    job: WriteJob, parquet: Any, schema: pa.Schema, rejected_schema: pa.Schema, kept_out: storage.OutputFile,
    rejected_out: storage.OutputFile, state: dict[str, np.ndarray], removals: dict[int, set[int]], result: WriteResult,
) -> int:
    """Write every batch of the part; returns the number after its last document."""
    cfg, lo = job.cfg, job.first_doc
    clock = CpuClock("write")
    removed_counts: dict[str, int] = defaultdict(int)
    kept_w = pq.ParquetWriter(kept_out.stream, schema)
    rejected_w = pq.ParquetWriter(rejected_out.stream, rejected_schema)
    doc = lo
    for batch in parquet.iter_batches(batch_size=cfg.batch_size):
        clock.lap("read")
        status = state["status"][doc - lo : doc - lo + batch.num_rows].copy()
        batch = _apply_batch(job, batch, doc, status, state, removals, result)
        kept = status == STATUS_KEPT
        kept_batch = batch.filter(pa.array(kept))
        rejected = batch.filter(pa.array(~kept))
        reasons = [REASONS[int(code)] for code in status[~kept]]
        for stage, reason in reasons:
            removed_counts[f"{stage}.{reason}"] += 1
        rejected = rejected.append_column("stage", pa.array([r[0] for r in reasons], pa.string()))
        rejected = rejected.append_column("reason", pa.array([r[1] for r in reasons], pa.string()))
        clock.lap("apply")
        kept_w.write_table(pa.Table.from_batches([kept_batch], schema=schema))
        rejected_w.write_table(pa.Table.from_batches([rejected], schema=rejected_schema))
        result.kept += int(kept.sum())
        doc += batch.num_rows
        clock.lap("parquet")
    kept_w.close()
    rejected_w.close()
    clock.lap("parquet")
    result.cpu = clock.seconds
    result.removed = dict(removed_counts)
    return doc


def _apply_batch(
    job: WriteJob, batch: pa.RecordBatch, first: int, status: np.ndarray, state: dict[str, np.ndarray],
    removals: dict[int, set[int]], result: WriteResult,
) -> pa.RecordBatch:
    """The batch with its new ``meta`` and shortened texts; ``status`` (this batch's slice)
    turns to :data:`STATUS_SHORT` where a shortened text falls under ``min_chars_after``."""
    cfg, lo = job.cfg, job.first_doc
    names = batch.schema.names
    texts = batch.column(names.index("text"))
    new_texts: dict[int, str] = {}
    for doc in range(first, first + batch.num_rows):
        j = doc - first
        if doc in job.examples:
            text = texts[j].as_py() or ""
            result.example_texts[doc] = (batch.column(names.index("id"))[j].as_py(), text[:200])
        if status[j] == STATUS_KEPT and doc in removals:
            new_text = rewrite(texts[j].as_py(), removals[doc], cfg.sentence)
            if too_short(new_text, cfg.min_chars_after):
                status[j] = STATUS_SHORT
            else:
                result.units_removed += len(removals[doc])
                new_texts[j] = new_text
    if new_texts:
        values = texts.to_pylist()
        for j, text in new_texts.items():
            values[j] = text
        batch = batch.set_column(names.index("text"), names[names.index("text")],
                                 pa.array(values, batch.schema.field("text").type))
    kept_text = pc.filter(batch.column(names.index("text")), pa.array(status == STATUS_KEPT))
    result.bytes_kept += int(pc.sum(pc.binary_length(kept_text)).as_py() or 0)
    if "meta" not in names:
        return batch
    metas = []
    for j, raw in enumerate(batch.column(names.index("meta")).to_pylist()):
        doc, i = first + j, first + j - lo
        meta = _meta(raw, job.path, doc)
        if cfg.minhash and state["in_cluster"][i]:
            meta["dedup_cluster"] = job.rep_ids[int(state["cluster"][i])]
        if status[j] == STATUS_EXACT:
            meta["dedup_duplicate_of"] = job.rep_ids[int(state["duplicate_of"][i])]
        metas.append(json.dumps(meta, ensure_ascii=False))
    return batch.set_column(names.index("meta"), "meta", pa.array(metas, batch.schema.field("meta").type))


def _meta(raw: Any, path: str, doc: int) -> dict[str, Any]:
    if raw is None or raw == "":
        return {}
    try:
        meta = json.loads(raw) if isinstance(raw, str) else dict(raw)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{path}: document #{doc}: meta is not a JSON object: {exc}") from exc
    if not isinstance(meta, dict):
        raise ValueError(f"{path}: document #{doc}: meta is not a JSON object")
    return meta


def load_removals(path: Path) -> dict[int, set[int]]:
    """Document -> unit numbers that paragraph/sentence dedup removes from it."""
    if not path.exists():
        return {}
    rows = np.fromfile(path, dtype=DOC_UNIT)
    out: dict[int, set[int]] = defaultdict(set)
    for d, u in zip(rows["doc"].tolist(), rows["unit"].tolist()):
        out[d].add(u)
    return out
