"""Dedup decisions written once for both engines, so that neither can drift from the other.

* A candidate pair found by LSH is a near-duplicate when its signature-estimated Jaccard
  reaches the threshold (text-dedup and datasketch verify the same way).
* A document that paragraph dedup shortened below ``min_chars_after`` is dropped whole.

Both engines call them: ``dedup/local.py`` (verification) and ``dedup/local_parts.py``
(rewrite) locally, ``dedup/spark.py`` on Spark.
Still written once per engine (numpy in ``local.py``, Spark SQL in ``spark.py``), and held
equal by ``tests/test_engines.py``: the first document of a cluster is kept (the smallest
node of its component, ``label != key``), and a repeated paragraph goes after its first
occurrence (``count >= paragraph_min_repeats`` and not the first rank).
"""
from __future__ import annotations

import numpy as np

from pretrain_clean.dedup.minhash import estimate_jaccard


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
