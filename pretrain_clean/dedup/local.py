"""Local dedup engine: streams parquet parts, spills hash keys to on-disk buckets, keeps
only per-document integers in memory (never the corpus text).

Pass 1 reads the texts batch by batch and spills exact keys, LSH band keys and paragraph
hashes; the buckets are then sorted one at a time to decide, per document, kept / exact
duplicate / near duplicate and which paragraphs go; pass 2 rewrites every part.
The first document in (file, row) order always wins.
"""
from __future__ import annotations

import json
import os
import shutil
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pretrain_clean.dedup.components import connected_components
from pretrain_clean.dedup.config import DedupConfig
from pretrain_clean.dedup.exact import exact_key
from pretrain_clean.dedup.features import NearDupHasher
from pretrain_clean.dedup.minhash import estimate_jaccard
from pretrain_clean.dedup.paragraph import rewrite, unit_hashes
from pretrain_clean.dedup.report import (
    REASONS,
    STATUS_EXACT,
    STATUS_KEPT,
    STATUS_NEAR,
    STATUS_SHORT,
    DedupResult,
    size_histogram,
    write_report,
)
from pretrain_clean.dedup.spill import SpillBuckets, group_starts
from pretrain_clean.pipeline import storage

KEY_DOC = np.dtype([("key", "<i8"), ("doc", "<i8")])
KEY_DOC_UNIT = np.dtype([("key", "<i8"), ("doc", "<i8"), ("unit", "<i4")])
DOC_UNIT = np.dtype([("doc", "<i8"), ("unit", "<i4")])
EXAMPLE_CLUSTERS = 3
EXAMPLE_MEMBERS = 5


def output_names(input_files: list[str]) -> list[tuple[str, str]]:
    """``(kept name, rejected name)`` per input part: ``part-NNNNN.parquet`` keeps its
    name; the rejected part is ``dedup-NNNNN.parquet``.

    >>> output_names(["/x/part-00003.parquet", "/y/other.parquet"])
    [('part-00003.parquet', 'dedup-00003.parquet'), ('other.parquet', 'dedup-other.parquet')]
    """
    names = []
    for path in input_files:
        name = Path(path).name
        suffix = name[len("part-") :] if name.startswith("part-") else name
        names.append((name, f"dedup-{suffix}"))
    if len({n for n, _ in names}) != len(names):
        raise ValueError("input_files: two inputs share a file name; their outputs would collide")
    return names


class _State:
    """Per-document decisions (integers only): status, representative, cluster label."""

    def __init__(self, n: int):
        self.status = np.zeros(n, dtype=np.int8)
        self.duplicate_of = np.full(n, -1, dtype=np.int64)
        self.cluster = np.arange(n, dtype=np.int64)
        self.in_cluster = np.zeros(n, dtype=bool)


