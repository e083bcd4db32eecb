"""Spark engine for :func:`tokenizer.shards.tokenize_to_shards`: the same two phases as tasks.

``spark-submit jobs/shards.py --engine spark --tokenizer T --input DIR --output OUT ...``

* encode: one task per input file (``mapInArrow`` over a one-row-per-file DataFrame) runs
  :func:`tokenizer.shards.spool_file` on an executor, which encodes with the tokenizer's batch
  API on that executor's cores and writes the file's spool ``spool-NNNNN.arrow``;
* plan: the driver reads only the spool's ``num_tokens`` (and shuffle ``key``) columns, 12 bytes
  per document, and computes the same plan as the local engine;
* write: one task per missing shard receives its document indices and runs
  :func:`tokenizer.shards.write_shard`; the driver streams the manifest entries back
  (``toLocalIterator``) and records each shard as it lands, so a killed job resumes.

Shards are byte-identical to the local engine's. The tokenizer, inputs and shards may be URIs
(``s3://``; read and written through :mod:`pipeline.storage`). With a URI output no shared
folder is needed: an executor spools to its local disk and publishes the spool to
``OUT/_work/`` on the store, returning the two planning columns, which the driver keeps as a
small local file; a write task fetches the spool files its documents are in once per machine
(:func:`pipeline.storage.local_copy`'s cache: executors need disk for the spool files they
touch, all of them when shuffling); ``OUT/_work`` is deleted when the run completes. With a
local output the spool is ``OUT/_work`` itself, so executors must see it (local mode, or a
shared filesystem such as NFS/Lustre).
"""
from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np
import pyarrow as pa

from pretrain_clean.pipeline import storage
from pretrain_clean.tokenizer.shards import (WORK_DIR, OpenTokenizer, ShardConfig, Spool, open_tokenizer,
                                             shard_name, spool_file, tokenize_to_shards, write_shard)

PLAN_COLUMNS = ("num_tokens", "key")
"""What the driver needs of a spool file to plan the shards."""


def spark_session(master: str | None = None):  # noqa: ANN201 - pyspark type
    """The shared session rules (``pipeline.spark_start.spark_session``), one row per Arrow batch."""
    from pretrain_clean.pipeline.spark_start import spark_session as shared_session

    session = shared_session("tokenize-shards", master)
    session.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", "1")
    return session


def _encode_task(tokenizer: str, cfg: ShardConfig) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """Spool each row's ``src`` to ``dst``; a URI ``dst`` is spooled locally, then published,
    and the row returns its planning columns as Arrow IPC bytes."""
    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        ot = open_tokenizer(tokenizer, cfg.eos_token, cfg.bos_token)
        for batch in batches:
            for row in batch.to_pylist():
                if not storage.is_uri(row["dst"]):
                    spool_file(ot, row["src"], Path(row["dst"]), cfg)
                    yield pa.RecordBatch.from_pydict({"dst": [row["dst"]], "plan": [b""]})
                    continue
                with tempfile.TemporaryDirectory(prefix="pretrain-clean-spool-") as tmp:
                    local = Path(tmp) / storage.basename(row["dst"])
                    spool_file(ot, row["src"], local, cfg)
                    plan = _plan_columns(local)
                    storage.publish_file(local, row["dst"])  # (moves the file)
                yield pa.RecordBatch.from_pydict({"dst": [row["dst"]], "plan": [plan]})
    return run


def _plan_columns(spool: Path) -> bytes:
    """The planning columns of a spool file, as an Arrow IPC file."""
    table = pa.ipc.open_file(pa.memory_map(str(spool))).read_all().select(list(PLAN_COLUMNS))
    sink = pa.BufferOutputStream()
    with pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


class _FetchedTables:
    """Spool tables by file number, each fetched from the store (once per machine) and
    memory-mapped on first use: a write task reads only the spool files its shard needs."""

    def __init__(self, uris: list[str]) -> None:
        self.uris = uris
        self.loaded: dict[int, pa.Table] = {}

    def __getitem__(self, f: int) -> pa.Table:
        if f not in self.loaded:
            local = storage.local_copy(self.uris[f])
            self.loaded[f] = pa.ipc.open_file(pa.memory_map(str(local))).read_all()
        return self.loaded[f]


