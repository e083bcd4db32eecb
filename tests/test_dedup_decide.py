"""``dedup/decide.py`` called directly on record arrays, in this process (no worker forks, so
mutation testing's kills here are real; docs/testing.md): exact groups, star edges of band
buckets with and without signature verification, repeated units, example clusters, the
documents referenced, and the report. Every expected value is written out by hand."""
from __future__ import annotations

import numpy as np
import pytest

from pretrain_clean.dedup import decide
from pretrain_clean.dedup.decide import State
from pretrain_clean.dedup.local_parts import KEY_DOC, KEY_DOC_UNIT
from pretrain_clean.dedup.report import STATUS_EXACT, STATUS_KEPT, STATUS_NEAR, DedupResult

K, E, N = STATUS_KEPT, STATUS_EXACT, STATUS_NEAR


def recs(pairs: list[tuple[int, ...]], dtype: np.dtype = KEY_DOC) -> np.ndarray:
    return np.array(pairs, dtype=dtype)


def test_state_starts_with_every_document_kept_alone() -> None:
    state = State(4)
    assert state.status.tolist() == [K] * 4 and state.status.dtype == np.int8
    assert state.duplicate_of.tolist() == [-1] * 4 and state.duplicate_of.dtype == np.int64
    assert state.cluster.tolist() == [0, 1, 2, 3] and state.cluster.dtype == np.int64
    assert state.in_cluster.tolist() == [False] * 4


def test_sorted_groups_sorts_by_every_field_in_order() -> None:
    records = recs([(9, 1, 2), (3, 4, 0), (9, 0, 5), (3, 4, -1), (9, 0, 1)], KEY_DOC_UNIT)
    out, starts = decide.sorted_groups(records, "key", "doc", "unit")
    assert out.tolist() == [(3, 4, -1), (3, 4, 0), (9, 0, 1), (9, 0, 5), (9, 1, 2)]
    assert starts.tolist() == [0, 2, 5]
    by_doc, _ = decide.sorted_groups(records, "doc", "key", "unit")  # the first field leads
    assert by_doc["doc"].tolist() == [0, 0, 1, 4, 4]


def test_exact_keeps_the_first_document_of_each_key_in_every_bucket() -> None:
    state = State(8)
    buckets = [recs([(7, 4), (3, 5), (7, 1), (9, 2), (7, 6)]), recs([]), recs([(3, 0), (11, 7), (3, 3)])]
    decide.exact(buckets, state)
    assert state.status.tolist() == [K, K, K, E, E, K, E, K]
    assert state.duplicate_of.tolist() == [-1, -1, -1, 0, 1, -1, 1, -1]


def test_exact_keys_that_are_equal_only_across_buckets_are_not_grouped() -> None:
    """Buckets partition the keys: each is decided alone (key 3 here is two different keys'
    residue in a real run, never split across buckets)."""
    state = State(3)
    decide.exact([recs([(3, 2)]), recs([(3, 1)])], state)
    assert state.status.tolist() == [K, K, K]


def test_near_without_verification_joins_the_star_edges_of_each_band_bucket() -> None:
    state = State(10)
    state.status[6] = E  # an exact duplicate takes no part in near dedup
    state.duplicate_of[6] = 0
    buckets = [recs([(50, 8), (50, 5), (50, 6), (60, 1), (60, 1)]),  # 5-8 (6 is gone); 1 alone twice
               recs([(70, 2), (70, 5), (80, 9)])]  # 2-5: joins 2, 5, 8
    decide.near(buckets, None, 0.8, state)
    assert state.status.tolist() == [K, K, K, K, K, N, E, K, N, K]
    assert state.duplicate_of.tolist() == [-1, -1, -1, -1, -1, 2, 0, -1, 2, -1]
    assert state.cluster.tolist() == [0, 1, 2, 3, 4, 2, 6, 7, 2, 9]
    assert state.in_cluster.tolist() == [False, False, True, False, False, True, False, False, True, False]


def test_near_with_no_candidate_pairs_changes_nothing() -> None:
    state = State(3)
    decide.near([recs([(1, 0), (2, 1)]), recs([])], None, 0.5, state)
    assert state.status.tolist() == [K, K, K] and state.cluster.tolist() == [0, 1, 2]
    assert not state.in_cluster.any()


SIGS = np.array([
    [1, 2, 3, 4],  # 0
    [1, 2, 3, 9],  # 1: 3/4 with 0
    [1, 2, 8, 9],  # 2: 2/4 with 0
    [7, 7, 7, 7],  # 3
    [7, 7, 7, 6],  # 4: 3/4 with 3
], dtype=np.uint32)


class Fetcher:
    """Signature rows by document number; remembers what each call asked for."""

    def __init__(self) -> None:
        self.calls: list[list[int]] = []

    def __call__(self, rows: np.ndarray) -> np.ndarray:
        self.calls.append(rows.tolist())
        return SIGS[rows]


