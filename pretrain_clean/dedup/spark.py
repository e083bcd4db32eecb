"""Spark dedup engine: the local engine's decisions with DataFrame operations.

Documents are ordered by ``key = file_index << 40 | row_index``, the same (file, row)
order the local engine numbers them in, so both engines keep the same documents. Input
parts are read, and output parts written, by Python tasks through :mod:`pipeline.storage`
(local paths or ``s3://``...; no shared filesystem, no Hadoop connector). Band keys are exploded and grouped, candidate
edges verified with a join, components found by large-star/small-star; nothing but
small summaries (counts, a histogram, a few example clusters) reaches the driver.
"""
from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any, Iterator

import numpy as np
import pyarrow as pa

from pretrain_clean.dedup.spark_components import spark_connected_components
from pretrain_clean.dedup.config import DedupConfig
from pretrain_clean.dedup import decisions
from pretrain_clean.dedup.decisions import too_short, verified_pairs
from pretrain_clean.dedup.exact import exact_key
from pretrain_clean.dedup.features import NearDupHasher
from pretrain_clean.dedup.paragraph import rewrite, unit_hashes
from pretrain_clean.dedup.spark_io import input_schema, read_parts, write_parts
from pretrain_clean.dedup.report import (
    EXAMPLE_CLUSTERS,
    EXAMPLE_MEMBERS,
    REASONS,
    STATUS_EXACT,
    STATUS_KEPT,
    STATUS_NEAR,
    STATUS_SHORT,
    DedupResult,
    output_names,
    size_histogram,
    write_report,
)
from pretrain_clean.pipeline import storage
from pretrain_clean.pipeline.spark_engine import set_shuffle_partitions

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

ROW_BITS = 40
"""Rows per file are < 2^40; files < 2^23."""


