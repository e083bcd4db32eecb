"""On-disk hash buckets: records are routed by key into files, so each bucket can later be
sorted in memory on its own (external hash partitioning; memory is one bucket's size)."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import numpy as np


class SpillBuckets:
    """Append structured records to ``num_buckets`` files chosen by their ``key`` field.

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
        """Names this writer's files (``bucket-NNNNN.TAG.bin``), so several processes can
        spill into one directory; :meth:`buckets` reads every writer's files."""
        self.dir.mkdir(parents=True, exist_ok=True)
        self.num_buckets = num_buckets
        self.dtype = np.dtype(dtype)
        self.buffer_records = buffer_records
        self._pending: list[np.ndarray] = []
        self._pending_n = 0
        self.records = 0

    def _path(self, bucket: int) -> Path:
        return self.dir / (f"bucket-{bucket:05d}.{self.tag}.bin" if self.tag else f"bucket-{bucket:05d}.bin")

    def add(self, records: np.ndarray) -> None:
        """Buffer records; they reach disk when the buffer fills or on :meth:`flush`."""
        if len(records):
            self._pending.append(np.asarray(records, dtype=self.dtype))
            self._pending_n += len(records)
            self.records += len(records)
            if self._pending_n >= self.buffer_records:
                self.flush()

    def flush(self) -> None:
        """Write buffered records, each to its bucket's file."""
        if not self._pending:
            return
        records = np.concatenate(self._pending)
        self._pending, self._pending_n = [], 0
        bucket = (records["key"].view(np.uint64) % np.uint64(self.num_buckets)).astype(np.int64)
        order = np.argsort(bucket, kind="stable")
        records, bucket = records[order], bucket[order]
        bounds = np.searchsorted(bucket, np.arange(self.num_buckets + 1))
        for b in range(self.num_buckets):
            if bounds[b + 1] > bounds[b]:
                with open(self._path(b), "ab") as fh:
                    records[bounds[b] : bounds[b + 1]].tofile(fh)

    def buckets(self) -> Iterator[np.ndarray]:
        """Each bucket's records, from the files of every writer of the directory (flushes
        first); the order of records inside a bucket is unspecified."""
        self.flush()
        files: dict[int, list[Path]] = {}
        for path in sorted(self.dir.glob("bucket-*.bin")):
            files.setdefault(int(path.name.split(".")[0][len("bucket-") :]), []).append(path)
        for b in range(self.num_buckets):
            parts = [np.fromfile(path, dtype=self.dtype) for path in files.get(b, [])]
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