def run_dedup_local(
    cfg: DedupConfig, input_files: list[str], kept_dir: str, rejected_dir: str, work_dir: str
) -> DedupResult:
    """Deduplicate ``input_files`` (sorted parquet parts) into ``kept_dir``/``rejected_dir``;
    writes ``dedup_report.json``/``.md`` next to ``work_dir`` and returns the totals."""
    names = output_names(input_files)
    work = Path(storage.local_work_dir(work_dir)) / "dedup-local"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    result = DedupResult()
    hasher = NearDupHasher.from_config(cfg) if cfg.minhash else None
    try:
        t0 = time.perf_counter()
        file_starts, spills, sig_path = _scan(cfg, input_files, work, hasher, result)
        n = int(file_starts[-1])
        state = _State(n)
        result.seconds["read_and_hash"] = time.perf_counter() - t0
        if cfg.exact:
            t0 = time.perf_counter()
            _exact(spills["exact"], state)
            result.seconds["exact"] = time.perf_counter() - t0
        if hasher is not None:
            t0 = time.perf_counter()
            _near(cfg, hasher, spills["bands"], sig_path, state, n)
            result.seconds["minhash"] = time.perf_counter() - t0
        removals_dir = work / "removals"
        if cfg.paragraph or cfg.sentence:
            t0 = time.perf_counter()
            _paragraph(cfg, spills["units"], state, file_starts, removals_dir)
            result.seconds["paragraph"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        examples = _example_members(state)
        _write(cfg, input_files, names, file_starts, state, removals_dir, kept_dir, rejected_dir, result, examples)
        result.seconds["write"] = time.perf_counter() - t0
        _finish_report(result, state, hasher, examples)
        write_report(result, work_dir)
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _scan(
    cfg: DedupConfig, input_files: list[str], work: Path, hasher: NearDupHasher | None, result: DedupResult
) -> tuple[np.ndarray, dict[str, SpillBuckets], Path]:
    spills = {
        "exact": SpillBuckets(work / "exact", cfg.num_buckets, KEY_DOC),
        "bands": SpillBuckets(work / "bands", cfg.num_buckets, KEY_DOC),
        "units": SpillBuckets(work / "units", cfg.num_buckets, KEY_DOC_UNIT),
    }
    sig_path = work / "signatures.u32"
    sig_file = open(sig_path, "wb") if hasher is not None and cfg.minhash_verify else None
    starts = [0]
    doc = 0
    try:
        for path in input_files:
            parquet = storage.parquet_file(path)
            if "text" not in parquet.schema_arrow.names:
                raise ValueError(f"{path}: no 'text' column (columns: {parquet.schema_arrow.names})")
            for batch in parquet.iter_batches(batch_size=cfg.batch_size, columns=["text"]):
                column = batch.column(0)
                result.bytes_in += int(pc.sum(pc.binary_length(column)).as_py() or 0)
                texts = [t or "" for t in column.to_pylist()]
                ids = np.arange(doc, doc + len(texts), dtype=np.int64)
                if cfg.exact:
                    keys = np.array([exact_key(t) for t in texts], dtype=np.int64)
                    spills["exact"].add(_records(KEY_DOC, key=keys, doc=ids))
                if hasher is not None:
                    sigs = hasher.signatures(texts)
                    keys, has_shingles = hasher.band_keys(sigs)
                    keys, docs = keys[has_shingles], ids[has_shingles]
                    spills["bands"].add(
                        _records(KEY_DOC, key=keys.ravel(), doc=np.repeat(docs, hasher.bands))
                    )
                    if sig_file is not None:
                        sigs.tofile(sig_file)
                if cfg.paragraph or cfg.sentence:
                    rows = [
                        (h, doc + i, u)
                        for i, t in enumerate(texts)
                        for u, h in _units(cfg, t)
                    ]
                    if rows:
                        spills["units"].add(np.array(rows, dtype=KEY_DOC_UNIT))
                doc += len(texts)
            starts.append(doc)
    finally:
        if sig_file is not None:
            sig_file.close()
    result.documents_in = doc
    return np.array(starts, dtype=np.int64), spills, sig_path


def _units(cfg: DedupConfig, text: str) -> list[tuple[int, int]]:
    return unit_hashes(text, cfg.paragraph, cfg.sentence, cfg.paragraph_min_chars, cfg.sentence_min_chars)


def _records(dtype: np.dtype, **columns: np.ndarray) -> np.ndarray:
    out = np.empty(len(next(iter(columns.values()))), dtype=dtype)
    for name, values in columns.items():
        out[name] = values
    return out


def _sorted_groups(records: np.ndarray, *order: str) -> tuple[np.ndarray, np.ndarray]:
    records = records[np.lexsort([records[name] for name in reversed(order)])]
    return records, group_starts(records["key"])


def _exact(spill: SpillBuckets, state: _State) -> None:
    """Every document whose exact key an earlier document has is a duplicate of it."""
    for records in spill.buckets():
        records, starts = _sorted_groups(records, "key", "doc")
        first = np.repeat(records["doc"][starts[:-1]], np.diff(starts))
        dup = records["doc"] != first
        state.status[records["doc"][dup]] = STATUS_EXACT
        state.duplicate_of[records["doc"][dup]] = first[dup]


def _near(
    cfg: DedupConfig, hasher: NearDupHasher, spill: SpillBuckets, sig_path: Path, state: _State, n: int
) -> None:
    """Star edges (first member -> each other member) of every band bucket, verified,
    then connected components; all but the first document of a component go."""
    edges = []
    for records in spill.buckets():
        records = records[state.status[records["doc"]] == STATUS_KEPT]
        records, starts = _sorted_groups(records, "key", "doc")
        first = np.repeat(records["doc"][starts[:-1]], np.diff(starts))
        other = records["doc"] != first
        if other.any():
            edges.append(np.unique(first[other] * np.int64(n) + records["doc"][other]))
    pairs = np.unique(np.concatenate(edges)) if edges else np.zeros(0, dtype=np.int64)
    u, v = pairs // n, pairs % n
    if cfg.minhash_verify and len(u):
        sigs = np.memmap(sig_path, dtype=np.uint32, mode="r", shape=(n, cfg.num_perm))
        keep = np.zeros(len(u), dtype=bool)
        step = 65536
        for lo in range(0, len(u), step):
            est = estimate_jaccard(sigs[u[lo : lo + step]], sigs[v[lo : lo + step]])
            keep[lo : lo + step] = est >= cfg.minhash_threshold
        u, v = u[keep], v[keep]
        del sigs
    labels = connected_components(n, u, v)
    nodes = np.unique(np.concatenate([u, v]))
    state.in_cluster[nodes] = True
    state.cluster = labels
    near = labels != np.arange(n)
    state.status[near] = STATUS_NEAR
    state.duplicate_of[near] = labels[near]


def _paragraph(
    cfg: DedupConfig, spill: SpillBuckets, state: _State, file_starts: np.ndarray, out_dir: Path
) -> None:
    """Units repeated at least ``paragraph_min_repeats`` times among the surviving
    documents go everywhere after their first occurrence; removals are spilled per file."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for records in spill.buckets():
        records = records[state.status[records["doc"]] == STATUS_KEPT]
        records, starts = _sorted_groups(records, "key", "doc", "unit")
        sizes = np.diff(starts)
        rank = np.arange(len(records)) - np.repeat(starts[:-1], sizes)
        drop = (np.repeat(sizes, sizes) >= cfg.paragraph_min_repeats) & (rank > 0)
        removed = records[drop]
        file_of = np.searchsorted(file_starts, removed["doc"], side="right") - 1
        for f in np.unique(file_of):
            rows = removed[file_of == f]
            with open(out_dir / f"file-{f:06d}.bin", "ab") as fh:
                _records(DOC_UNIT, doc=rows["doc"], unit=rows["unit"]).tofile(fh)


def _example_members(state: _State) -> dict[int, list[int]]:
    """The largest few near-duplicate clusters: label -> first members."""
    labels = state.cluster[state.in_cluster]
    if len(labels) == 0:
        return {}
    values, counts = np.unique(labels, return_counts=True)
    top = values[np.argsort(-counts, kind="stable")[:EXAMPLE_CLUSTERS]]
    members = np.flatnonzero(state.in_cluster & np.isin(state.cluster, top))
    out: dict[int, list[int]] = {int(t): [] for t in top}
    for m in members:
        if len(out[int(state.cluster[m])]) < EXAMPLE_MEMBERS:
            out[int(state.cluster[m])].append(int(m))
    return out


def _write(
    cfg: DedupConfig,
    input_files: list[str],
    names: list[tuple[str, str]],
    file_starts: np.ndarray,
    state: _State,
    removals_dir: Path,
    kept_dir: str,
    rejected_dir: str,
    result: DedupResult,
    examples: dict[int, list[int]],
) -> None:
    needed = set(state.duplicate_of[state.duplicate_of >= 0].tolist())
    rep_ids: dict[int, str] = {}
    example_docs = {m: label for label, members in examples.items() for m in members}
    result.report["_example_texts"] = {}
    removed_counts: dict[str, int] = defaultdict(int)
    for f, path in enumerate(input_files):
        removals = _load_removals(removals_dir / f"file-{f:06d}.bin")
        parquet = storage.parquet_file(path)
        schema = parquet.schema_arrow
        rejected_schema = schema.append(pa.field("stage", pa.string())).append(pa.field("reason", pa.string()))
        kept_name, rejected_name = names[f]
        kept_out = storage.OutputFile(storage.join(kept_dir, kept_name))
        rejected_out = storage.OutputFile(storage.join(rejected_dir, rejected_name))
        kept_w = pq.ParquetWriter(kept_out.stream, schema)
        rejected_w = pq.ParquetWriter(rejected_out.stream, rejected_schema)
        doc = int(file_starts[f])
        for batch in parquet.iter_batches(batch_size=cfg.batch_size):
            rows = batch.to_pylist()
            kept_rows, rejected_rows = [], []
            for row in rows:
                status = int(state.status[doc])
                if doc in needed:
                    rep_ids[doc] = row["id"]
                meta = _meta(row.get("meta"), path, doc)
                if cfg.minhash and state.in_cluster[doc]:
                    meta["dedup_cluster"] = rep_ids[int(state.cluster[doc])]
                if status == STATUS_EXACT:
                    meta["dedup_duplicate_of"] = rep_ids[int(state.duplicate_of[doc])]
                if doc in example_docs:
                    result.report["_example_texts"][doc] = (row["id"], (row["text"] or "")[:200])
                if status == STATUS_KEPT and doc in removals:
                    new_text = rewrite(row["text"], removals[doc], cfg.sentence)
                    if len(new_text) < cfg.min_chars_after:
                        status = STATUS_SHORT
                    else:
                        result.units_removed += len(removals[doc])
                        row = dict(row, text=new_text)
                if "meta" in row:
                    row = dict(row, meta=json.dumps(meta, ensure_ascii=False))
                if status == STATUS_KEPT:
                    kept_rows.append(row)
                    result.bytes_kept += len((row["text"] or "").encode("utf-8"))
                else:
                    stage, reason = REASONS[status]
                    removed_counts[f"{stage}.{reason}"] += 1
                    rejected_rows.append(dict(row, stage=stage, reason=reason))
                doc += 1
            kept_w.write_table(pa.Table.from_pylist(kept_rows, schema=schema))
            rejected_w.write_table(pa.Table.from_pylist(rejected_rows, schema=rejected_schema))
            result.kept += len(kept_rows)
        kept_w.close()
        rejected_w.close()
        kept_out.publish()
        rejected_out.publish()
    result.removed = dict(sorted(removed_counts.items()))


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


def _load_removals(path: Path) -> dict[int, set[int]]:
    if not path.exists():
        return {}
    rows = np.fromfile(path, dtype=DOC_UNIT)
    out: dict[int, set[int]] = defaultdict(set)
    for d, u in zip(rows["doc"].tolist(), rows["unit"].tolist()):
        out[d].add(u)
    return out


def _finish_report(
    result: DedupResult, state: _State, hasher: NearDupHasher | None, examples: dict[int, list[int]]
) -> None:
    texts = result.report.pop("_example_texts", {})
    labels = state.cluster[state.in_cluster]
    sizes = np.unique(labels, return_counts=True)[1] if len(labels) else np.zeros(0, dtype=np.int64)
    result.report.update(
        {
            "duplicates_per_level": dict(result.removed),
            "clusters": int(len(sizes)),
            "cluster_sizes": size_histogram(sizes),
            "example_clusters": [
                {
                    "kept": texts[label][0],
                    "size": int((labels == label).sum()),
                    "members": [{"id": texts[m][0], "text": texts[m][1]} for m in members],
                }
                for label, members in examples.items()
            ],
            "params": hasher.params() if hasher is not None else None,
        }
    )
