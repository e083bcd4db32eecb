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
histogram and a few example rows reach the driver. Inputs whose features fit
``[dedup] spark_driver_bytes`` skip all this: :mod:`dedup.spark_driver` decides them on the
driver with the local engine's code, in two Spark jobs instead of a dozen.
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
from pretrain_clean.dedup.spark_driver import Phases, feature_bytes, run_on_driver
from pretrain_clean.dedup.local_parts import add_written
from pretrain_clean.dedup.spark_io import ROW_BITS, read_features, write_parts
from pretrain_clean.pipeline import storage
from pretrain_clean.pipeline.spark_engine import set_shuffle_partitions, small_input_settings
from pretrain_clean.pipeline.spark_start import spark_session

if TYPE_CHECKING:
    from pyspark import SparkContext
    from pyspark.sql import DataFrame, SparkSession

DRIVER_EDGES = 5_000_000
"""Verified candidate edges (16 bytes each) collected to the driver for connected
components; above this the components are computed with DataFrame joins instead."""


class _Silent:
    def start(self, phase: str) -> None:
        pass

    def end(self, note: str = "") -> None:
        pass


def run_dedup_spark(
    context: "SparkContext",
    cfg: DedupConfig,
    input_files: list[str],
    kept_dir: str,
    rejected_dir: str,
    work_dir: str,
    driver_edges: int = DRIVER_EDGES,
    progress: Phases | None = None,
) -> DedupResult:
    """Spark twin of :func:`dedup.local.run_dedup_local` (same outputs, same report);
    ``progress`` hears each phase start and end. Inputs whose features fit
    ``cfg.spark_driver_bytes`` are decided on the driver (:mod:`dedup.spark_driver`)."""
    names = output_names(input_files)
    if feature_bytes(cfg, input_files) <= cfg.spark_driver_bytes:
        result = run_on_driver(context, cfg, input_files, names, kept_dir, rejected_dir, progress or _Silent())
        write_report(result, work_dir)
        return result
    spark = spark_session()  # on ``context``, the active one
    input_bytes = sum(storage.size(p) for p in input_files)
    set_shuffle_partitions(spark, input_bytes)
    with small_input_settings(spark, input_bytes):
        return _run(spark, cfg, input_files, names, kept_dir, rejected_dir, work_dir, driver_edges, progress or _Silent())


def _run(spark: "SparkSession", cfg: DedupConfig, input_files: list[str], names: list[tuple[str, str]],
         kept_dir: str, rejected_dir: str, work_dir: str, driver_edges: int, progress: Phases) -> DedupResult:
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    result = DedupResult()
    hasher = NearDupHasher.from_config(cfg) if cfg.minhash else None
    rows = [storage.parquet_file(path).metadata.num_rows for path in input_files]
    progress.start(f"read and hash ({sum(rows):,} documents)")
    t0 = time.perf_counter()
    feats = read_features(spark, cfg, hasher, input_files).persist(StorageLevel.MEMORY_AND_DISK)
    # materialized by the first step's job (features are the same in every step): no count of its own
    status = feats.select("key", "nbytes", F.lit(STATUS_KEPT).alias("status"), F.lit(None).cast("long").alias("dup_of"))
    if cfg.exact:
        firsts = feats.groupBy("ekey").agg(F.min("key").alias("first"))
        dup = decisions.exact_duplicate(F.col("key"), F.col("first"))
        status = (
            feats.select("key", "nbytes", "ekey").join(firsts, "ekey")
            .select("key", "nbytes", F.when(dup, STATUS_EXACT).otherwise(STATUS_KEPT).alias("status"),
                    F.when(dup, F.col("first")).alias("dup_of"))
        )
    status = status.localCheckpoint(eager=True)
    result.seconds["read_and_hash"] = time.perf_counter() - t0  # with exact's grouping, one Spark job
    progress.end()

    clusters = None
    examples: dict[int, tuple[int, list[int]]] = {}
    sizes = None
    if hasher is not None:
        progress.start("minhash")
        t0 = time.perf_counter()
        status, clusters, on_driver = _near(spark, cfg, feats, status, driver_edges)
        if on_driver is not None:
            examples, sizes = _driver_examples(*on_driver)
        result.seconds["minhash"] = time.perf_counter() - t0
        progress.end()

    removals = None
    if cfg.paragraph or cfg.sentence:
        progress.start("paragraph")
        t0 = time.perf_counter()
        removals = _paragraph_removals(cfg, feats, status)
        result.seconds["paragraph"] = time.perf_counter() - t0
        progress.end()

    progress.start("write")
    t0 = time.perf_counter()
    if clusters is not None and sizes is None:
        examples = _example_members(clusters)
    per_document = _decisions(feats, status, clusters, removals, small_clusters=sizes is not None)
    written, bytes_in = write_parts(per_document, cfg, input_files, names, kept_dir, rejected_dir,
                                    frozenset(m for _, ms in examples.values() for m in ms))
    result.documents_in, result.bytes_in = sum(rows), bytes_in  # write_parts checked every part's rows
    texts, _ = add_written(result, written)
    result.seconds["write"] = time.perf_counter() - t0
    progress.end(f"kept {result.kept:,} of {result.documents_in:,}")
    if clusters is not None and sizes is None:
        sizes = _cluster_sizes(clusters)
    _report(result, sizes, hasher, examples, texts)
    feats.unpersist()
    write_report(result, work_dir)
    return result


