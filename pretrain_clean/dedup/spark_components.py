"""Connected components on Spark: the labels of :func:`pretrain_clean.dedup.components.connected_components`
(every node labelled by the smallest node of its component) by large-star / small-star with
DataFrame joins (Kiveris et al. 2014, "Connected Components in MapReduce and Beyond"), never
collecting edges to the driver. Spark engine code: one of the two dedup modules that import pyspark.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


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
