"""Spark engine for :func:`tokenizer.shards.tokenize_to_shards`: the same two phases as tasks.

``spark-submit jobs/tokenize.py --engine spark --tokenizer T --input DIR --output OUT ...``

* encode: one task per input file (``mapInArrow`` over a one-row-per-file DataFrame) runs
  :func:`tokenizer.shards.spool_file` on an executor, which encodes with the tokenizer's batch
  API on that executor's cores and writes ``OUT/_work/spool-NNNNN.arrow``;
* plan: the driver reads only the spool's ``num_tokens`` (and shuffle ``key``) columns, 12 bytes
  per document, and computes the same plan as the local engine;
* write: one task per missing shard receives its document indices and runs
  :func:`tokenizer.shards.write_shard`; the driver streams the manifest entries back
  (``toLocalIterator``) and records each shard as it lands, so a killed job resumes.

Shards are byte-identical to the local engine's. The tokenizer, inputs and shards may be URIs
(``s3://``; read and written through :mod:`pipeline.storage`), but the spool is a folder on the
driver's disk that executors must also see (local mode, or a shared filesystem such as
NFS/Lustre): on a cluster without one, run ``shards`` with ``--engine local``.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np
import pyarrow as pa

from pretrain_clean.pipeline import storage
from pretrain_clean.tokenizer.shards import (OpenTokenizer, ShardConfig, Spool, open_tokenizer, shard_name,
                              spool_file, tokenize_to_shards, write_shard)


def spark_session(master: str | None = None):  # noqa: ANN201 - pyspark type
    """The shared session rules (``pipeline.spark_engine.spark_session``), one row per Arrow batch."""
    from pretrain_clean.pipeline.spark_engine import spark_session as shared_session

    session = shared_session("tokenize-shards", master)
    session.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", "1")
    return session


def _encode_task(tokenizer: str, cfg: ShardConfig) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        ot = open_tokenizer(tokenizer, cfg.eos_token, cfg.bos_token)
        for batch in batches:
            for row in batch.to_pylist():
                spool_file(ot, row["src"], Path(row["dst"]), cfg)
                yield pa.RecordBatch.from_pydict({"dst": [row["dst"]]})
    return run


def _write_task(cfg: ShardConfig, spool_paths: list[str], out: str) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        spool = Spool([Path(p) for p in spool_paths])
        for batch in batches:
            for row in batch.to_pylist():
                indices = np.frombuffer(row["indices"], dtype="<i8")
                entry = write_shard(spool.take(indices), storage.join(out, shard_name(row["index"])), cfg)
                yield pa.RecordBatch.from_pydict({"index": [row["index"]], "entry": [json.dumps(entry)]})
    return run


class SparkEngine:
    """Runs the encode and write phases as Spark tasks, one per input file / shard."""

    def __init__(self, spark: Any) -> None:  # noqa: ANN401 - pyspark SparkSession
        self.spark = spark

    def _frame(self, rows: list[tuple], schema: str) -> Any:  # noqa: ANN401
        slices = self.spark.sparkContext.parallelize(rows, max(1, len(rows)))
        return self.spark.createDataFrame(slices, schema)

    def encode(self, ot: OpenTokenizer, cfg: ShardConfig, jobs: list[tuple[Path, Path]]) -> None:
        """Spool each (input file, spool file) pair on an executor."""
        if jobs:
            frame = self._frame([(str(src), str(dst)) for src, dst in jobs], "src string, dst string")
            frame.mapInArrow(_encode_task(storage.absolute(ot.path), cfg), "dst string").collect()

    def write(self, cfg: ShardConfig, spool_paths: list[Path], out: Path,
              todo: list[tuple[int, np.ndarray]]) -> Iterator[tuple[int, dict[str, Any]]]:
        """Write each missing shard on an executor; yield entries as they come back."""
        if not todo:
            return
        rows = [(i, np.asarray(idx, dtype="<i8").tobytes()) for i, idx in todo]
        frame = self._frame(rows, "index long, indices binary")
        task = _write_task(cfg, [str(p.resolve()) for p in spool_paths], storage.absolute(str(out)))
        for row in frame.mapInArrow(task, "index long, entry string").toLocalIterator():
            yield row["index"], json.loads(row["entry"])


def tokenize_with_spark(tokenizer: str | Path, input_dir: str | Path, output_dir: str | Path,
                        cfg: ShardConfig | None = None, overwrite: bool = False,
                        master: str | None = None, spark: Any = None) -> dict[str, Any]:  # noqa: ANN401
    """:func:`tokenize_to_shards` with the Spark engine; returns the manifest."""
    spark = spark or spark_session(master)
    return tokenize_to_shards(tokenizer, input_dir, output_dir, cfg, overwrite=overwrite,
                              engine=SparkEngine(spark))
