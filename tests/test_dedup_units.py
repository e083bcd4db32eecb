"""Dedup building blocks at their boundaries: the exact key, connected components (who is
kept), the LSH key structure and parameters. Written to kill mutants (docs/testing.md)."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from pretrain_clean.dedup.components import connected_components
from pretrain_clean.dedup.exact import exact_key, exact_text
from pretrain_clean.dedup.hashing import combine, hash64
from pretrain_clean.dedup.lsh import band_keys, candidate_probability, optimal_param
from pretrain_clean.dedup.minhash import EMPTY, Permutations, signatures


# exact document key ---------------------------------------------------------------------

@pytest.mark.parametrize("text,expected", [
    ("  The  Cat\n sat.\t", "the cat sat."),
    ("A\u0301", "\u00e1"),  # NFC: a + combining acute == á
    ("ﬁ", "ﬁ"),  # NFC, not NFKC: the ligature stays
    ("中文  文本", "中文 文本"),
    ("", ""),
])
def test_exact_text_normalizes_case_whitespace_and_nfc_only(text: str, expected: str) -> None:
    assert exact_text(text) == expected


def test_exact_key_is_the_hash_of_the_normalized_text() -> None:
    assert exact_key(" Hello\n World ") == hash64("hello world")
    assert exact_key("hello world") != exact_key("hello world!")
    assert exact_key("2023 report") != exact_key("2024 report")  # digits count


# connected components: the label is the smallest node, which is the document kept -------------

def test_components_label_every_node_with_its_smallest_member() -> None:
    labels = connected_components(8, np.array([5, 3, 6, 1]), np.array([3, 7, 2, 2]))
    assert labels.tolist() == [0, 1, 1, 3, 4, 3, 1, 3]
    assert labels.dtype == np.int64


def test_components_without_edges_are_singletons() -> None:
    assert connected_components(3, np.array([], dtype=np.int64), np.array([], dtype=np.int64)).tolist() == [0, 1, 2]
    assert connected_components(0, np.array([]), np.array([])).tolist() == []


def test_components_follow_long_chains_in_any_edge_order() -> None:
    n = 40
    edges = [(i, i + 1) for i in range(n - 1)]
    rng = np.random.default_rng(3)
    for _ in range(5):
        order = rng.permutation(len(edges))
        flip = rng.random(len(edges)) < 0.5
        u = np.array([edges[k][1] if f else edges[k][0] for k, f in zip(order, flip)])
        v = np.array([edges[k][0] if f else edges[k][1] for k, f in zip(order, flip)])
        assert connected_components(n + 1, u, v).tolist() == [0] * n + [n]


def test_components_merge_two_trees_through_their_largest_nodes() -> None:
    # {0,4} and {2,5} joined by 4-5: the later roots must hook under 0, and self-loops are harmless
    labels = connected_components(6, np.array([4, 5, 5, 3]), np.array([0, 2, 4, 3]))
    assert labels.tolist() == [0, 1, 0, 3, 0, 0]


def test_components_equal_a_reference_union_find() -> None:
    rng = np.random.default_rng(7)
    for _ in range(20):
        n = int(rng.integers(1, 60))
        m = int(rng.integers(0, 80))
        u, v = rng.integers(0, n, m), rng.integers(0, n, m)
        parent = list(range(n))

        def find(x: int) -> int:
            while parent[x] != x:
                x = parent[x]
            return x

        for a, b in zip(u, v):
            ra, rb = find(int(a)), find(int(b))
            parent[max(ra, rb)] = min(ra, rb)
        assert connected_components(n, u, v).tolist() == [find(i) for i in range(n)]


# LSH: keys mix the band index and every row of the band --------------------------------------

def test_band_key_is_the_hash_of_band_index_then_rows() -> None:
    sigs = np.array([[11, 12, 13, 14, 15, 16, 99]], dtype=np.uint32)  # the 7th value is past bands*rows
    keys = band_keys(sigs, 3, 2)
    assert keys.shape == (1, 3) and keys.dtype == np.int64
    for band in range(3):
        rows = [np.array([sigs[0, 2 * band + j]], dtype=np.uint64) for j in range(2)]
        expected = combine([np.array([band + 1], dtype=np.uint64), *rows], bits=64).view(np.int64)
        assert keys[0, band] == expected[0]


def test_equal_rows_in_different_bands_never_collide() -> None:
    """The band index is part of the key: document A's band 0 equals document B's band 1."""
    sigs = np.array([[1, 2, 7, 7], [5, 5, 1, 2]], dtype=np.uint32)
    keys = band_keys(sigs, 2, 2)
    assert keys[0, 0] != keys[1, 1]
    assert len(set(keys.ravel().tolist())) == 4


def test_every_row_of_a_band_counts() -> None:
    base = np.arange(1, 13, dtype=np.uint32).reshape(1, 12)
    keys = band_keys(base, 3, 4)
    for position in range(12):
        changed = base.copy()
        changed[0, position] += 1
        other = band_keys(changed, 3, 4)
        band = position // 4
        assert other[0, band] != keys[0, band]
        assert all(other[0, b] == keys[0, b] for b in range(3) if b != band)


def test_row_order_within_a_band_counts() -> None:
    keys = band_keys(np.array([[1, 2], [2, 1]], dtype=np.uint32), 1, 2)
    assert keys[0, 0] != keys[1, 0]


def test_keys_ignore_signature_values_past_bands_times_rows() -> None:
    a = np.array([[1, 2, 3, 4, 5]], dtype=np.uint32)
    b = np.array([[1, 2, 3, 4, 6]], dtype=np.uint32)
    assert (band_keys(a, 2, 2) == band_keys(b, 2, 2)).all()


def test_candidate_probability_is_the_s_curve() -> None:
    assert candidate_probability(0.5, 1, 1) == 0.5
    assert candidate_probability(0.5, 2, 1) == 0.75  # 1 - (1 - 0.5)^2
    assert candidate_probability(0.5, 1, 2) == 0.25  # 0.5^2
    assert candidate_probability(1.0, 9, 13) == 1.0 and candidate_probability(0.0, 9, 13) == 0.0


def test_optimal_param_weights_move_the_curve() -> None:
    assert optimal_param(0.8, 128) == (9, 13)  # text-dedup's 0.5/0.5
    assert optimal_param(0.8, 128, 0.2, 0.8) == (12, 10)  # our default weights (docs/dedup.md)
    b, r = optimal_param(0.5, 16, 0.9, 0.1)  # false positives expensive: a steep, late curve
    assert b * r <= 16 and candidate_probability(0.3, b, r) < candidate_probability(0.3, *optimal_param(0.5, 16))


def test_optimal_param_searches_every_band_row_pair_within_num_perm() -> None:
    for threshold, num_perm in itertools.product((0.3, 0.6, 0.9), (4, 7)):
        b, r = optimal_param(threshold, num_perm)
        assert 1 <= b and 1 <= r and b * r <= num_perm
    assert optimal_param(0.5, 1) == (1, 1)


# MinHash: the edges datasketch comparisons on real text never reach -----------------------

MERSENNE = (1 << 61) - 1


def legacy(a: int, b: int) -> Permutations:
    return Permutations(np.array([a], dtype=np.uint64), np.array([b], dtype=np.uint64), "legacy")


@pytest.mark.parametrize("x,b", [
    (5, MERSENNE - 5),  # a*x + b == 2^61 - 1 exactly: reduces to 0
    (5, MERSENNE - 6),  # one under
    (5, MERSENNE - 4),  # one over
    (7, 2 * MERSENNE - 7),  # 2 * (2^61 - 1)
    (3, (1 << 64) - 4),  # wraps mod 2^64 first, as datasketch's numpy code does
    (2**32 - 1, 12345),
])
def test_legacy_permutation_reduces_mod_the_mersenne_prime_exactly(x: int, b: int) -> None:
    expected = (((x + b) % (1 << 64)) % MERSENNE) & 0xFFFFFFFF
    sig = signatures(np.array([x], dtype=np.uint32), np.array([0, 1]), legacy(1, b))
    assert sig.tolist() == [[expected]]


def test_a_document_with_one_shingle_has_a_signature() -> None:
    perms = Permutations.make(4, seed=1)
    sig = signatures(np.array([7], dtype=np.uint32), np.array([0, 0, 1]), perms)
    assert (sig[0] == EMPTY).all() and not (sig[1] == EMPTY).any()
    assert sig[1].tolist() == signatures(np.array([7, 7], dtype=np.uint32), np.array([0, 2]), perms)[0].tolist()


def test_permutations_default_to_datasketchs_seed_and_scheme() -> None:
    default = Permutations.make(8)
    explicit = Permutations.make(8, seed=1, scheme="affine32")
    assert default.scheme == "affine32"
    assert default.a.tolist() == explicit.a.tolist() and default.b.tolist() == explicit.b.tolist()
    assert Permutations.make(8, seed=1, scheme="legacy").scheme == "legacy"


def test_unknown_scheme_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match=r"^minhash_scheme: unknown scheme 'murmur' \(use 'affine32' or 'legacy'\)$"):
        Permutations.make(4, scheme="murmur")
