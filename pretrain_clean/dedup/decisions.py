"""Dedup decisions written once for both engines, so that neither can drift from the other.

* A candidate pair found by LSH is a near-duplicate when its signature-estimated Jaccard
  reaches the threshold (text-dedup and datasketch verify the same way).
* A document that paragraph dedup shortened below ``min_chars_after`` is dropped whole.

* In a group of documents with one exact key, every document but the first goes.
* In a near-duplicate cluster (labelled by its smallest node) every node but the label goes.
* A unit (paragraph, sentence) seen at least ``paragraph_min_repeats`` times goes everywhere
  after its first occurrence.

Both engines call them: ``dedup/local.py`` (verification, the per-group decisions) and
``dedup/local_parts.py`` (rewrite) locally, ``dedup/spark.py`` on Spark. The per-group
decisions are plain comparisons, so one function serves numpy arrays (local) and Spark
``Column`` expressions (built on the driver, evaluated by Spark SQL at Spark's speed);
engines only group (local: sorted spill buckets; Spark: ``groupBy`` / windows) and find the
first of a group. ``tests/test_dedup_boundaries.py`` flips each decision and sees both
engines change.
"""
from __future__ import annotations

from typing import Any, TypeVar

import numpy as np

from pretrain_clean.dedup.minhash import estimate_jaccard

V = TypeVar("V", bound=Any)
"""A numpy array or a Spark ``Column``: anything with elementwise comparisons."""


def verified_pairs(sig_u: np.ndarray, sig_v: np.ndarray, threshold: float) -> np.ndarray:
    """Which candidate pairs (rows of two signature matrices) are near-duplicates.

    >>> verified_pairs(np.array([[1, 2, 3, 4], [1, 2, 3, 4]]), np.array([[1, 2, 3, 0], [1, 2, 0, 0]]), 0.75).tolist()
    [True, False]
    """
    return estimate_jaccard(sig_u, sig_v) >= threshold


def too_short(text: str, min_chars: int) -> bool:
    """A shortened document under ``min_chars`` characters is dropped (exactly at it is kept).

    >>> too_short("abc", 4), too_short("abcd", 4)
    (True, False)
    """
    return len(text) < min_chars


def exact_duplicate(doc: V, first: V) -> V:
    """A document whose exact key an earlier document has (``first``: the smallest document
    number of its exact-key group) is a duplicate; the first itself is kept.

    >>> exact_duplicate(np.array([3, 5, 7]), np.array([3, 3, 7])).tolist()
    [False, True, False]
    """
    return doc != first


def near_duplicate(node: V, label: V) -> V:
    """A node of a near-duplicate cluster goes unless it is the cluster's label (its smallest
    node, the first document in (file, row) order).

    >>> near_duplicate(np.array([2, 4, 9]), np.array([2, 2, 9])).tolist()
    [False, True, False]
    """
    return node != label


def unit_removed(count: V, rank: V, min_repeats: int) -> V:
    """A unit goes when its hash occurs ``min_repeats`` times or more and this occurrence is
    not the first (``rank`` counts from 1 in (document, unit) order).

    >>> unit_removed(np.array([3, 3, 3, 2, 2]), np.array([1, 2, 3, 1, 2]), 3).tolist()
    [False, True, True, False, False]
    """
    return (count >= min_repeats) & (rank > 1)
