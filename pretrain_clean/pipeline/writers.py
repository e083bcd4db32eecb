"""Parquet outputs, written then published through :mod:`pipeline.storage` when complete.

Parquet strings must be valid UTF-8. A value that is not (an unpaired surrogate from a
``"\\ud800"`` JSON escape in metadata, a file name with non-UTF-8 bytes) is written
repaired, each bad code point as its visible escape (``\\ud800``, ``\\udcff``), so one
bad value never stops a run; every other value is written as it is.

Columns are built from their buffers (UTF-8 bytes and offsets, int64 values), not with
``pa.array``: that imports pandas on first use (about 0.3 CPU-s in every process that writes).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from pretrain_clean.pipeline.cascade import Outcome
from pretrain_clean.pipeline.records import Quarantined, utf8_safe
from pretrain_clean.pipeline.storage import OutputFile

KEPT_SCHEMA = pa.schema([
    ("id", pa.string()), ("doc_key", pa.string()), ("text", pa.string()), ("source", pa.string()),
    ("position", pa.int64()), ("meta", pa.string()),
])
REJECTED_SCHEMA = KEPT_SCHEMA.append(pa.field("stage", pa.string())).append(pa.field("reason", pa.string()))
QUARANTINE_SCHEMA = pa.schema([
    ("source", pa.string()), ("position", pa.int64()), ("kind", pa.string()),
    ("error", pa.string()), ("raw", pa.string()),
])


def meta_json(meta: dict[str, Any]) -> str:
    """Deterministic JSON for a document's metadata."""
    return json.dumps(meta, ensure_ascii=False, sort_keys=True, default=str)


MAX_STRING_BYTES = 2**31 - 1
"""The most bytes one string column of a batch holds (its offsets are 32-bit)."""


def _validity(values: list[Any]) -> pa.Buffer | None:
    """The validity bitmap of ``values`` (None: no nulls)."""
    if all(v is not None for v in values):
        return None
    return pa.py_buffer(np.packbits(np.fromiter((v is not None for v in values), dtype=bool, count=len(values)),
                                    bitorder="little"))


def string_array(values: list[str | None]) -> pa.Array:
    """``pa.array(values, pa.string())`` from the UTF-8 bytes and their offsets; an unpaired
    surrogate raises ``UnicodeEncodeError`` as there."""
    encoded = [b"" if v is None else v.encode("utf-8") for v in values]
    offsets = np.zeros(len(values) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded)), out=offsets[1:])
    if offsets[-1] > MAX_STRING_BYTES:
        raise ValueError(f"a batch's strings hold {offsets[-1]:,} bytes, more than a parquet string column's "
                         "2 GiB: lower run.batch_size")
    buffers = [_validity(values), pa.py_buffer(offsets.astype(np.int32)), pa.py_buffer(b"".join(encoded))]
    return pa.Array.from_buffers(pa.string(), len(values), buffers)


def int64_array(values: list[int | None]) -> pa.Array:
    """``pa.array(values, pa.int64())`` from a numpy buffer."""
    data = np.fromiter((0 if v is None else v for v in values), dtype=np.int64, count=len(values))
    return pa.Array.from_buffers(pa.int64(), len(values), [_validity(values), pa.py_buffer(data)])


def record_batch(columns: dict[str, list[Any]], schema: pa.Schema) -> pa.RecordBatch:
    """``pa.RecordBatch.from_pydict(columns, schema=schema)`` for string and int64 columns."""
    arrays = []
    for column in schema:
        values = columns[column.name]
        if column.type == pa.string():
            arrays.append(string_array(values))
        elif column.type == pa.int64():
            arrays.append(int64_array(values))
        else:
            raise TypeError(f"record_batch: column {column.name!r} is {column.type}; only string and int64 are built")
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


class AtomicParquetWriter:
    """Streams record batches into ``path`` (local or URI); the file appears only on
    :meth:`commit`."""

    def __init__(self, path: str | Path, schema: pa.Schema) -> None:
        self.path = str(path)
        self._out = OutputFile(self.path)
        self.schema = schema
        self._writer = pq.ParquetWriter(self._out.stream, schema, compression="zstd")
        self.rows = 0

    def write_rows(self, columns: dict[str, list[Any]]) -> None:
        if columns and next(iter(columns.values())):
            try:
                batch = record_batch(columns, self.schema)
            except UnicodeEncodeError:  # rare: repair only then, the normal path pays nothing
                batch = record_batch({name: [utf8_safe(v) if isinstance(v, str) else v for v in values]
                                      for name, values in columns.items()}, self.schema)
            self._writer.write_batch(batch)
            self.rows += batch.num_rows

    def commit(self) -> None:
        self._writer.close()
        self._out.publish()

    def abort(self) -> None:
        self._writer.close()
        self._out.discard()


def outcome_columns(outcomes: list[Outcome], rejected: bool) -> dict[str, list[Any]]:
    """Column lists for kept (``rejected=False``) or rejected outcomes."""
    columns: dict[str, list[Any]] = {name: [] for name in (REJECTED_SCHEMA if rejected else KEPT_SCHEMA).names}
    for outcome in outcomes:
        doc = outcome.doc
        columns["id"].append(doc.id)
        columns["doc_key"].append(doc.key)
        columns["text"].append(doc.text)
        columns["source"].append(doc.source)
        columns["position"].append(doc.position)
        columns["meta"].append(meta_json(doc.meta))
        if rejected:
            columns["stage"].append(outcome.stage)
            columns["reason"].append(outcome.reason)
    return columns


def quarantine_columns(records: list[Quarantined]) -> dict[str, list[Any]]:
    return {
        "source": [r.source for r in records],
        "position": [r.position for r in records],
        "kind": [r.kind for r in records],
        "error": [r.error for r in records],
        "raw": [r.raw for r in records],
    }
