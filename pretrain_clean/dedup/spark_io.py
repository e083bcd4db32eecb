"""Spark dedup's two passes over the input parts, run by Python tasks through
:mod:`pipeline.storage` (local paths and ``s3://``... alike, no shared filesystem, no Hadoop
connector): the read pass turns each part into per-document features (no text), the write
pass applies each part's decisions with the local engine's writer. Documents are keyed
``file_idx << ROW_BITS | row_index``, the local engine's (file, row) order.
"""
from __future__ import annotations

import dataclasses
import pickle
from typing import TYPE_CHECKING, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pretrain_clean.dedup.config import DedupConfig
from pretrain_clean.dedup.exact import exact_key
from pretrain_clean.dedup.features import NearDupHasher
from pretrain_clean.dedup.local_parts import STATE_ARRAYS, WriteJob, WriteResult, apply_decisions
from pretrain_clean.dedup.paragraph import paragraph_hashes_batch, unit_hashes
from pretrain_clean.pipeline import storage

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

ROW_BITS = 40
"""Rows per file are < 2^40; files < 2^23."""
FEATURES = ("key long, id string, nbytes long, ekey long, bkeys array<long>, sig binary, "
            "units array<struct<unit:int,h:long>>")
UNIT = pa.struct([pa.field("unit", pa.int32()), pa.field("h", pa.int64())])


def _list(offsets: np.ndarray, values: pa.Array) -> pa.Array:
    return pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), values)


def batch_features(cfg: DedupConfig, hasher: NearDupHasher | None, batch: pa.RecordBatch, first_key: int) -> pa.RecordBatch:
    """The features of one batch of documents (``id`` and ``text`` columns), the same
    hashes as the local engine's scan (:func:`dedup.local_parts.scan_part`)."""
    n = batch.num_rows
    column = batch.column(batch.schema.get_field_index("text"))
    texts = [t or "" for t in column.to_pylist()]
    nbytes = pc.fill_null(pc.binary_length(column), 0).cast(pa.int64())
    ekeys = np.array([exact_key(t) for t in texts] if cfg.exact else np.zeros(n), dtype=np.int64)
    sig = pa.nulls(n, pa.binary())
    bkeys = _list(np.zeros(n + 1, dtype=np.int64), pa.array([], pa.int64()))
    if hasher is not None:
        sigs = hasher.signatures(texts)
        keys, has_shingles = hasher.band_keys(sigs)
        offsets = np.concatenate([[0], np.cumsum(has_shingles * hasher.bands)])
        bkeys = _list(offsets, pa.array(keys[has_shingles].ravel(), pa.int64()))
        if cfg.minhash_verify:
            sig = pa.array([s.tobytes() for s in sigs], pa.binary())
    if cfg.paragraph and not cfg.sentence:
        doc, unit, hashes = paragraph_hashes_batch(texts, cfg.paragraph_min_chars)
    elif cfg.paragraph or cfg.sentence:
        rows = [(i, u, h) for i, t in enumerate(texts)
                for u, h in unit_hashes(t, cfg.paragraph, cfg.sentence, cfg.paragraph_min_chars, cfg.sentence_min_chars)]
        doc, unit, hashes = (np.array([r[k] for r in rows], dtype=np.int64) for k in range(3))
    else:
        doc = unit = hashes = np.zeros(0, dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(np.bincount(doc, minlength=n))])
    units = _list(offsets, pa.StructArray.from_arrays(
        [pa.array(unit, pa.int32()), pa.array(hashes, pa.int64())], fields=list(UNIT)))
    ids = batch.column(batch.schema.get_field_index("id")).cast(pa.string())
    keys = pa.array(np.arange(first_key, first_key + n, dtype=np.int64))
    return pa.RecordBatch.from_arrays([keys, ids, nbytes, pa.array(ekeys), bkeys, sig, units],
                                      names=["key", "id", "nbytes", "ekey", "bkeys", "sig", "units"])


def check_columns(input_files: list[str]) -> None:
    """Fail on the driver, before any task, when a part lacks the columns dedup reads."""
    for path in input_files:
        names = storage.parquet_file(path).schema_arrow.names
        if "text" not in names or "id" not in names:
            raise ValueError(f"{path}: dedup needs 'id' and 'text' columns (columns: {names})")


def file_features(cfg: DedupConfig, hasher: NearDupHasher | None, input_files: list[str],
                  index: int) -> Iterator[pa.RecordBatch]:
    """The features of every document of part ``index``, keyed from ``index << ROW_BITS``."""
    key = index << ROW_BITS
    for part in storage.parquet_file(input_files[index]).iter_batches(batch_size=cfg.batch_size, columns=["id", "text"]):
        yield batch_features(cfg, hasher, part, key)
        key += part.num_rows


