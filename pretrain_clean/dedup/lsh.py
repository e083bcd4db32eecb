"""LSH banding: bands and rows from a Jaccard threshold, and 64-bit band keys.

Two documents become candidates when all ``r`` signature rows of any of ``b`` bands
agree; at Jaccard ``s`` that happens with probability ``1 - (1 - s^r)^b`` (Leskovec,
Rajaraman & Ullman, "Mining of Massive Datasets", ch. 3).
"""
from __future__ import annotations

import functools

import numpy as np

from pretrain_clean.dedup.hashing import combine

_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(64)


def _integrate(fn, lo: float, hi: float) -> np.ndarray:
    """Gauss-Legendre quadrature of a vectorized ``fn(s)`` over ``[lo, hi]``."""
    s = (hi - lo) / 2 * _NODES + (hi + lo) / 2
    return (hi - lo) / 2 * (fn(s[:, None]) * _WEIGHTS[:, None]).sum(axis=0)


@functools.lru_cache(maxsize=64)
def optimal_param(
    threshold: float,
    num_perm: int,
    false_positive_weight: float = 0.5,
    false_negative_weight: float = 0.5,
) -> tuple[int, int]:
    """Bands and rows minimizing the weighted false positive and negative areas under the
    S-curve, the rule of text-dedup's ``optimal_param`` (same search order and tie-break).

    >>> optimal_param(0.8, 128)
    (9, 13)
    >>> optimal_param(0.7, 256)
    (25, 10)
    """
    candidates = [(b, r) for b in range(1, num_perm + 1) for r in range(1, num_perm // b + 1)]
    b = np.array([c[0] for c in candidates], dtype=float)
    r = np.array([c[1] for c in candidates], dtype=float)
    fp = _integrate(lambda s: 1 - (1 - s**r) ** b, 0.0, threshold)
    fn = _integrate(lambda s: 1 - (1 - (1 - s**r) ** b), threshold, 1.0)
    error = fp * false_positive_weight + fn * false_negative_weight
    return candidates[int(np.argmin(error))]


def candidate_probability(similarity: float, bands: int, rows: int) -> float:
    """Probability that two documents of this Jaccard share at least one band.

    >>> round(candidate_probability(0.9, 9, 13), 3), round(candidate_probability(0.9, 12, 10), 3)
    (0.929, 0.994)
    """
    return 1 - (1 - similarity**rows) ** bands


def band_keys(sigs: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """``(n_docs, bands)`` signed 64-bit keys; equal keys mean an equal band (the band
    index is mixed in, so keys of different bands never meet).

    >>> s = np.array([[1, 2, 3, 4], [1, 2, 9, 9]], dtype=np.uint32)
    >>> k = band_keys(s, 2, 2)
    >>> bool(k[0, 0] == k[1, 0]), bool(k[0, 1] == k[1, 1]), k.dtype.name
    (True, False, 'int64')
    """
    n = sigs.shape[0]
    x = sigs[:, : bands * rows].reshape(n, bands, rows).astype(np.uint64)
    band_ids = np.broadcast_to(np.arange(1, bands + 1, dtype=np.uint64)[None, :], (n, bands))
    parts = [band_ids] + [x[:, :, j] for j in range(rows)]
    return combine(parts, bits=64).view(np.int64)
