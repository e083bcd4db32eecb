"""On-disk hash buckets: records are routed by key into buckets, so each bucket can later be
sorted in memory on its own (external hash partitioning; memory is one bucket's size).

Each writer appends every flush to one data file, its records grouped by bucket, and the
flush's per-bucket counts to an index file: two files a writer, not one per bucket (file
creation is slow on shared filesystems; 64 buckets x 3 spills x 200 parts were 38,400).
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import numpy as np


class SpillBuckets:
    """Append structured records to ``num_buckets`` buckets chosen by their ``key`` field.

    >>> import tempfile
    >>> dt = np.dtype([("key", "<i8"), ("doc", "<i8")])
    >>> with tempfile.TemporaryDirectory() as d:
    ...     s = SpillBuckets(d, 4, dt)
    ...     s.add(np.array([(5, 0), (6, 1), (5, 2)], dtype=dt))
    ...     sorted(r["doc"].tolist() for r in s.buckets() if len(r))
    [[0, 2], [1]]
    """

    def __init__(
        self, directory: str | Path, num_buckets: int, dtype: np.dtype, buffer_records: int = 1 << 20, tag: str = ""
    ):
        self.dir = Path(directory)
        self.tag = tag
        """Names this writer's files (``spill.TAG.bin`` and ``spill.TAG.idx``), so several
        processes can spill into one directory; :meth:`buckets` reads every writer's files."""
        self.dir.mkdir(parents=True, exist_ok=True)
        self.num_buckets = num_buckets
        self.dtype = np.dtype(dtype)
        self.buffer_records = buffer_records
        self._pending: list[np.ndarray] = []
        self._pending_n = 0
        self.records = 0

    def _paths(self, tag: str) -> tuple[Path, Path]:
        name = f"spill.{tag}" if tag else "spill"
        return self.dir / f"{name}.bin", self.dir / f"{name}.idx"

    def add(self, records: np.ndarray) -> None:
        """Buffer records; they reach disk when the buffer fills or on :meth:`flush`."""
        if len(records):
            self._pending.append(np.asarray(records, dtype=self.dtype))
            self._pending_n += len(records)
            self.records += len(records)
            if self._pending_n >= self.buffer_records:
                self.flush()

    def flush(self) -> None:
        """Write buffered records grouped by bucket, and their per-bucket counts."""
        if not self._pending:
            return
        records = np.concatenate(self._pending)
        self._pending, self._pending_n = [], 0
        bucket = records["key"].view(np.uint64) % np.uint64(self.num_buckets)
        # Small integers sort stably by radix sort in numpy.
        bucket = bucket.astype(np.uint16 if self.num_buckets <= 1 << 16 else np.int64)
        records = records[np.argsort(bucket, kind="stable")]
        data, index = self._paths(self.tag)
        with open(data, "ab") as fh:
            records.tofile(fh)
        with open(index, "ab") as fh:
            np.bincount(bucket, minlength=self.num_buckets).astype(np.int64).tofile(fh)

    def buckets(self) -> Iterator[np.ndarray]:
        """Each bucket's records, from the files of every writer of the directory (flushes
        first); the order of records inside a bucket is unspecified."""
        self.flush()
        writers = []
        for index in sorted(self.dir.glob("spill*.idx")):
            counts = np.fromfile(index, dtype=np.int64).reshape(-1, self.num_buckets)
            starts = np.concatenate([[0], np.cumsum(counts.ravel())[:-1]]).reshape(counts.shape)
            writers.append((index.with_suffix(".bin"), counts, starts))
        for b in range(self.num_buckets):
            parts = []
            for data, counts, starts in writers:
                with open(data, "rb") as fh:
                    for count, start in zip(counts[:, b].tolist(), starts[:, b].tolist()):
                        if count:
                            fh.seek(start * self.dtype.itemsize)
                            parts.append(np.fromfile(fh, dtype=self.dtype, count=count))
            yield np.concatenate(parts) if len(parts) > 1 else parts[0] if parts else np.zeros(0, self.dtype)


def group_starts(sorted_keys: np.ndarray) -> np.ndarray:
    """Start index of every run of equal keys in a sorted array, plus ``len`` at the end.

    >>> group_starts(np.array([3, 3, 5, 7, 7, 7])).tolist()
    [0, 2, 3, 6]
    """
    if len(sorted_keys) == 0:
        return np.zeros(1, dtype=np.int64)
    change = np.flatnonzero(sorted_keys[1:] != sorted_keys[:-1]) + 1
    return np.concatenate([[0], change, [len(sorted_keys)]]).astype(np.int64)
