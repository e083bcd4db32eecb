"""Local dedup engine: streams parquet parts, spills hash keys to on-disk buckets, keeps
only per-document integers in memory (never the corpus text).

Pass 1 reads the texts batch by batch and spills exact keys, LSH band keys and paragraph
hashes; the buckets are then sorted one at a time to decide, per document, kept / exact
duplicate / near duplicate and which paragraphs go; pass 2 rewrites every part.
Both passes run over the parts in parallel worker processes (:mod:`dedup.local_parts`).
The first document in (file, row) order always wins, whatever the number of workers.

Memory on the driver is per-document integers (status, representative, cluster label:
18 bytes, plus the connected-components arrays while they run), one spill bucket at a time
and the ids of the documents other documents point to; signatures are verified in chunks
read from disk in chunks of pairs, never held or mapped for the whole corpus.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
import time
from collections import Counter
from pathlib import Path
from typing import Callable

import numpy as np
import pyarrow.compute as pc

from pretrain_clean.dedup.config import DedupConfig
from pretrain_clean.dedup.features import NearDupHasher
from pretrain_clean.dedup.hashing import normalize_lines
from pretrain_clean.dedup.local_parts import (
    DOC_UNIT,
    add_written,
    STATE_ARRAYS,
    ScanJob,
    WriteJob,
    WriteResult,
    structured,
    scan_part,
    spills,
    write_part,
)
from pretrain_clean.dedup import decide
from pretrain_clean.dedup.decide import State
from pretrain_clean.dedup.report import STATUS_EXACT, DedupResult, output_names, write_report
from pretrain_clean.dedup.spill import SpillBuckets
from pretrain_clean.pipeline import storage
from pretrain_clean.pipeline.fork_map import default_workers, fork_map

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
MALLOC_KEEP = 128 << 20
"""While dedup runs, glibc keeps up to this much freed memory per process instead of
returning it to the kernel and faulting it in again for the next batch's arrays (the
per-batch scratch matrices are 1-10 MiB): 100k documents took 4x fewer page faults and
~0.5-0.9 s less system CPU (of ~8 s), with the same peak memory."""


def _malloc_reuse() -> Callable[[], None]:
    """Raise glibc's trim and mmap thresholds to :data:`MALLOC_KEEP` (forked workers
    inherit them); returns the call that restores glibc's defaults. Nothing happens on
    other C libraries."""
    name = ctypes.util.find_library("c")
    if not name or not name.startswith("libc.so"):
        return lambda: None
    mallopt = ctypes.CDLL(name).mallopt
    mallopt(_M_TRIM_THRESHOLD, MALLOC_KEEP)
    mallopt(_M_MMAP_THRESHOLD, MALLOC_KEEP // 2)

    def restore() -> None:
        mallopt(_M_MMAP_THRESHOLD, 128 << 10)
        mallopt(_M_TRIM_THRESHOLD, 128 << 10)

    return restore


def run_dedup_local(
    cfg: DedupConfig, input_files: list[str], kept_dir: str, rejected_dir: str, work_dir: str,
    workers: int | None = None,
) -> DedupResult:
    """Deduplicate ``input_files`` (sorted parquet parts) into ``kept_dir``/``rejected_dir``;
    writes ``dedup_report.json``/``.md`` next to ``work_dir`` and returns the totals.
    ``workers`` processes (default: every CPU) share the read and write passes."""
    names = output_names(input_files)
    workers = workers or default_workers()
    work = Path(storage.local_work_dir(work_dir)) / "dedup-local"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    result = DedupResult()
    hasher = NearDupHasher.from_config(cfg) if cfg.minhash else None
    restore_malloc = _malloc_reuse()
    try:
        t0 = time.perf_counter()
        file_starts = _file_starts(input_files)
        n = int(file_starts[-1])
        sig_path = work / "signatures.u32"
        if hasher is not None and cfg.minhash_verify:
            with open(sig_path, "wb") as fh:
                fh.truncate(n * cfg.num_perm * 4)
        jobs = [ScanJob(cfg, path, f, int(file_starts[f]), str(work), str(sig_path) if sig_path.exists() else None)
                for f, path in enumerate(input_files)]
        if cfg.paragraph:
            normalize_lines([""])  # builds its code point tables once; forked workers inherit them
        scanned = fork_map(scan_part, jobs, workers)
        result.documents_in = sum(d for d, _, _ in scanned)
        result.bytes_in = sum(b for _, b, _ in scanned)
        result.seconds.update(sum((cpu for _, _, cpu in scanned), Counter()))
        if result.documents_in != n:
            raise RuntimeError(f"read {result.documents_in} documents, the parquet metadata says {n}")
        spilled = spills(cfg, work)
        state = State(n)
        result.seconds["read_and_hash"] = time.perf_counter() - t0
        if cfg.exact:
            t0 = time.perf_counter()
            decide.exact(spilled["exact"].buckets(), state)
            result.seconds["exact"] = time.perf_counter() - t0
        if hasher is not None:
            t0 = time.perf_counter()
            _near(cfg, spilled["bands"], sig_path, state)
            result.seconds["minhash"] = time.perf_counter() - t0
        removals_dir = work / "removals"
        if cfg.paragraph or cfg.sentence:
            t0 = time.perf_counter()
            _paragraph(cfg, spilled["units"], state, file_starts, removals_dir)
            result.seconds["paragraph"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        examples = decide.example_members(state)
        _write(cfg, input_files, names, file_starts, state, work, kept_dir, rejected_dir, result, examples, workers)
        result.seconds["write"] = time.perf_counter() - t0
        decide.finish_report(result, state, hasher, examples, result.report.pop("_example_texts", {}))
        write_report(result, work_dir)
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)
        restore_malloc()


def _file_starts(input_files: list[str]) -> np.ndarray:
    """Number of each part's first document (from the parquet metadata), then the total."""
    counts = [storage.parquet_file(path).metadata.num_rows for path in input_files]
    return np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)


