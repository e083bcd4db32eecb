"""The local dedup engine's two passes over one parquet part: scan (read, hash, spill) and
write (apply the decisions). Each is a pure function of its job, so parts run in parallel
worker processes; document numbers are global (the part's first number comes from the
parquet metadata), and the key sorts that decide are order-independent, so the result is
the same with any number of workers.
"""
from __future__ import annotations

import json
import os
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pretrain_clean.dedup.config import DedupConfig
from pretrain_clean.dedup.exact import exact_key
from pretrain_clean.dedup.features import NearDupHasher
from pretrain_clean.dedup.paragraph import paragraph_hashes_batch, rewrite, unit_hashes
from pretrain_clean.dedup.report import REASONS, STATUS_EXACT, STATUS_KEPT, STATUS_SHORT
from pretrain_clean.dedup.spill import SpillBuckets

KEY_DOC = np.dtype([("key", "<i8"), ("doc", "<i8")])
KEY_DOC_UNIT = np.dtype([("key", "<i8"), ("doc", "<i8"), ("unit", "<i4")])
DOC_UNIT = np.dtype([("doc", "<i8"), ("unit", "<i4")])
STATE_ARRAYS = ("status", "duplicate_of", "cluster", "in_cluster")
"""Per-document decision arrays, saved as ``<work>/<name>.npy`` for the write workers."""


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


def scan_part(job: ScanJob) -> tuple[int, int]:
    """Spill the part's exact keys, band keys and paragraph hashes and write its signature
    rows; returns ``(documents, text bytes)``."""
    cfg = job.cfg
    hasher = NearDupHasher.from_config(cfg) if cfg.minhash else None
    out = spills(cfg, Path(job.work), tag=f"{job.index:06d}")
    parquet = pq.ParquetFile(job.path)
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
            if cfg.exact:
                keys = np.array([exact_key(t) for t in texts], dtype=np.int64)
                out["exact"].add(structured(KEY_DOC, key=keys, doc=ids))
            if hasher is not None:
                sigs = hasher.signatures(texts)
                keys, has_shingles = hasher.band_keys(sigs)
                keys, docs = keys[has_shingles], ids[has_shingles]
                out["bands"].add(structured(KEY_DOC, key=keys.ravel(), doc=np.repeat(docs, hasher.bands)))
                if sig_file is not None:
                    sigs.tofile(sig_file)
            if cfg.paragraph and not cfg.sentence:
                index, unit, hashes = paragraph_hashes_batch(texts, cfg.paragraph_min_chars)
                out["units"].add(structured(KEY_DOC_UNIT, key=hashes, doc=index + doc, unit=unit))
            elif cfg.paragraph or cfg.sentence:
                rows = [(h, doc + i, u) for i, t in enumerate(texts) for u, h in _units(cfg, t)]
                if rows:
                    out["units"].add(np.array(rows, dtype=KEY_DOC_UNIT))
            doc += len(texts)
    finally:
        if sig_file is not None:
            sig_file.close()
    for spill in out.values():
        spill.flush()
    return doc - job.first_doc, size


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


def write_part(job: WriteJob) -> WriteResult:
    """Apply the saved decisions to the part; kept/rejected files appear atomically."""
    cfg, lo, hi = job.cfg, job.first_doc, job.stop_doc
    state = {name: np.load(Path(job.work) / f"{name}.npy", mmap_mode="r")[lo:hi].copy() for name in STATE_ARRAYS}
    status, duplicate_of, cluster, in_cluster = (state[name] for name in STATE_ARRAYS)
    removals = load_removals(Path(job.work) / "removals" / f"file-{job.index:06d}.bin")
    rep_ids = job.rep_ids
    result = WriteResult()
    removed_counts: dict[str, int] = defaultdict(int)
    parquet = pq.ParquetFile(job.path)
    schema = parquet.schema_arrow
    rejected_schema = schema.append(pa.field("stage", pa.string())).append(pa.field("reason", pa.string()))
    kept_w = pq.ParquetWriter(job.kept_path + ".tmp", schema)
    rejected_w = pq.ParquetWriter(job.rejected_path + ".tmp", rejected_schema)
    doc = lo
    for batch in parquet.iter_batches(batch_size=cfg.batch_size):
        kept_rows, rejected_rows = [], []
        for row in batch.to_pylist():
            i = doc - lo
            doc_status = int(status[i])
            meta = _meta(row.get("meta"), job.path, doc)
            if cfg.minhash and in_cluster[i]:
                meta["dedup_cluster"] = rep_ids[int(cluster[i])]
            if doc_status == STATUS_EXACT:
                meta["dedup_duplicate_of"] = rep_ids[int(duplicate_of[i])]
            if doc in job.examples:
                result.example_texts[doc] = (row["id"], (row["text"] or "")[:200])
            if doc_status == STATUS_KEPT and doc in removals:
                new_text = rewrite(row["text"], removals[doc], cfg.sentence)
                if len(new_text) < cfg.min_chars_after:
                    doc_status = STATUS_SHORT
                else:
                    result.units_removed += len(removals[doc])
                    row = dict(row, text=new_text)
            if "meta" in row:
                row = dict(row, meta=json.dumps(meta, ensure_ascii=False))
            if doc_status == STATUS_KEPT:
                kept_rows.append(row)
                result.bytes_kept += len((row["text"] or "").encode("utf-8"))
            else:
                stage, reason = REASONS[doc_status]
                removed_counts[f"{stage}.{reason}"] += 1
                rejected_rows.append(dict(row, stage=stage, reason=reason))
            doc += 1
        kept_w.write_table(pa.Table.from_pylist(kept_rows, schema=schema))
        rejected_w.write_table(pa.Table.from_pylist(rejected_rows, schema=rejected_schema))
        result.kept += len(kept_rows)
    kept_w.close()
    rejected_w.close()
    if doc != hi:
        raise RuntimeError(f"{job.path}: read {doc - lo} rows, its metadata says {hi - lo}")
    os.replace(job.kept_path + ".tmp", job.kept_path)
    os.replace(job.rejected_path + ".tmp", job.rejected_path)
    result.removed = dict(removed_counts)
    return result


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