@pytest.mark.parametrize("chunk", [1, 2, 16384])
def test_near_keeps_only_pairs_verified_at_or_over_the_threshold(monkeypatch: pytest.MonkeyPatch,
                                                                 chunk: int) -> None:
    monkeypatch.setattr(decide, "VERIFY_CHUNK", chunk)
    state = State(5)
    fetch = Fetcher()
    decide.near([recs([(1, 0), (1, 1), (1, 2)]), recs([(2, 4), (2, 3)])], fetch, 0.75, state)
    assert state.status.tolist() == [K, N, K, K, N]  # 0-1 and 3-4 at 0.75 exactly; 0-2 at 0.5 goes
    assert state.cluster.tolist() == [0, 0, 2, 3, 3]
    assert state.in_cluster.tolist() == [True, True, False, True, True]
    pairs = [(0, 1), (0, 2), (3, 4)]  # in (u, v) order, chunk by chunk
    expected = [sorted({d for p in pairs[lo:lo + chunk] for d in p}) for lo in range(0, len(pairs), chunk)]
    assert fetch.calls == expected  # sorted, distinct, only the chunk's rows


def test_near_verification_just_over_the_threshold_drops_the_pair() -> None:
    state = State(2)
    decide.near([recs([(1, 0), (1, 1)])], lambda rows: SIGS[rows], 0.76, state)
    assert state.status.tolist() == [K, K] and not state.in_cluster.any()


def test_near_star_edges_do_not_compare_the_other_members_with_each_other() -> None:
    """Bucket [2, 3, 4]: edges 2-3 and 2-4 only; 3-4 would pass verification but is no edge."""
    state = State(5)
    decide.near([recs([(5, 4), (5, 2), (5, 3)])], lambda rows: SIGS[rows], 0.75, state)
    assert state.status.tolist() == [K, K, K, K, K] and not state.in_cluster.any()


def test_removed_units_go_after_their_first_occurrence_when_repeated_enough() -> None:
    state = State(6)
    state.status[3] = N  # a removed document's units count for nothing
    bucket = recs([(7, 4, 0), (7, 1, 2), (7, 3, 0), (7, 1, 0),  # 7: in docs 1 (twice), 4; doc 3 is gone
                   (8, 5, 1), (8, 0, 1),  # 8: twice
                   (9, 2, 0)], KEY_DOC_UNIT)
    removed = list(decide.removed_units([bucket, recs([], KEY_DOC_UNIT)], state, 3))
    assert [r.tolist() for r in removed] == [[(7, 1, 2), (7, 4, 0)], []]
    at_two = list(decide.removed_units([bucket], state, 2))[0]
    assert at_two.tolist() == [(7, 1, 2), (7, 4, 0), (8, 5, 1)]


def clustered(labels: list[int]) -> State:
    """A state whose documents are in the clusters ``labels`` (-1: in none)."""
    state = State(len(labels))
    for doc, label in enumerate(labels):
        if label >= 0:
            state.cluster[doc], state.in_cluster[doc] = label, True
    return state


def test_example_members_are_the_largest_clusters_first_members() -> None:
    labels = [0, 0, -1, 3, 0, 3, 6, 6, 8, 8, 0, 0, 0, 0, 14, 14, 14]
    out = decide.example_members(clustered(labels))
    assert out == {0: [0, 1, 4, 10, 11], 14: [14, 15, 16], 3: [3, 5]}  # sizes 7, 3, then 2 (smallest label)
    assert list(out) == [0, 14, 3]
    assert decide.example_members(clustered([-1, -1])) == {}
    assert decide.example_members(clustered([1, 1])) == {1: [0, 1]}


def test_referenced_are_exact_originals_and_cluster_labels() -> None:
    state = clustered([-1, -1, 2, -1, 2, -1])
    state.status[[1, 3]] = E
    state.duplicate_of[[1, 3]] = [0, 0]
    state.duplicate_of[5] = 4  # not an exact duplicate: not read
    assert decide.referenced(state).tolist() == [0, 2]
    assert decide.referenced(State(3)).tolist() == []


class Hasher:
    def params(self) -> dict[str, int]:
        return {"bands": 2, "rows": 3}


def test_finish_report_counts_clusters_and_names_example_members() -> None:
    state = clustered([0, 0, 0, -1, 4, 4])
    result = DedupResult(removed={"dedup_minhash.near_duplicate": 3})
    examples = decide.example_members(state)
    texts = {0: ("a", "text a"), 1: ("b", "text b"), 2: ("c", "text c"), 4: ("e", "text e"), 5: ("f", "text f")}
    result.report["kept_before"] = True
    decide.finish_report(result, state, Hasher(), examples, texts)
    assert result.report == {
        "kept_before": True,
        "duplicates_per_level": {"dedup_minhash.near_duplicate": 3},
        "clusters": 2,
        "cluster_sizes": {"2": 1, "3": 1},
        "example_clusters": [
            {"kept": "a", "size": 3, "members": [{"id": "a", "text": "text a"}, {"id": "b", "text": "text b"},
                                                {"id": "c", "text": "text c"}]},
            {"kept": "e", "size": 2, "members": [{"id": "e", "text": "text e"}, {"id": "f", "text": "text f"}]},
        ],
        "params": {"bands": 2, "rows": 3},
    }
    assert result.report["duplicates_per_level"] is not result.removed  # a copy


def test_finish_report_without_clusters_or_hasher() -> None:
    result = DedupResult()
    decide.finish_report(result, State(2), None, {}, {})
    assert result.report == {"duplicates_per_level": {}, "clusters": 0, "cluster_sizes": {},
                             "example_clusters": [], "params": None}
