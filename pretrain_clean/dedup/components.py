"""Connected components of the candidate-pair graph; every component is labelled by
its smallest node, which is also the document kept (the first in corpus order).

Local: vectorized union-find (hook roots onto the smaller root, then pointer jumping).
Spark: large-star / small-star with DataFrame joins (Kiveris et al. 2014, "Connected
Components in MapReduce and Beyond"), never collecting edges to the driver.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


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


def spark_connected_components(edges: "DataFrame", max_rounds: int = 64) -> "DataFrame":
    """``(node, label)`` for every node of ``edges(u, v)`` (long columns), ``label`` the
    smallest node of its component, by alternating large-star and small-star."""
    from pyspark.sql import functions as F

    current = (
        edges.select(F.greatest("u", "v").alias("u"), F.least("u", "v").alias("v"))
        .where(F.col("u") != F.col("v"))
        .distinct()
    )
    for _ in range(max_rounds):
        nxt = _small_star(_large_star(current)).localCheckpoint(eager=True)
        changed = nxt.exceptAll(current).limit(1).count() + current.exceptAll(nxt).limit(1).count()
        current = nxt
        if changed == 0:
            break
    else:
        raise RuntimeError(f"connected components did not converge in {max_rounds} rounds")
    # Converged: every edge is (node, root) with root the smallest node of its component.
    roots = current.select(F.col("v").alias("node"), F.col("v").alias("label")).distinct()
    members = current.select(F.col("u").alias("node"), F.col("v").alias("label"))
    return members.unionByName(roots).distinct()


def _neighbour_min(directed: "DataFrame") -> "DataFrame":
    from pyspark.sql import functions as F

    return directed.groupBy("u").agg(F.least(F.min("v"), F.col("u")).alias("m"))


def _large_star(edges: "DataFrame") -> "DataFrame":
    """Connect every larger neighbour of u to the smallest node of u's neighbourhood."""
    from pyspark.sql import functions as F

    both = edges.unionByName(edges.select(F.col("v").alias("u"), F.col("u").alias("v")))
    mins = _neighbour_min(both)
    return (
        both.join(mins, "u")
        .where(F.col("v") > F.col("u"))
        .select(F.col("v").alias("u"), F.col("m").alias("v"))
        .distinct()
    )


def _small_star(edges: "DataFrame") -> "DataFrame":
    """Connect u and its smaller neighbours to the smallest of them (edges have u > v)."""
    from pyspark.sql import functions as F

    mins = _neighbour_min(edges)
    joined = edges.join(mins, "u")
    to_min = joined.select(F.col("v").alias("u"), F.col("m").alias("v"))
    self_to_min = joined.select("u", F.col("m").alias("v"))
    return (
        to_min.unionByName(self_to_min)
        .where(F.col("u") != F.col("v"))
        .select(F.greatest("u", "v").alias("u"), F.least("u", "v").alias("v"))
        .distinct()
    )
