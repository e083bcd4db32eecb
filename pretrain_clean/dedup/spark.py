"""Spark dedup engine: the local engine's decisions with a few DataFrame operations.

Documents are keyed ``key = file_index << 40 | row_index``, the same (file, row) order the
local engine numbers them in, so both engines keep the same documents. Text never enters
the JVM: one pass of Python tasks reads every input part (through :mod:`pipeline.storage`,
so ``s3://`` works without Hadoop connectors) and emits per-document features only (exact
key, LSH band keys, signature, paragraph hashes); decisions are made with grouped keys and
joins; one last pass of Python tasks rereads each part and writes its kept and rejected
files with the local engine's own writer (:func:`dedup.local_parts.apply_decisions`), so
the two engines' outputs are the same code. Candidate edges found by LSH are few (about the
near-duplicates' number): up to :data:`DRIVER_EDGES` of them are joined into components on
the driver (:func:`dedup.components.connected_components`); more go through the
large-star/small-star joins of :mod:`dedup.spark_components`. Only those edges, counts, a
histogram and a few example rows reach the driver.
"""
from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Iterator

import numpy as np
import pyarrow as pa

from pretrain_clean.dedup import decisions
from pretrain_clean.dedup.components import connected_components
from pretrain_clean.dedup.config import DedupConfig
from pretrain_clean.dedup.decisions import verified_pairs
from pretrain_clean.dedup.features import NearDupHasher
from pretrain_clean.dedup.report import (
    EXAMPLE_CLUSTERS,
    EXAMPLE_MEMBERS,
    STATUS_EXACT,
    STATUS_KEPT,
    STATUS_NEAR,
    DedupResult,
    output_names,
    size_histogram,
    write_report,
)
from pretrain_clean.dedup.spark_components import spark_connected_components
from pretrain_clean.dedup.spark_io import ROW_BITS, read_features, write_parts
from pretrain_clean.pipeline import storage
from pretrain_clean.pipeline.spark_engine import set_shuffle_partitions

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

DRIVER_EDGES = 5_000_000
"""Verified candidate edges (16 bytes each) collected to the driver for connected
components; above this the components are computed with DataFrame joins instead."""