def read_features(spark: "SparkSession", cfg: DedupConfig, hasher: NearDupHasher | None,
                  input_files: list[str]) -> "DataFrame":
    """Every input document's features as a DataFrame, one task per part."""
    check_columns(input_files)

    def read(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            for index in batch.column("id").to_pylist():
                yield from file_features(cfg, hasher, input_files, index)

    # one row per partition (so one task each), made in the JVM; tasks look their part up by
    # position in the list pickled with the function (paths stay exact, never through Java)
    parts = spark.range(0, len(input_files), 1, max(1, len(input_files)))
    return parts.mapInArrow(read, FEATURES)


def _job(cfg: DedupConfig, input_files: list[str], names: list[tuple[str, str]], kept_dir: str, rejected_dir: str,
         index: int, examples: frozenset[int]) -> WriteJob:
    first = index << ROW_BITS
    rows = storage.parquet_file(input_files[index]).metadata.num_rows
    return WriteJob(cfg, input_files[index], index, first, first + rows, "", storage.join(kept_dir, names[index][0]),
                    storage.join(rejected_dir, names[index][1]), {},
                    frozenset(m for m in examples if first <= m < first + rows))


def _apply(job: WriteJob, rows: pa.Table) -> WriteResult:
    """Turn one part's decision rows (sorted by key) into the local writer's arrays; checks
    there is one row for each of the part's documents."""
    keys = rows.column("key").to_numpy()
    if not np.array_equal(keys, np.arange(job.first_doc, job.stop_doc)):
        raise RuntimeError(f"{job.path}: {len(keys)} decisions for {job.stop_doc - job.first_doc} rows")
    in_cluster = rows.column("label").is_valid().to_numpy(zero_copy_only=False)
    state = {
        "status": rows.column("status").to_numpy().astype(np.int8),
        "duplicate_of": pc.fill_null(rows.column("dup_of"), -1).to_numpy().astype(np.int64),
        "cluster": np.where(in_cluster, pc.fill_null(rows.column("label"), 0).to_numpy(), keys).astype(np.int64),
        "in_cluster": in_cluster,
    }
    rep_ids: dict[int, str] = {}
    for ref, ref_id in (("dup_of", "dup_of_id"), ("label", "cluster_id")):
        for key, value in zip(rows.column(ref).to_pylist(), rows.column(ref_id).to_pylist()):
            if value is not None:
                rep_ids[key] = value
    removals = {k: set(u) for k, u in zip(keys.tolist(), rows.column("units").to_pylist()) if u}
    return apply_decisions(dataclasses.replace(job, rep_ids=rep_ids), state, removals)


def write_parts(decisions: "DataFrame", cfg: DedupConfig, input_files: list[str], names: list[tuple[str, str]],
                kept_dir: str, rejected_dir: str, examples: frozenset[int]) -> tuple[list[WriteResult], int]:
    """One kept and one rejected file per input part, same names, rows in input order,
    written (then published) by the task that holds the part's decisions; parts with no
    rows are written empty here. Returns each part's :class:`WriteResult` and the text bytes
    of every document (``nbytes`` of the decision rows)."""

    def write(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        pending: list[pa.RecordBatch] = []
        current = -1

        def flush() -> pa.RecordBatch:
            job = _job(cfg, input_files, names, kept_dir, rejected_dir, current, examples)
            rows = pa.Table.from_batches(pending)
            result = _apply(job, rows)
            return pa.RecordBatch.from_pydict({"file_idx": [current], "result": [pickle.dumps(result)],
                                               "bytes_in": [pc.sum(rows.column("nbytes")).as_py() or 0]})

        for batch in batches:
            files = batch.column("file_idx").to_numpy()
            starts = [0, *(np.flatnonzero(files[1:] != files[:-1]) + 1).tolist(), len(files)]
            for lo, hi in zip(starts[:-1], starts[1:]):
                if pending and int(files[lo]) != current:
                    yield flush()
                    pending = []
                current = int(files[lo])
                pending.append(batch.slice(lo, hi - lo))
        if pending:
            yield flush()

    written = (
        decisions.repartition(len(input_files), "file_idx")
        .sortWithinPartitions("key")
        .mapInArrow(write, "file_idx long, result binary, bytes_in long")
        .collect()
    )
    results = {row["file_idx"]: pickle.loads(row["result"]) for row in written}
    for index in range(len(input_files)):
        if index not in results:  # no rows: empty outputs with the right schemas
            job = _job(cfg, input_files, names, kept_dir, rejected_dir, index, examples)
            if job.stop_doc != job.first_doc:
                raise RuntimeError(f"{job.path}: no decisions for {job.stop_doc - job.first_doc} rows")
            results[index] = apply_decisions(job, {name: np.zeros(0) for name in STATE_ARRAYS}, {})
    return [results[i] for i in range(len(input_files))], sum(row["bytes_in"] for row in written)
