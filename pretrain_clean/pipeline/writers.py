"""Parquet outputs, written then published through :mod:`pipeline.storage` when complete.

Parquet strings must be valid UTF-8. A value that is not (an unpaired surrogate from a
``"\\ud800"`` JSON escape in metadata, a file name with non-UTF-8 bytes) is written
repaired, each bad code point as its visible escape (``\\ud800``, ``\\udcff``), so one
bad value never stops a run; every other value is written as it is.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

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
                batch = pa.RecordBatch.from_pydict(columns, schema=self.schema)
            except UnicodeEncodeError:  # rare: repair only then, the normal path pays nothing
                batch = pa.RecordBatch.from_pydict(
                    {name: [utf8_safe(v) if isinstance(v, str) else v for v in values]
                     for name, values in columns.items()},
                    schema=self.schema)
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
