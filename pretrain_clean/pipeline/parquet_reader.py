"""Documents from parquet files, one per row; positions count rows from 1.

Every readable row group is read: a row group that cannot be decoded (a corrupt page, a
bad checksum) costs its own rows only, each quarantined ``corrupt_row_group`` with the row
count taken from the footer. A string that is not valid UTF-8 costs its row only
(``invalid_utf8``), and so does any value Python cannot hold, like a date past year 9999
(``invalid_value``). Memory is bounded by a batch: at most :data:`BATCH_ROWS` rows and, by
the row group's own (uncompressed) size per row, about :data:`BATCH_BYTES` of data, so a file
of large texts is read a few rows at a time.
"""
from __future__ import annotations

from typing import Any, BinaryIO, Iterator

import pyarrow as pa

from pretrain_clean.pipeline.config import InputConfig
from pretrain_clean.pipeline.records import Quarantined, Record, make_document

BATCH_ROWS = 1024
BATCH_BYTES = 64 * 2**20
"""Uncompressed bytes a batch aims at (from the row group's footer: its size over its rows)."""
DATA_ERRORS = (OSError, pa.ArrowException, ValueError)
"""What pyarrow raises on corrupt bytes (``ArrowInvalid``, ``OSError``: bad page, ...)."""


def read_parquet(path: str, raw: BinaryIO, cfg: InputConfig, source: str,
                 row_groups: tuple[int, int] | None = None) -> Iterator[Record]:
    """Documents from a parquet file, one per row; an unreadable row group is quarantined
    row by row. ``row_groups`` (``[first, end)``) reads only those groups, positions still
    counting the file's rows (a file split into parts, :mod:`pipeline.split`)."""
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(raw)
    except DATA_ERRORS as exc:
        yield Quarantined(source, 0, "unreadable_file", f"not a readable parquet file: {exc}")
        return
    meta = parquet.metadata
    if meta.num_rows == 0:
        yield Quarantined(source, 0, "empty_file", "file is empty (0 rows)")
        return
    lo, hi = row_groups or (0, meta.num_row_groups)
    first = 1 + sum(meta.row_group(g).num_rows for g in range(lo))  # position of the group's first row
    for group in range(lo, hi):
        rows = meta.row_group(group).num_rows
        done = 0
        batches = parquet.iter_batches(batch_size=batch_rows(meta.row_group(group)), row_groups=[group])
        while done < rows:
            try:
                batch = next(batches)
            except (StopIteration, *DATA_ERRORS) as exc:
                why = "ended early" if isinstance(exc, StopIteration) else f"{type(exc).__name__}: {exc}"
                error = (f"row group {group + 1} of {meta.num_row_groups} is unreadable "
                         f"({rows - done:,} of its {rows:,} rows lost): {why}")
                for position in range(first + done, first + rows):
                    yield Quarantined(source, position, "corrupt_row_group", error)
                break
            yield from _batch_records(batch, cfg, source, first + done)
            done += batch.num_rows
        first += rows


def batch_rows(group: Any) -> int:
    """Rows per batch for a row group (its ``RowGroupMetaData``): :data:`BATCH_ROWS`, fewer
    when its rows average more than ``BATCH_BYTES / BATCH_ROWS`` bytes, at least one.

    >>> from types import SimpleNamespace as G
    >>> batch_rows(G(num_rows=10, total_byte_size=100)), batch_rows(G(num_rows=10, total_byte_size=10 * 2**30))
    (1024, 1)
    """
    per_row = group.total_byte_size / max(group.num_rows, 1)
    return max(1, min(BATCH_ROWS, int(BATCH_BYTES // per_row) if per_row > 0 else BATCH_ROWS))


def _batch_records(batch: pa.RecordBatch, cfg: InputConfig, source: str, first: int) -> Iterator[Record]:
    try:
        rows = batch.to_pylist()
    except (ValueError, OverflowError):  # one bad value (bad UTF-8, a date out of Python's range):
        # convert row by row, value by value
        yield from _rows_one_by_one(batch, cfg, source, first)
        return
    for offset, row in enumerate(rows):
        yield make_document(row, cfg, source, first + offset, 0)


def _rows_one_by_one(batch: pa.RecordBatch, cfg: InputConfig, source: str, first: int) -> Iterator[Record]:
    columns = batch.schema.names
    for offset in range(batch.num_rows):
        row: dict[str, Any] = {}
        bad = None
        for name, column in zip(columns, batch.columns):
            try:
                row[name] = column[offset].as_py()
            except UnicodeDecodeError as exc:
                bad = "invalid_utf8", f"column {name!r} is not valid UTF-8 (byte {exc.start})"
                break
            except (ValueError, OverflowError) as exc:
                bad = "invalid_value", f"column {name!r}: {type(exc).__name__}: {exc}"
                break
        if bad is not None:
            yield Quarantined(source, first + offset, *bad)
        else:
            yield make_document(row, cfg, source, first + offset, 0)
