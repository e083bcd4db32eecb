"""Count repeated input ids: ``id`` is the user's and kept as given, so it need not be a key.

Every output row also carries ``doc_key`` (source file and position, unique in a run; see
:attr:`pipeline.document.Document.key`). This module counts, for ``stats.json``, how many
documents repeat an ``id`` an earlier document had (ids given twice, or a missing id made
``<file>:<line>`` that equals a real one). Ids are hashed to 64 bits (8 bytes per document
in memory; a false match needs a hash collision, odds about n²/2⁶⁵).
"""
from __future__ import annotations

import numpy as np
import xxhash

from pretrain_clean.pipeline import storage


def id_hashes(paths: list[str], column: str = "id") -> np.ndarray:
    """64-bit hashes of ``column`` in the parquet files ``paths`` (local or URIs), one row group at a time."""
    chunks = [np.empty(0, dtype=np.uint64)]
    for path in paths:
        parquet = storage.parquet_file(path)
        for group in range(parquet.num_row_groups):
            values = parquet.read_row_group(group, columns=[column]).column(0).to_pylist()
            chunks.append(np.fromiter((_hash(v) for v in values), dtype=np.uint64, count=len(values)))
    return np.concatenate(chunks)


def _hash(value: str | None) -> int:
    """xxh3 of the id's UTF-8 bytes (no pandas: importing it costs every run about 0.3 CPU-s)."""
    return 0 if value is None else xxhash.xxh3_64_intdigest(value.encode("utf-8", "surrogatepass"))


def count_duplicates(hashes: np.ndarray) -> int:
    """How many values repeat an earlier one.

    >>> count_duplicates(np.array([3, 1, 3, 3, 2], dtype=np.uint64))
    2
    """
    return int(len(hashes) - len(np.unique(hashes)))


def duplicate_ids(paths: list[str]) -> int:
    """Documents in the parquet files ``paths`` whose ``id`` an earlier one already had."""
    return count_duplicates(id_hashes(paths))