def _near(cfg: DedupConfig, spill: SpillBuckets, sig_path: Path, state: State) -> None:
    """:func:`dedup.decide.near` over the band buckets, signatures read from ``sig_path``."""
    if not cfg.minhash_verify:
        decide.near(spill.buckets(), None, cfg.minhash_threshold, state)
        return
    with open(sig_path, "rb") as fh:
        decide.near(spill.buckets(), lambda rows: read_rows(fh.fileno(), rows, cfg.num_perm),
                    cfg.minhash_threshold, state)


def read_rows(fd: int, rows: np.ndarray, num_perm: int) -> np.ndarray:
    """Signature rows ``rows`` (sorted, distinct) of a file of ``num_perm`` uint32 per row,
    one ``pread`` per run of consecutive rows.

    >>> import tempfile
    >>> with tempfile.TemporaryFile() as fh:
    ...     _ = fh.write(np.arange(12, dtype=np.uint32).tobytes()); fh.flush()
    ...     read_rows(fh.fileno(), np.array([0, 2, 3]), 2).tolist()
    [[0, 1], [4, 5], [6, 7]]
    """
    width = num_perm * 4
    out = np.empty((len(rows), num_perm), dtype=np.uint32)
    view = memoryview(out).cast("B")
    breaks = np.flatnonzero(np.diff(rows) != 1) + 1
    starts = np.concatenate([[0], breaks]).astype(np.int64)
    stops = np.concatenate([breaks, [len(rows)]]).astype(np.int64)
    for a, b, row in zip(starts.tolist(), stops.tolist(), rows[starts].tolist()):
        got = os.preadv(fd, [view[a * width : b * width]], row * width)
        if got != (b - a) * width:
            raise RuntimeError(f"signature file ends before row {row + got // width} "
                               f"(rows {row}-{row + b - a - 1} asked for)")
    return out


def _paragraph(
    cfg: DedupConfig, spill: SpillBuckets, state: State, file_starts: np.ndarray, out_dir: Path
) -> None:
    """Units repeated at least ``paragraph_min_repeats`` times among the surviving
    documents go everywhere after their first occurrence; removals are spilled per file."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for removed in decide.removed_units(spill.buckets(), state, cfg.paragraph_min_repeats):
        file_of = np.searchsorted(file_starts, removed["doc"], side="right") - 1
        for f in np.unique(file_of):
            rows = removed[file_of == f]
            with open(out_dir / f"file-{f:06d}.bin", "ab") as fh:
                structured(DOC_UNIT, doc=rows["doc"], unit=rows["unit"]).tofile(fh)


def _write(
    cfg: DedupConfig,
    input_files: list[str],
    names: list[tuple[str, str]],
    file_starts: np.ndarray,
    state: State,
    work: Path,
    kept_dir: str,
    rejected_dir: str,
    result: DedupResult,
    examples: dict[int, list[int]],
    workers: int,
) -> None:
    """Pass 2: every part rewritten by :func:`write_part` from the saved decisions."""
    for name in STATE_ARRAYS:
        np.save(work / f"{name}.npy", getattr(state, name))
    rep_ids = _representative_ids(input_files, file_starts, state)
    example_docs = {m for members in examples.values() for m in members}
    jobs = []
    for f, path in enumerate(input_files):
        lo, hi = int(file_starts[f]), int(file_starts[f + 1])
        refs = np.concatenate([state.duplicate_of[lo:hi][state.status[lo:hi] == STATUS_EXACT],
                               state.cluster[lo:hi][state.in_cluster[lo:hi]]]).tolist()
        jobs.append(WriteJob(
            cfg, path, f, lo, hi, str(work), storage.join(kept_dir, names[f][0]), storage.join(rejected_dir, names[f][1]),
            {doc: rep_ids[doc] for doc in set(refs)}, frozenset(m for m in example_docs if lo <= m < hi),
        ))
    outcomes: list[WriteResult] = fork_map(write_part, jobs, workers)
    result.report["_example_texts"], cpu = add_written(result, outcomes)
    result.seconds.update(cpu)


def _representative_ids(input_files: list[str], file_starts: np.ndarray, state: State) -> dict[int, str]:
    """Ids of the documents others point to (exact originals, cluster representatives),
    read from the ``id`` column only."""
    wanted = decide.referenced(state)
    out: dict[int, str] = {}
    for f, path in enumerate(input_files):
        lo, hi = int(file_starts[f]), int(file_starts[f + 1])
        rows = wanted[(wanted >= lo) & (wanted < hi)] - lo
        if len(rows):
            ids = storage.parquet_file(path).read(columns=["id"]).column(0)
            out.update(zip((rows + lo).tolist(), pc.take(ids, rows).to_pylist()))
    return out
