"""Spark dedup's input and output: parquet parts read and written by Python tasks through
:mod:`pipeline.storage`, so local paths and ``s3://``... work alike with no shared filesystem
and no Hadoop connector. Rows carry ``file_idx`` and ``row_index`` (the local engine's order).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from pretrain_clean.dedup.report import STATUS_KEPT
from pretrain_clean.pipeline import storage

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

READ_BATCH = 8192
"""Rows per Arrow batch when tasks read the input parts."""


def input_schema(input_files: list[str]) -> pa.Schema:
    """The Arrow schema every input part shares (parts of one corpus have one schema)."""
    schema = storage.parquet_file(input_files[0]).schema_arrow
    for path in input_files[1:]:
        other = storage.parquet_file(path).schema_arrow
        if not other.equals(schema):
            raise ValueError(f"{path}: its columns differ from {input_files[0]}'s ({other} vs {schema})")
    if "text" not in schema.names:
        raise ValueError(f"{input_files[0]}: no 'text' column (columns: {schema.names})")
    return schema


def read_parts(spark: "SparkSession", input_files: list[str], schema: pa.Schema) -> "DataFrame":
    """Every input row with its ``file_idx`` and ``row_index``, read by Python tasks through
    :mod:`pipeline.storage` (so ``s3://`` works without Hadoop connectors), one task per file."""
    from pyspark.sql.pandas.types import from_arrow_schema

    out_schema = schema.append(pa.field("file_idx", pa.int64())).append(pa.field("row_index", pa.int64()))

    def read(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            for idx, path in zip(batch.column("file_idx").to_pylist(), batch.column("path").to_pylist()):
                row = 0
                for part in storage.parquet_file(path).iter_batches(batch_size=READ_BATCH):
                    n = part.num_rows
                    table = pa.Table.from_batches([part]).cast(schema)
                    arrays = [table.column(i).combine_chunks() for i in range(table.num_columns)]
                    arrays += [pa.array([idx] * n, pa.int64()), pa.array(range(row, row + n), pa.int64())]
                    row += n
                    yield pa.RecordBatch.from_arrays(arrays, schema=out_schema)

    rows = list(enumerate(input_files))
    files = spark.createDataFrame(spark.sparkContext.parallelize(rows, len(rows)), "file_idx long, path string")
    return files.mapInArrow(read, from_arrow_schema(out_schema))


def write_parts(
    out: "DataFrame",
    schema: pa.Schema,
    names: list[tuple[str, str]],
    kept_dir: str,
    rejected_dir: str,
) -> None:
    """One output file per input part, same name, rows in input order, written by the
    Python task that holds the part's rows (write, then publish; see :mod:`pipeline.storage`),
    so no shared filesystem is needed; parts left with no rows are written empty here."""
    from pyspark.sql import functions as F

    for where, extra, target, pick in (
        (F.col("status") == STATUS_KEPT, [], kept_dir, 0),
        (F.col("status") != STATUS_KEPT, ["stage", "reason"], rejected_dir, 1),
    ):
        part_schema = schema
        for name in extra:
            part_schema = part_schema.append(pa.field(name, pa.string()))
        files = [storage.join(target, n[pick]) for n in names]
        written = (
            out.where(where)
            .select(*schema.names, *extra, "file_idx", "row_index")
            .repartition(len(names), "file_idx")
            .sortWithinPartitions("file_idx", "row_index")
            .mapInArrow(part_writer(part_schema, files), "file_idx long")
            .collect()
        )
        done = {row["file_idx"] for row in written}
        storage.makedirs(target)
        for index, path in enumerate(files):
            if index not in done:
                with storage.open_output(path) as fh:
                    pq.write_table(part_schema.empty_table(), fh)


def part_writer(schema: pa.Schema, files: list[str]):  # noqa: ANN202 - a mapInArrow function
    """Write the sorted rows of a partition, one output file per run of equal ``file_idx``."""

    def write(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        current, out, writer = None, None, None
        try:
            for batch in batches:
                index = batch.column("file_idx").to_numpy()
                table = pa.Table.from_batches([batch]).select(schema.names).cast(schema)
                starts = [0, *(np.flatnonzero(index[1:] != index[:-1]) + 1).tolist(), len(index)]
                for lo, hi in zip(starts[:-1], starts[1:]):
                    if int(index[lo]) != current:
                        if writer is not None:
                            writer.close()
                            out.publish()
                            writer = None
                            yield pa.RecordBatch.from_pydict({"file_idx": [current]})
                        current = int(index[lo])
                        out = storage.OutputFile(files[current])
                        writer = pq.ParquetWriter(out.stream, schema)
                    writer.write_table(table.slice(lo, hi - lo))
            if writer is not None:
                writer.close()
                out.publish()
                writer = None
                yield pa.RecordBatch.from_pydict({"file_idx": [current]})
        except BaseException:
            if writer is not None:
                writer.close()
                out.discard()
            raise

    return write