def _alive(feats: "DataFrame", status: "DataFrame", *columns: str) -> "DataFrame":
    from pyspark.sql import functions as F

    return feats.join(status.where(F.col("status") == STATUS_KEPT).select("key"), "key").select("key", *columns)


def _near(
    spark: "SparkSession", cfg: DedupConfig, feats: "DataFrame", status: "DataFrame", driver_edges: int
) -> tuple["DataFrame", "DataFrame", tuple[np.ndarray, np.ndarray] | None]:
    """Band-key groups -> star edges -> verified -> components -> updated status; also
    ``(nodes, labels)`` when the components were computed on the driver."""
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
    first = edges.limit(driver_edges + 1).toArrow()  # one job, whatever the answer
    on_driver = _driver_labels(first) if first.num_rows <= driver_edges else None
    small = on_driver is not None
    if small:
        components = spark.createDataFrame(pa.table({"node": on_driver[0], "label": on_driver[1]}))
    else:
        components = spark_connected_components(edges).localCheckpoint(eager=True)
    near = F.col("label").isNotNull() & decisions.near_duplicate(F.col("key"), F.col("label"))
    labels = components.withColumnRenamed("node", "key")
    status = (
        status.join(F.broadcast(labels) if small else labels, "key", "left")
        .select("key", "nbytes", F.when(near, STATUS_NEAR).otherwise(F.col("status")).alias("status"),
                F.when(near, F.col("label")).otherwise(F.col("dup_of")).alias("dup_of"))
        .localCheckpoint(eager=True)
    )
    return status, components, on_driver


def _driver_labels(edges: pa.Table) -> tuple[np.ndarray, np.ndarray]:
    """``(nodes, labels)``: every node of ``edges`` (sorted) and its component's smallest
    node, by the local engine's union-find over compact node numbers."""
    u = edges.column("u").to_numpy().astype(np.int64)
    v = edges.column("v").to_numpy().astype(np.int64)
    nodes, index = np.unique(np.concatenate([u, v]), return_inverse=True)
    return nodes, nodes[connected_components(len(nodes), index[: len(u)], index[len(u):])]


def _driver_examples(nodes: np.ndarray, labels: np.ndarray) -> tuple[dict[int, tuple[int, list[int]]], np.ndarray]:
    """:func:`_example_members` and :func:`_cluster_sizes` from the driver's arrays (no job).

    >>> _driver_examples(np.array([1, 2, 3, 5, 7]), np.array([1, 1, 3, 3, 3]))
    ({3: (3, [3, 5, 7]), 1: (2, [1, 2])}, array([2, 3]))
    """
    values, counts = np.unique(labels, return_counts=True)
    order = np.argsort(-counts, kind="stable")[:EXAMPLE_CLUSTERS]  # ties: smallest label
    out = {int(values[i]): (int(counts[i]), []) for i in order}
    chosen = np.isin(labels, values[order])
    for node, label in zip(nodes[chosen].tolist(), labels[chosen].tolist()):  # nodes are sorted
        members = out[label][1]
        if len(members) < EXAMPLE_MEMBERS:
            members.append(node)
    return out, counts


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
    feats: "DataFrame", status: "DataFrame", clusters: "DataFrame | None", removals: "DataFrame | None",
    small_clusters: bool = False,
) -> "DataFrame":
    """One row per document: its status, the ids it points to, the units it loses, its
    text bytes. ``small_clusters``: the clusters came from the driver (broadcast them)."""
    from pyspark.sql import functions as F

    df = status
    if clusters is not None:
        labels = clusters.select(F.col("node").alias("key"), "label")
        df = df.join(F.broadcast(labels) if small_clusters else labels, "key", "left")
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
        "cluster_id", "units", "nbytes",
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


def _cluster_sizes(clusters: "DataFrame") -> np.ndarray:
    """The size of every cluster (one small job: a histogram of sizes reaches the driver)."""
    from pyspark.sql import functions as F

    hist = clusters.groupBy("label").agg(F.count("*").alias("size")).groupBy("size").count().collect()
    sizes = {r["size"]: r["count"] for r in hist}
    return np.repeat(list(sizes), list(sizes.values())).astype(np.int64)


def _report(
    result: DedupResult, sizes: np.ndarray | None, hasher: NearDupHasher | None,
    examples: dict[int, tuple[int, list[int]]], texts: dict[int, tuple[str, str]],
) -> None:
    report: dict[str, Any] = {"duplicates_per_level": dict(result.removed), "clusters": 0, "cluster_sizes": {}}
    if sizes is not None:
        report["clusters"] = int(len(sizes))
        report["cluster_sizes"] = size_histogram(sizes)
    report["example_clusters"] = [
        {"kept": texts[label][0], "size": int(size), "members": [{"id": texts[m][0], "text": texts[m][1]} for m in members]}
        for label, (size, members) in examples.items()
    ]
    report["params"] = hasher.params() if hasher is not None else None
    result.report.update(report)

