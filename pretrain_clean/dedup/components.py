"""Connected components of the candidate-pair graph; every component is labelled by
its smallest node, which is also the document kept (the first in corpus order).

Vectorized union-find (hook roots onto the smaller root, then pointer jumping). The Spark
engine computes the same labels in :mod:`pretrain_clean.dedup.spark_components`.
"""
from __future__ import annotations

import numpy as np


def connected_components(n: int, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Label of every node ``0..n-1``: the smallest node of its component.

    >>> connected_components(6, np.array([1, 4, 2]), np.array([2, 5, 3])).tolist()
    [0, 1, 1, 1, 4, 4]
    """
    labels = np.arange(n, dtype=np.int64)
    u = np.asarray(u, dtype=np.int64)
    v = np.asarray(v, dtype=np.int64)
    while True:
        ru, rv = labels[u], labels[v]
        differ = ru != rv
        if not differ.any():
            return labels
        lo = np.minimum(ru, rv)[differ]
        hi = np.maximum(ru, rv)[differ]
        np.minimum.at(labels, hi, lo)  # hook each larger root under the smaller one
        while True:  # pointer jumping until every node points at its root
            jumped = labels[labels]
            if np.array_equal(jumped, labels):
                break
            labels = jumped
        u, v = u[differ], v[differ]