def run_dedup_spark(
    spark: "SparkSession",
    cfg: DedupConfig,
    input_files: list[str],
    kept_dir: str,
    rejected_dir: str,
    work_dir: str,
) -> DedupResult:
    """Spark twin of :func:`dedup.local.run_dedup_local` (same outputs, same report)."""
    from pyspark import StorageLevel
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    names = output_names(input_files)
    result = DedupResult()
    hasher = NearDupHasher.from_config(cfg) if cfg.minhash else None
    t0 = time.perf_counter()
    set_shuffle_partitions(spark, sum(storage.size(p) for p in input_files))
    schema = input_schema(input_files)
    raw = read_parts(spark, input_files, schema)
    docs = (
        raw.withColumn("key", F.shiftleft(F.col("file_idx"), ROW_BITS) + F.col("row_index"))
        .withColumn("text", F.coalesce(F.col("text"), F.lit("")))
        .persist(StorageLevel.MEMORY_AND_DISK)
    )
    columns = list(schema.names)
    totals = docs.agg(F.count("*"), F.sum(F.octet_length("text"))).first()
    result.documents_in, result.bytes_in = int(totals[0]), int(totals[1] or 0)
    status = docs.select("key", F.lit(STATUS_KEPT).alias("status"), F.lit(None).cast("long").alias("dup_of"))
    result.seconds["read_and_hash"] = time.perf_counter() - t0

    if cfg.exact:
        t0 = time.perf_counter()
        exact_udf = F.pandas_udf(lambda s: s.map(exact_key).astype("int64"), T.LongType())
        keyed = docs.select("key", exact_udf("text").alias("ekey"))
        firsts = keyed.groupBy("ekey").agg(F.min("key").alias("first"))
        duplicate = decisions.exact_duplicate(F.col("key"), F.col("first"))
        status = (
            keyed.join(firsts, "ekey")
            .select(
                "key",
                F.when(duplicate, STATUS_EXACT).otherwise(STATUS_KEPT).alias("status"),
                F.when(duplicate, F.col("first")).alias("dup_of"),
            )
            .localCheckpoint(eager=True)
        )
        result.seconds["exact"] = time.perf_counter() - t0

    clusters = None
    if hasher is not None:
        t0 = time.perf_counter()
        status, clusters = _near(spark, cfg, hasher, docs, status)
        result.seconds["minhash"] = time.perf_counter() - t0

    removals = None
    if cfg.paragraph or cfg.sentence:
        t0 = time.perf_counter()
        removals = _paragraph_removals(cfg, docs, status)
        result.seconds["paragraph"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    out = _final(cfg, docs, status, clusters, removals, columns)
    out = out.persist(StorageLevel.MEMORY_AND_DISK)
    counts = out.groupBy("status").agg(F.count("*").alias("n"), F.sum(F.octet_length("text")).alias("b")).collect()
    for row in counts:
        if row["status"] == STATUS_KEPT:
            result.kept, result.bytes_kept = int(row["n"]), int(row["b"] or 0)
        else:
            stage, reason = REASONS[row["status"]]
            result.removed[f"{stage}.{reason}"] = int(row["n"])
    result.removed = dict(sorted(result.removed.items()))
    if removals is not None:
        result.units_removed = int(
            out.where(F.col("status") == STATUS_KEPT).agg(F.sum("n_removed")).first()[0] or 0
        )
    write_parts(out, schema, names, kept_dir, rejected_dir)
    result.seconds["write"] = time.perf_counter() - t0
    _report(result, out, clusters, hasher)
    out.unpersist()
    docs.unpersist()
    write_report(result, work_dir)
    return result


def _near(
    spark: "SparkSession", cfg: DedupConfig, hasher: NearDupHasher, docs: "DataFrame", status: "DataFrame"
) -> tuple["DataFrame", "DataFrame"]:
    """Band-key groups -> star edges -> verified -> components -> updated status."""
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    alive = docs.join(status.where(F.col("status") == STATUS_KEPT), "key").select("key", "text")
    schema = "key long, bkeys array<long>, sig binary"

    def sign(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            texts = [t or "" for t in batch.column("text").to_pylist()]
            sigs = hasher.signatures(texts)
            keys, has_shingles = hasher.band_keys(sigs)
            bkeys = [k.tolist() if ok else [] for k, ok in zip(keys, has_shingles)]
            yield pa.RecordBatch.from_arrays(
                [batch.column("key"), pa.array(bkeys, pa.list_(pa.int64())), pa.array([s.tobytes() for s in sigs], pa.binary())],
                names=["key", "bkeys", "sig"],
            )

    signed = alive.mapInArrow(sign, schema).persist(StorageLevel.MEMORY_AND_DISK)
    bands = signed.select("key", F.explode("bkeys").alias("bkey"))
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
                keep = verified_pairs(a, b, threshold)
                yield pa.RecordBatch.from_arrays(
                    [batch.column("u").filter(pa.array(keep)), batch.column("v").filter(pa.array(keep))], names=["u", "v"]
                )

        sigs = signed.select("key", "sig")
        edges = (
            edges.join(sigs.select(F.col("key").alias("u"), F.col("sig").alias("su")), "u")
            .join(sigs.select(F.col("key").alias("v"), F.col("sig").alias("sv")), "v")
            .select("u", "v", "su", "sv")
            .mapInArrow(verify, "u long, v long")
        )
    edges = edges.localCheckpoint(eager=True)
    components = spark_connected_components(edges).localCheckpoint(eager=True)
    signed.unpersist()
    near = F.col("label").isNotNull() & decisions.near_duplicate(F.col("key"), F.col("label"))
    status = (
        status.join(components.withColumnRenamed("node", "key"), "key", "left")
        .select(
            "key",
            F.when(near, STATUS_NEAR)
            .otherwise(F.col("status"))
            .alias("status"),
            F.when(near, F.col("label"))
            .otherwise(F.col("dup_of"))
            .alias("dup_of"),
        )
        .localCheckpoint(eager=True)
    )
    return status, components


def _paragraph_removals(cfg: DedupConfig, docs: "DataFrame", status: "DataFrame") -> "DataFrame":
    """``(key, units)``: unit numbers to remove from each surviving document."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    unit_type = T.ArrayType(T.StructType([T.StructField("unit", T.IntegerType()), T.StructField("h", T.LongType())]))

    @F.udf(unit_type, useArrow=True)
    def units(text: str) -> list[tuple[int, int]]:
        return unit_hashes(text or "", cfg.paragraph, cfg.sentence, cfg.paragraph_min_chars, cfg.sentence_min_chars)

    alive = docs.join(status.where(F.col("status") == STATUS_KEPT), "key").select("key", "text")
    exploded = alive.select("key", F.explode(units("text")).alias("u")).select("key", "u.unit", "u.h")
    by_hash = Window.partitionBy("h").orderBy("key", "unit")
    ranked = exploded.select(
        "key",
        "unit",
        F.row_number().over(by_hash).alias("rank"),
        F.count("*").over(Window.partitionBy("h")).alias("n"),
    )
    return (
        ranked.where(decisions.unit_removed(F.col("n"), F.col("rank"), cfg.paragraph_min_repeats))
        .groupBy("key")
        .agg(F.collect_list("unit").alias("units"))
        .localCheckpoint(eager=True)
    )


def _final(
    cfg: DedupConfig,
    docs: "DataFrame",
    status: "DataFrame",
    clusters: "DataFrame | None",
    removals: "DataFrame | None",
    columns: list[str],
) -> "DataFrame":
    """Every document with its final text, meta, status, stage and reason."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    ids = docs.select(F.col("key").alias("ref"), F.col("id").alias("ref_id"))
    df = docs.join(status, "key")
    df = df.join(ids.withColumnRenamed("ref", "dup_of").withColumnRenamed("ref_id", "dup_of_id"), "dup_of", "left")
    if clusters is not None:
        labels = clusters.select(F.col("node").alias("key"), F.col("label"))
        df = df.join(labels, "key", "left").join(
            ids.withColumnRenamed("ref", "label").withColumnRenamed("ref_id", "cluster_id"), "label", "left"
        )
    else:
        df = df.withColumn("label", F.lit(None).cast("long")).withColumn("cluster_id", F.lit(None).cast("string"))
    if removals is not None:
        df = df.join(removals, "key", "left")
    else:
        df = df.withColumn("units", F.lit(None).cast("array<int>"))
    sentences, min_chars = cfg.sentence, cfg.min_chars_after

    @F.udf(T.StructType([T.StructField("text", T.StringType()), T.StructField("short", T.BooleanType())]), useArrow=True)
    def apply_removals(text: str, units: list[int] | None, status: int) -> tuple[str, bool]:
        if status != STATUS_KEPT or not units:
            return text, False
        new = rewrite(text, set(units), sentences)
        return (text, True) if too_short(new, min_chars) else (new, False)

    @F.udf(T.StringType(), useArrow=True)
    def new_meta(meta: str | None, cluster_id: str | None, dup_of_id: str | None, status: int) -> str:
        data = json.loads(meta) if meta else {}
        if cluster_id is not None:
            data["dedup_cluster"] = cluster_id
        if status == STATUS_EXACT and dup_of_id is not None:
            data["dedup_duplicate_of"] = dup_of_id
        return json.dumps(data, ensure_ascii=False)

    df = df.withColumn("text_in", F.col("text"))
    df = df.withColumn("rw", apply_removals("text", "units", "status"))
    df = df.withColumn("status", F.when(F.col("rw.short"), F.lit(STATUS_SHORT)).otherwise(F.col("status")))
    df = df.withColumn("text", F.col("rw.text"))
    df = df.withColumn("n_removed", F.when(F.col("units").isNull(), 0).otherwise(F.size("units")))
    if "meta" in columns:
        df = df.withColumn("meta", new_meta("meta", "cluster_id", "dup_of_id", "status"))
    stage = F.lit(None).cast("string")
    reason = F.lit(None).cast("string")
    for code, (st, rs) in REASONS.items():
        stage = F.when(F.col("status") == code, F.lit(st)).otherwise(stage)
        reason = F.when(F.col("status") == code, F.lit(rs)).otherwise(reason)
    return df.select(
        *columns, "status", "label", "n_removed", "file_idx", "row_index", "text_in", stage.alias("stage"), reason.alias("reason")
    )


def _report(result: DedupResult, out: "DataFrame", clusters: "DataFrame | None", hasher: NearDupHasher | None) -> None:
    from pyspark.sql import functions as F

    report: dict[str, Any] = {"duplicates_per_level": dict(result.removed), "clusters": 0, "cluster_sizes": {}}
    examples = []
    if clusters is not None:
        sizes = clusters.groupBy("label").agg(F.count("*").alias("size"))
        hist = sizes.groupBy("size").count().collect()
        size_arr = np.repeat([r["size"] for r in hist], [r["count"] for r in hist]).astype(np.int64)
        report["clusters"] = int(len(size_arr))
        report["cluster_sizes"] = size_histogram(size_arr)
        top = sizes.orderBy(F.desc("size"), F.asc("label")).limit(EXAMPLE_CLUSTERS).collect()
        for row in top:
            members = (
                out.where(F.col("label") == row["label"])
                .orderBy("file_idx", "row_index")
                .select("id", F.substring("text_in", 1, 200).alias("text"))
                .limit(EXAMPLE_MEMBERS)
                .collect()
            )
            examples.append(
                {
                    "kept": members[0]["id"],
                    "size": int(row["size"]),
                    "members": [{"id": m["id"], "text": m["text"]} for m in members],
                }
            )
    report["example_clusters"] = examples
    report["params"] = hasher.params() if hasher is not None else None
    result.report.update(report)
