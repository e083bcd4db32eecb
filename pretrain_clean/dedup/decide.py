"""Per-document dedup decisions over numpy arrays of hash records, written once for the local
engine and the Spark engine's small-input path (:mod:`dedup.spark_driver`).

Documents are numbered ``0..n-1`` in (file, row) order. The local engine feeds each function
its on-disk spill buckets one at a time (:class:`dedup.spill.SpillBuckets`); the Spark driver
path feeds every record at once, as one bucket. Buckets partition the keys, so the answer is
the same either way. The comparisons themselves are :mod:`dedup.decisions`'.
"""
from __future__ import annotations

from typing import Callable, Iterable, Iterator

import numpy as np

from pretrain_clean.dedup import decisions
from pretrain_clean.dedup.components import connected_components
from pretrain_clean.dedup.decisions import verified_pairs
from pretrain_clean.dedup.features import NearDupHasher
from pretrain_clean.dedup.report import (EXAMPLE_CLUSTERS, EXAMPLE_MEMBERS, STATUS_EXACT, STATUS_KEPT, STATUS_NEAR,
                                         DedupResult, size_histogram)
from pretrain_clean.dedup.spill import group_starts

VERIFY_CHUNK = 16384
"""Candidate pairs verified per step: the at most 2 x 16,384 signature rows they need
(16 MiB at 128 permutations) are fetched for the step and then dropped."""

SignatureRows = Callable[[np.ndarray], np.ndarray]
"""Signature rows (``num_perm`` uint32 each) of the given sorted, distinct documents."""


class State:
    """Per-document decisions (integers only): status, representative, cluster label."""

    def __init__(self, n: int):
        self.status = np.zeros(n, dtype=np.int8)
        self.duplicate_of = np.full(n, -1, dtype=np.int64)
        self.cluster = np.arange(n, dtype=np.int64)
        self.in_cluster = np.zeros(n, dtype=bool)


def sorted_groups(records: np.ndarray, *order: str) -> tuple[np.ndarray, np.ndarray]:
    """``records`` sorted by the fields ``order``, and the starts of its ``key`` groups."""
    records = records[np.lexsort([records[name] for name in reversed(order)])]
    return records, group_starts(records["key"])


def exact(buckets: Iterable[np.ndarray], state: State) -> None:
    """Every document whose exact key an earlier document has is a duplicate of it
    (``(key, doc)`` records)."""
    for records in buckets:
        records, starts = sorted_groups(records, "key", "doc")
        first = np.repeat(records["doc"][starts[:-1]], np.diff(starts))
        dup = decisions.exact_duplicate(records["doc"], first)
        state.status[records["doc"][dup]] = STATUS_EXACT
        state.duplicate_of[records["doc"][dup]] = first[dup]


def near(buckets: Iterable[np.ndarray], signatures: SignatureRows | None, threshold: float, state: State) -> None:
    """Star edges (first member -> each other member) of every band bucket (``(key, doc)``
    records), verified against ``signatures`` (None: not verified), then connected
    components; all but the first document of a component go."""
    n = len(state.status)
    edges = []
    for bucket in buckets:
        bucket = bucket[state.status[bucket["doc"]] == STATUS_KEPT]
        bucket, starts = sorted_groups(bucket, "key", "doc")
        first = np.repeat(bucket["doc"][starts[:-1]], np.diff(starts))
        other = bucket["doc"] != first
        if other.any():
            edges.append(np.unique(first[other] * np.int64(n) + bucket["doc"][other]))
    pairs = np.unique(np.concatenate(edges)) if edges else np.zeros(0, dtype=np.int64)
    del edges
    u, v = pairs // n, pairs % n
    del pairs
    if signatures is not None and len(u):
        keep = np.zeros(len(u), dtype=bool)
        for lo, verified in _verified(signatures, u, v, threshold):
            keep[lo : lo + len(verified)] = verified
        u, v = u[keep], v[keep]
    labels = connected_components(n, u, v)
    state.in_cluster[u] = True
    state.in_cluster[v] = True
    state.cluster = labels
    near_docs = np.flatnonzero(state.in_cluster & decisions.near_duplicate(np.arange(n), labels))
    state.status[near_docs] = STATUS_NEAR
    state.duplicate_of[near_docs] = labels[near_docs]


def _verified(signatures: SignatureRows, u: np.ndarray, v: np.ndarray,
              threshold: float) -> Iterator[tuple[int, np.ndarray]]:
    """Which pairs ``(u[i], v[i])`` are near-duplicates (:func:`dedup.decisions.verified_pairs`),
    chunk by chunk; each chunk fetches only the signature rows it needs."""
    for lo in range(0, len(u), VERIFY_CHUNK):
        cu, cv = u[lo : lo + VERIFY_CHUNK], v[lo : lo + VERIFY_CHUNK]
        rows, where = np.unique(np.concatenate([cu, cv]), return_inverse=True)
        sigs = signatures(rows)
        yield lo, verified_pairs(sigs[where[: len(cu)]], sigs[where[len(cu) :]], threshold)


def removed_units(buckets: Iterable[np.ndarray], state: State, min_repeats: int) -> Iterator[np.ndarray]:
    """Per bucket of ``(key, doc, unit)`` records, the records of units that go: repeated at
    least ``min_repeats`` times among the surviving documents, after their first occurrence."""
    for records in buckets:
        records = records[state.status[records["doc"]] == STATUS_KEPT]
        records, starts = sorted_groups(records, "key", "doc", "unit")
        sizes = np.diff(starts)
        rank = np.arange(len(records)) - np.repeat(starts[:-1], sizes) + 1  # from 1, as Spark's row_number
        yield records[decisions.unit_removed(np.repeat(sizes, sizes), rank, min_repeats)]


def example_members(state: State) -> dict[int, list[int]]:
    """The largest few near-duplicate clusters (ties: smallest label): label -> first members."""
    labels = state.cluster[state.in_cluster]
    if len(labels) == 0:
        return {}
    values, counts = np.unique(labels, return_counts=True)
    top = values[np.argsort(-counts, kind="stable")[:EXAMPLE_CLUSTERS]]
    members = np.flatnonzero(state.in_cluster & np.isin(state.cluster, top))
    out: dict[int, list[int]] = {int(t): [] for t in top}
    for m in members:
        if len(out[int(state.cluster[m])]) < EXAMPLE_MEMBERS:
            out[int(state.cluster[m])].append(int(m))
    return out


def referenced(state: State) -> np.ndarray:
    """The documents others point to (exact originals, cluster representatives), sorted."""
    return np.unique(np.concatenate([state.duplicate_of[state.status == STATUS_EXACT],
                                     state.cluster[state.in_cluster]]))


def finish_report(result: DedupResult, state: State, hasher: NearDupHasher | None, examples: dict[int, list[int]],
                  texts: dict[int, tuple[str, str]]) -> None:
    """Cluster counts, size histogram, example clusters (``texts``: id and text head of every
    example member, from the write pass) and LSH parameters into ``result.report``."""
    labels = state.cluster[state.in_cluster]
    sizes = np.unique(labels, return_counts=True)[1] if len(labels) else np.zeros(0, dtype=np.int64)
    result.report.update(
        {
            "duplicates_per_level": dict(result.removed),
            "clusters": int(len(sizes)),
            "cluster_sizes": size_histogram(sizes),
            "example_clusters": [
                {
                    "kept": texts[label][0],
                    "size": int((labels == label).sum()),
                    "members": [{"id": texts[m][0], "text": texts[m][1]} for m in members],
                }
                for label, members in examples.items()
            ],
            "params": hasher.params() if hasher is not None else None,
        }
    )