def _spool(spool_paths: list[str], starts: list[int] | None) -> Spool:
    """The spool over local files, or over URIs given the first document index of each file."""
    if starts is None:
        return Spool([Path(p) for p in spool_paths])
    spool = Spool([])
    spool.tables = _FetchedTables(spool_paths)  # type: ignore[assignment]
    spool.starts = np.asarray(starts, dtype=np.int64)
    return spool


def _write_task(cfg: ShardConfig, spool_paths: list[str], starts: list[int] | None,
                out: str) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        spool = _spool(spool_paths, starts)
        for batch in batches:
            for row in batch.to_pylist():
                indices = np.frombuffer(row["indices"], dtype="<i8")
                entry = write_shard(spool.take(indices), storage.join(out, shard_name(row["index"])), cfg)
                yield pa.RecordBatch.from_pydict({"index": [row["index"]], "entry": [json.dumps(entry)]})
    return run


class SparkEngine:
    """Runs the encode and write phases as Spark tasks, one per input file / shard.

    With ``out`` a URI, spool files live in ``OUT/_work/`` on the store; the local spool
    paths the driver passes then hold only the planning columns (see the module docstring).
    """

    def __init__(self, spark: Any, out: str | None = None) -> None:  # noqa: ANN401 - pyspark SparkSession
        self.spark = spark
        self.remote = storage.join(out, WORK_DIR) if out and storage.is_uri(out) else None

    def _frame(self, rows: list[tuple], schema: str) -> Any:  # noqa: ANN401
        slices = self.spark.sparkContext.parallelize(rows, max(1, len(rows)))
        return self.spark.createDataFrame(slices, schema)

    def _spool_uri(self, local: Path) -> str:
        assert self.remote is not None
        return storage.join(self.remote, local.name)

    def encode(self, ot: OpenTokenizer, cfg: ShardConfig, jobs: list[tuple[str, Path]]) -> None:
        """Spool each (input file, spool file) pair on an executor."""
        if not jobs:
            return
        targets = {(self._spool_uri(dst) if self.remote else str(dst)): dst for _, dst in jobs}
        frame = self._frame([(str(src), dst) for (src, _), dst in zip(jobs, targets)], "src string, dst string")
        task = _encode_task(storage.absolute(ot.path), cfg)
        for row in frame.mapInArrow(task, "dst string, plan binary").toLocalIterator():
            if self.remote:  # the driver keeps the planning columns only
                storage.write_bytes(str(targets[row["dst"]]), row["plan"])

    def write(self, cfg: ShardConfig, spool_paths: list[Path], out: str,
              todo: list[tuple[int, np.ndarray]]) -> Iterator[tuple[int, dict[str, Any]]]:
        """Write each missing shard on an executor; yield entries as they come back."""
        if not todo:
            return
        rows = [(i, np.asarray(idx, dtype="<i8").tobytes()) for i, idx in todo]
        frame = self._frame(rows, "index long, indices binary")
        if self.remote:
            sizes = [pa.ipc.open_file(pa.memory_map(str(p))).read_all().num_rows for p in spool_paths]
            paths, starts = [self._spool_uri(p) for p in spool_paths], [0, *np.cumsum(sizes).tolist()]
        else:
            paths, starts = [str(p.resolve()) for p in spool_paths], None
        task = _write_task(cfg, paths, starts, storage.absolute(str(out)))
        for row in frame.mapInArrow(task, "index long, entry string").toLocalIterator():
            yield row["index"], json.loads(row["entry"])


def tokenize_with_spark(tokenizer: str | Path, input_dir: str | Path, output_dir: str | Path,
                        cfg: ShardConfig | None = None, overwrite: bool = False,
                        master: str | None = None, spark: Any = None) -> dict[str, Any]:  # noqa: ANN401
    """:func:`tokenize_to_shards` with the Spark engine; returns the manifest."""
    spark = spark or spark_session(master)
    out = storage.absolute(str(output_dir))
    manifest = tokenize_to_shards(tokenizer, input_dir, output_dir, cfg, overwrite=overwrite,
                                  engine=SparkEngine(spark, out))
    if storage.is_uri(out):
        storage.remove_tree(storage.join(out, WORK_DIR))  # the published spool, once every shard is written
    return manifest
