"""Spark and local dedup keep exactly the same documents, with the same outputs."""
from __future__ import annotations

import random
import re
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from pretrain_clean.dedup.config import DedupConfig
from pretrain_clean.dedup.evaluation import edit, load_sample_texts
from pretrain_clean.dedup.local import run_dedup_local
from tests.test_dedup_local import write_parts
from tests.test_dedup_spark_paths import corpus


@pytest.mark.slow
def test_spark_and_local_outputs_identical(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("pyspark")
    from pyspark.sql import SparkSession

    from pretrain_clean.dedup.spark import run_dedup_spark
    from pretrain_clean.pipeline.progress import PhaseProgress
    from pretrain_clean.pipeline.spark_engine import task_status

    files = corpus(tmp_path)  # three parts and an empty one, which still gets its outputs
    cfg = DedupConfig(sentence=True)
    local = run_dedup_local(cfg, files, str(tmp_path / "l/kept"), str(tmp_path / "l/rej"), str(tmp_path / "l/work"))
    spark = (
        SparkSession.builder.master("local[2]")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    try:
        with PhaseProgress("spark dedup", task_status(spark.sparkContext)) as progress:
            remote = run_dedup_spark(spark.sparkContext, cfg, files, str(tmp_path / "s/kept"), str(tmp_path / "s/rej"),
                                     str(tmp_path / "s/work"), progress=progress)
    finally:
        spark.stop()
    phases = [line for line in capsys.readouterr().err.splitlines()
              if line.startswith("[spark dedup]") and not re.search(r" · \d+m\d\ds · ", line)]  # not the ticks
    n = f"{sum(pq.ParquetFile(f).metadata.num_rows for f in files):,}"
    expected = [rf"read and hash \({n} documents\) [\d.]+ s", r"minhash [\d.]+ s", r"paragraph [\d.]+ s",
                rf"write [\d.]+ s · kept {remote.kept:,} of {n}", r"done · \d+m\d\ds"]
    assert len(phases) == len(expected), phases
    for line, pattern in zip(phases, expected):
        assert re.fullmatch(r"\[spark dedup\] " + pattern, line), line
    for sub in ("kept", "rej"):
        names = sorted(p.name for p in (tmp_path / "l" / sub).iterdir())
        assert names == sorted(p.name for p in (tmp_path / "s" / sub).iterdir())
        assert len(names) == 4
        for name in names:
            a = pq.read_table(tmp_path / "l" / sub / name)
            b = pq.read_table(tmp_path / "s" / sub / name)
            assert a.schema == b.schema, name
            assert a.to_pylist() == b.to_pylist(), name
    assert local.removed == remote.removed
    assert set(local.removed) == {
        "dedup_exact.duplicate",
        "dedup_minhash.near_duplicate",
        "dedup_paragraph.too_short_after_dedup",
    }
    assert (local.kept, local.bytes_kept, local.units_removed) == (remote.kept, remote.bytes_kept, remote.units_removed)
    assert local.report["cluster_sizes"] == remote.report["cluster_sizes"]
    assert local.report["example_clusters"] == remote.report["example_clusters"]


@pytest.mark.slow
def test_star_components_when_edges_exceed_the_driver_limit(tmp_path: Path) -> None:
    """Over ``driver_edges`` candidate edges, components come from the large-star/small-star
    joins instead of the driver: the same outputs as the local engine."""
    pytest.importorskip("pyspark")
    from pyspark.sql import SparkSession

    from pretrain_clean.dedup.spark import run_dedup_spark

    real = load_sample_texts("data/sample/web_en", min_words=150)[:12]
    rng = random.Random(1)
    vocab = sorted({w for t in real for w in t.split()})
    docs = [(f"d{i}", t) for i, t in enumerate(real + [edit(t, 0.005, vocab, rng) for t in real for _ in range(2)])]
    files = write_parts(tmp_path / "in", [docs[i::2] for i in range(2)])
    cfg = DedupConfig(spark_driver_bytes=0)  # the distributed path
    local = run_dedup_local(cfg, files, str(tmp_path / "l/kept"), str(tmp_path / "l/rej"), str(tmp_path / "l/work"))
    spark = SparkSession.builder.master("local[2]").config("spark.sql.shuffle.partitions", "2").getOrCreate()
    try:
        remote = run_dedup_spark(spark.sparkContext, cfg, files, str(tmp_path / "s/kept"), str(tmp_path / "s/rej"),
                                 str(tmp_path / "s/work"), driver_edges=0)
    finally:
        spark.stop()
    assert local.removed["dedup_minhash.near_duplicate"] >= 12
    assert (local.removed, local.kept, local.report["cluster_sizes"]) == (remote.removed, remote.kept, remote.report["cluster_sizes"])
    for sub in ("kept", "rej"):
        for path in sorted((tmp_path / "l" / sub).iterdir()):
            assert pq.read_table(path).to_pylist() == pq.read_table(tmp_path / "s" / sub / path.name).to_pylist(), path.name
