"""Spark dedup of a small input: features to the driver, the local engine's decisions there.

Spark's distributed dedup (:mod:`dedup.spark`) runs about a dozen Spark jobs whatever the
input size, each planned and scheduled by the driver JVM; on a small input that fixed cost is
most of the dedup's time. Below :attr:`DedupConfig.spark_driver_bytes` of estimated features
(:func:`feature_bytes`), the Spark engine instead runs two jobs: one pass of Python tasks
reads and hashes every part (:func:`dedup.spark_io.file_features`, as the distributed path)
and the features (never text) come to the driver as Arrow tables; the driver makes
the decisions with the local engine's own code (:mod:`dedup.decide`) over numbers
``0..n-1`` in (file, row) order; one pass of Python tasks writes every part with the local
engine's writer (:func:`dedup.local_parts.apply_decisions`), each task getting its part's
decision arrays with its function. Outputs and report are the local engine's.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pretrain_clean.dedup import decide
from pretrain_clean.dedup.config import DedupConfig
from pretrain_clean.dedup.decide import State
from pretrain_clean.dedup.features import NearDupHasher
from pretrain_clean.dedup.local_parts import (
    KEY_DOC, KEY_DOC_UNIT, STATE_ARRAYS, WriteJob, WriteResult, add_written, apply_decisions, structured,
)
from pretrain_clean.dedup.report import DedupResult
from pretrain_clean.dedup.spark_io import ROW_BITS, batch_features, check_columns, file_features
from pretrain_clean.pipeline import storage
from pretrain_clean.pipeline.spark_engine import spark_map

if TYPE_CHECKING:
    from pyspark import SparkContext

UNIT_TEXT_BYTES = 64
"""Text bytes per paragraph/sentence unit assumed by :func:`feature_bytes`: a third of what
web text has (English web sample: one paragraph per 186 bytes; the Chinese sample: 436),
so a corpus of short lines still fits the estimate."""


class Phases(Protocol):
    """Where the phases' progress goes (:class:`pipeline.progress.PhaseProgress`)."""

    def start(self, phase: str) -> None: ...

    def end(self, note: str = "") -> None: ...


def feature_bytes(cfg: DedupConfig, input_files: list[str]) -> int:
    """Estimated bytes of the features the driver path collects, from the parquet metadata
    only: per document its key, text length, exact key, list offsets, id, signature
    (``4 x num_perm`` with verification) and band keys (``8 x bands``), plus 20 bytes per
    paragraph unit at one unit per :data:`UNIT_TEXT_BYTES` of text."""
    docs = id_bytes = text_bytes = 0
    for path in input_files:
        meta = storage.parquet_file(path).metadata
        docs += meta.num_rows
        for g in range(meta.num_row_groups):
            group = meta.row_group(g)
            for c in range(group.num_columns):
                column = group.column(c)
                if column.path_in_schema == "id":
                    id_bytes += column.total_uncompressed_size
                elif column.path_in_schema == "text":
                    text_bytes += column.total_uncompressed_size
    per_doc = 8 * 3 + 4 * 3
    if cfg.minhash:
        hasher = NearDupHasher.from_config(cfg)
        per_doc += 8 * hasher.bands + (4 * cfg.num_perm if cfg.minhash_verify else 0)
    units = text_bytes // UNIT_TEXT_BYTES * 20 if cfg.paragraph or cfg.sentence else 0
    return docs * per_doc + id_bytes + units


@dataclass(frozen=True)
class PartDecisions:
    """One part's write job with its decision arrays and unit removals (numbers local to the run)."""

    job: WriteJob
    state: dict[str, np.ndarray]
    removals: dict[int, set[int]]


def write_one(part: PartDecisions) -> WriteResult:
    """Run on an executor: the part's kept and rejected files."""
    return apply_decisions(part.job, part.state, part.removals)


def read_feature_table(context: "SparkContext", cfg: DedupConfig, hasher: NearDupHasher | None,
                       input_files: list[str]) -> pa.Table:
    """Every input document's features, one Spark task per part, collected on the driver."""
    check_columns(input_files)

    def read(index: int) -> pa.Table | None:
        batches = list(file_features(cfg, hasher, input_files, index))
        return pa.Table.from_batches(batches) if batches else None

    tables = [t for t in spark_map(read, list(range(len(input_files))), context) if t is not None]
    if not tables:  # no documents: the columns all the same
        empty = pa.record_batch({"id": pa.array([], pa.string()), "text": pa.array([], pa.string())})
        tables = [pa.Table.from_batches([batch_features(cfg, hasher, empty, 0)])]
    return pa.concat_tables(tables)