def run_dedup_spark(
    spark: "SparkSession",
    cfg: DedupConfig,
    input_files: list[str],
    kept_dir: str,
    rejected_dir: str,
    work_dir: str,
    driver_edges: int = DRIVER_EDGES,
) -> DedupResult:
    """Spark twin of :func:`dedup.local.run_dedup_local` (same outputs, same report)."""
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    names = output_names(input_files)
    result = DedupResult()
    hasher = NearDupHasher.from_config(cfg) if cfg.minhash else None
    t0 = time.perf_counter()
    set_shuffle_partitions(spark, sum(storage.size(p) for p in input_files))
    feats = read_features(spark, cfg, hasher, input_files).persist(StorageLevel.MEMORY_AND_DISK)
    totals = feats.agg(F.count("*"), F.sum("nbytes")).first()
    result.documents_in, result.bytes_in = int(totals[0]), int(totals[1] or 0)
    status = feats.select("key", F.lit(STATUS_KEPT).alias("status"), F.lit(None).cast("long").alias("dup_of"))
    result.seconds["read_and_hash"] = time.perf_counter() - t0

    if cfg.exact:
        t0 = time.perf_counter()
        firsts = feats.groupBy("ekey").agg(F.min("key").alias("first"))
        dup = decisions.exact_duplicate(F.col("key"), F.col("first"))
        status = (
            feats.select("key", "ekey").join(firsts, "ekey")
            .select("key", F.when(dup, STATUS_EXACT).otherwise(STATUS_KEPT).alias("status"),
                    F.when(dup, F.col("first")).alias("dup_of"))
            .localCheckpoint(eager=True)
        )
        result.seconds["exact"] = time.perf_counter() - t0

    clusters = None
    if hasher is not None:
        t0 = time.perf_counter()
        status, clusters = _near(spark, cfg, feats, status, driver_edges)
        result.seconds["minhash"] = time.perf_counter() - t0

    removals = None
    if cfg.paragraph or cfg.sentence:
        t0 = time.perf_counter()
        removals = _paragraph_removals(cfg, feats, status)
        result.seconds["paragraph"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    examples = _example_members(clusters)
    per_document = _decisions(feats, status, clusters, removals)
    written = write_parts(per_document, cfg, input_files, names, kept_dir, rejected_dir,
                          frozenset(m for _, ms in examples.values() for m in ms))
    texts: dict[int, tuple[str, str]] = {}
    removed: dict[str, int] = {}
    for out in written:
        result.kept += out.kept
        result.bytes_kept += out.bytes_kept
        result.units_removed += out.units_removed
        texts.update(out.example_texts)
        for key, count in out.removed.items():
            removed[key] = removed.get(key, 0) + count
    result.removed = dict(sorted(removed.items()))
    result.seconds["write"] = time.perf_counter() - t0
    _report(result, clusters, hasher, examples, texts)
    feats.unpersist()
    write_report(result, work_dir)
    return result


def _alive(feats: "DataFrame", status: "DataFrame", *columns: str) -> "DataFrame":
    from pyspark.sql import functions as F

    return feats.join(status.where(F.col("status") == STATUS_KEPT).select("key"), "key").select("key", *columns)


def _near(
    spark: "SparkSession", cfg: DedupConfig, feats: "DataFrame", status: "DataFrame", driver_edges: int
) -> tuple["DataFrame", "DataFrame"]:
    """Band-key groups -> star edges -> verified -> components -> updated status."""
    from pyspark.sql import functions as F

    bands = _alive(feats, status, "bkeys").select("key", F.explode("bkeys").alias("bkey"))
    firsts = bands.groupBy("bkey").agg(F.min("key").alias("first"), F.count("*").alias("n")).where("n > 1")
    edges = (
        bands.join(firsts.select("bkey", "first"), "bkey")
        .where(F.col("key") != F.col("first"))
        .select(F.col("first").alias("u"), F.col("key").alias("v"))
        .distinct()
    )
    if cfg.minhash_verify:
        threshold = cfg.minhash_threshold
        num_perm = cfg.num_perm

        def verify(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
            for batch in batches:
                a = np.frombuffer(b"".join(batch.column("su").to_pylist()), dtype=np.uint32).reshape(-1, num_perm)
                b = np.frombuffer(b"".join(batch.column("sv").to_pylist()), dtype=np.uint32).reshape(-1, num_perm)
                keep = pa.array(verified_pairs(a, b, threshold))
                yield pa.RecordBatch.from_arrays([batch.column("u").filter(keep), batch.column("v").filter(keep)],
                                                 names=["u", "v"])

        sigs = feats.select("key", "sig")
        edges = (
            edges.join(sigs.select(F.col("key").alias("u"), F.col("sig").alias("su")), "u")
            .join(sigs.select(F.col("key").alias("v"), F.col("sig").alias("sv")), "v")
            .select("u", "v", "su", "sv")
            .mapInArrow(verify, "u long, v long")
        )
    edges = edges.localCheckpoint(eager=True)
    small = edges.count() <= driver_edges
    if small:
        components = _driver_components(spark, edges.toArrow())
    else:
        components = spark_connected_components(edges).localCheckpoint(eager=True)
    near = F.col("label").isNotNull() & decisions.near_duplicate(F.col("key"), F.col("label"))
    labels = components.withColumnRenamed("node", "key")
    status = (
        status.join(F.broadcast(labels) if small else labels, "key", "left")
        .select("key", F.when(near, STATUS_NEAR).otherwise(F.col("status")).alias("status"),
                F.when(near, F.col("label")).otherwise(F.col("dup_of")).alias("dup_of"))
        .localCheckpoint(eager=True)
    )
    return status, components


def _driver_components(spark: "SparkSession", edges: pa.Table) -> "DataFrame":
    """``(node, label)`` of every node of ``edges``, by the local engine's union-find over
    compact node numbers (sorted, so the smallest number is the smallest key)."""
    u = edges.column("u").to_numpy().astype(np.int64)
    v = edges.column("v").to_numpy().astype(np.int64)
    nodes, index = np.unique(np.concatenate([u, v]), return_inverse=True)
    labels = nodes[connected_components(len(nodes), index[: len(u)], index[len(u):])]
    table = pa.table({"node": pa.array(nodes, pa.int64()), "label": pa.array(labels, pa.int64())})
    return spark.createDataFrame(table)


def _paragraph_removals(cfg: DedupConfig, feats: "DataFrame", status: "DataFrame") -> "DataFrame":
    """``(key, units)``: unit numbers to remove from each surviving document."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    exploded = _alive(feats, status, "units").select("key", F.explode("units").alias("u")).select("key", "u.unit", "u.h")
    ranked = exploded.select(
        "key",
        "unit",
        F.row_number().over(Window.partitionBy("h").orderBy("key", "unit")).alias("rank"),
        F.count("*").over(Window.partitionBy("h")).alias("n"),
    )
    return (
        ranked.where(decisions.unit_removed(F.col("n"), F.col("rank"), cfg.paragraph_min_repeats))
        .groupBy("key")
        .agg(F.collect_list("unit").alias("units"))
        .localCheckpoint(eager=True)
    )


def _decisions(
    feats: "DataFrame", status: "DataFrame", clusters: "DataFrame | None", removals: "DataFrame | None"
) -> "DataFrame":
    """One row per document: its status, the ids it points to, the units it loses."""
    from pyspark.sql import functions as F

    df = status
    if clusters is not None:
        df = df.join(clusters.select(F.col("node").alias("key"), "label"), "key", "left")
    else:
        df = df.withColumn("label", F.lit(None).cast("long"))
    if removals is not None:
        df = df.join(removals, "key", "left")
    else:
        df = df.withColumn("units", F.lit(None).cast("array<int>"))
    # the ids that meta points to: only representatives, a small share of the corpus
    wanted = df.select(F.col("dup_of").alias("key")).unionByName(df.select(F.col("label").alias("key")))
    ids = feats.select("key", "id").join(wanted.where(F.col("key").isNotNull()).distinct(), "key")
    df = df.join(ids.select(F.col("key").alias("dup_of"), F.col("id").alias("dup_of_id")), "dup_of", "left")
    df = df.join(ids.select(F.col("key").alias("label"), F.col("id").alias("cluster_id")), "label", "left")
    return df.select(
        F.shiftright("key", ROW_BITS).alias("file_idx"), "key", "status", "dup_of", "dup_of_id", "label",
        "cluster_id", "units",
    )


def _example_members(clusters: "DataFrame | None") -> dict[int, tuple[int, list[int]]]:
    """The largest few clusters (ties: smallest label): label -> (size, first members by key)."""
    from pyspark.sql import functions as F

    if clusters is None:
        return {}
    sizes = clusters.groupBy("label").agg(F.count("*").alias("size"))
    top = sizes.orderBy(F.desc("size"), F.asc("label")).limit(EXAMPLE_CLUSTERS).collect()
    out: dict[int, tuple[int, list[int]]] = {r["label"]: (r["size"], []) for r in top}
    for row in clusters.where(F.col("label").isin(list(out))).orderBy("node").select("node", "label").collect():
        members = out[row["label"]][1]
        if len(members) < EXAMPLE_MEMBERS:
            members.append(row["node"])
    return out


def _report(
    result: DedupResult, clusters: "DataFrame | None", hasher: NearDupHasher | None,
    examples: dict[int, tuple[int, list[int]]], texts: dict[int, tuple[str, str]],
) -> None:
    from pyspark.sql import functions as F

    report: dict[str, Any] = {"duplicates_per_level": dict(result.removed), "clusters": 0, "cluster_sizes": {}}
    if clusters is not None:
        hist = clusters.groupBy("label").agg(F.count("*").alias("size")).groupBy("size").count().collect()
        sizes = {r["size"]: r["count"] for r in hist}
        size_arr = np.repeat(list(sizes), list(sizes.values())).astype(np.int64)
        report["clusters"] = int(len(size_arr))
        report["cluster_sizes"] = size_histogram(size_arr)
    report["example_clusters"] = [
        {"kept": texts[label][0], "size": int(size), "members": [{"id": texts[m][0], "text": texts[m][1]} for m in members]}
        for label, (size, members) in examples.items()
    ]
    report["params"] = hasher.params() if hasher is not None else None
    result.report.update(report)