def run_on_driver(context: "SparkContext", cfg: DedupConfig, input_files: list[str], names: list[tuple[str, str]],
                  kept_dir: str, rejected_dir: str, progress: Phases) -> DedupResult:
    """The dedup in two Spark jobs (read and hash; write), decisions on the driver."""
    result = DedupResult()
    hasher = NearDupHasher.from_config(cfg) if cfg.minhash else None
    rows = [storage.parquet_file(path).metadata.num_rows for path in input_files]
    starts = np.concatenate([[0], np.cumsum(rows)]).astype(np.int64)
    n = int(starts[-1])
    progress.start(f"read and hash ({n:,} documents)")
    t0 = time.perf_counter()
    feats = read_feature_table(context, cfg, hasher, input_files)
    keys = feats.column("key").to_numpy()
    docs = starts[keys >> ROW_BITS] + (keys & ((1 << ROW_BITS) - 1))
    order = np.argsort(docs, kind="stable")
    if not np.array_equal(docs[order], np.arange(n)):
        raise RuntimeError(f"dedup read {len(docs)} documents, the parquet metadata says {n}")
    feats = feats.take(pa.array(order))
    state = State(n)
    if cfg.exact:
        decide.exact([structured(KEY_DOC, key=feats.column("ekey").to_numpy(), doc=np.arange(n))], state)
    result.documents_in = n
    result.bytes_in = int(pc.sum(feats.column("nbytes")).as_py() or 0)
    result.seconds["read_and_hash"] = time.perf_counter() - t0
    progress.end()

    if hasher is not None:
        progress.start("minhash")
        t0 = time.perf_counter()
        bands = _flat(feats.column("bkeys"))
        records = structured(KEY_DOC, key=bands[0].to_numpy(), doc=bands[1])
        signatures = None
        if cfg.minhash_verify:
            sigs = _signatures(feats.column("sig"), cfg.num_perm)
            signatures = lambda rows: sigs[rows]  # noqa: E731
        decide.near([records], signatures, cfg.minhash_threshold, state)
        result.seconds["minhash"] = time.perf_counter() - t0
        progress.end()

    removals: dict[int, set[int]] = {}
    if cfg.paragraph or cfg.sentence:
        progress.start("paragraph")
        t0 = time.perf_counter()
        units, doc = _flat(feats.column("units"))
        records = structured(KEY_DOC_UNIT, key=units.field("h").to_numpy(), doc=doc, unit=units.field("unit").to_numpy())
        for removed in decide.removed_units([records], state, cfg.paragraph_min_repeats):
            for d, u in zip(removed["doc"].tolist(), removed["unit"].tolist()):
                removals.setdefault(d, set()).add(u)
        result.seconds["paragraph"] = time.perf_counter() - t0
        progress.end()

    progress.start("write")
    t0 = time.perf_counter()
    examples = decide.example_members(state)
    wanted = decide.referenced(state)
    rep_ids = dict(zip(wanted.tolist(), pc.take(feats.column("id"), pa.array(wanted)).to_pylist()))
    example_docs = {m for members in examples.values() for m in members}
    parts = []
    for f, path in enumerate(input_files):
        lo, hi = int(starts[f]), int(starts[f + 1])
        part_state = {name: getattr(state, name)[lo:hi] for name in STATE_ARRAYS}
        refs = set(part_state["duplicate_of"][part_state["duplicate_of"] >= 0].tolist())
        refs.update(part_state["cluster"][part_state["in_cluster"]].tolist())
        job = WriteJob(cfg, path, f, lo, hi, "", storage.join(kept_dir, names[f][0]), storage.join(rejected_dir, names[f][1]),
                       {r: rep_ids[r] for r in refs}, frozenset(m for m in example_docs if lo <= m < hi))
        parts.append(PartDecisions(job, part_state, {d: u for d, u in removals.items() if lo <= d < hi}))
    del feats
    written = spark_map(write_one, parts, context)
    texts, _ = add_written(result, written)
    result.seconds["write"] = time.perf_counter() - t0
    progress.end(f"kept {result.kept:,} of {n:,}")
    decide.finish_report(result, state, hasher, examples, texts)
    return result


def _flat(column: pa.ChunkedArray) -> tuple[pa.Array, np.ndarray]:
    """A list column's values and, for each value, its row number."""
    lists = column.combine_chunks()
    values = lists.flatten()
    lengths = pc.fill_null(pc.list_value_length(lists), 0).to_numpy()
    return values, np.repeat(np.arange(len(lists), dtype=np.int64), lengths)


def _signatures(column: pa.ChunkedArray, num_perm: int) -> np.ndarray:
    """The ``(n, num_perm)`` uint32 matrix of a column of signature bytes (null: no shingles,
    never looked up)."""
    width = 4 * num_perm
    values = [v if v is not None else b"\0" * width for v in column.to_pylist()]
    return np.frombuffer(b"".join(values), dtype=np.uint32).reshape(-1, num_perm)
