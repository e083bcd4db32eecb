"""The engine seam (``pipeline/engine.py``): one place picks the engine, and every job's method
gives the same outputs on both engines (clean and dedup: tests/test_engines.py,
tests/test_dedup_spark.py; shards: here, through the seam)."""
from __future__ import annotations

from pathlib import Path

import pytest

from pretrain_clean.errors import UsageError
from pretrain_clean.pipeline.engine import ENGINES, Engine, EngineOptions, LocalEngine, SparkEngine, engine_for
from pretrain_clean.tokenizer.shards import ShardConfig
from tests.test_shards import corpus, files_bytes, texts, tok_path  # noqa: F401 - fixtures


def test_engine_for_picks_each_engine_and_names_the_choices() -> None:
    assert ENGINES == ("local", "spark")
    assert isinstance(engine_for("local"), LocalEngine)
    spark = engine_for("spark", EngineOptions(master="local[1]"))
    assert isinstance(spark, SparkEngine) and spark._context is None  # no Spark until a job runs
    with pytest.raises(UsageError, match="unknown engine 'ray'; choose one of: local, spark"):
        engine_for("ray")


@pytest.mark.parametrize("kind", [LocalEngine, SparkEngine])
def test_every_engine_implements_every_job(kind: type) -> None:
    jobs = [name for name in vars(Engine) if not name.startswith("_") and callable(getattr(Engine, name))]
    assert sorted(jobs) == ["clean_parts", "close", "dedup", "map_parts", "shards", "start"]
    assert all(callable(getattr(kind, job, None)) for job in jobs)


ITEMS = [b"caf\xe9.jsonl", (1, 2.5), "", None]
"""Items Java would not carry unchanged (non-UTF-8 bytes, None); ``repr`` is the function:
a builtin, so Spark's workers unpickle it without importing this test module."""


def test_local_map_parts_keeps_item_order() -> None:
    assert engine_for("local", EngineOptions(workers=3)).map_parts(repr, ITEMS) == [repr(i) for i in ITEMS]
    assert engine_for("local").map_parts(repr, []) == []


@pytest.mark.slow
def test_spark_map_parts_keeps_item_order(spark) -> None:  # noqa: ANN001
    assert engine_for("spark", EngineOptions(spark=spark)).map_parts(repr, ITEMS) == [repr(i) for i in ITEMS]


@pytest.mark.slow
def test_shards_through_the_seam_are_the_same_bytes_on_both_engines(spark, tok_path: Path, corpus: Path,  # noqa: ANN001, F811
                                                                     tmp_path: Path) -> None:
    cfg = ShardConfig(shard_tokens=40_000, shuffle_seed=3)
    local = engine_for("local").shards(tok_path, corpus, tmp_path / "local", cfg)
    remote = engine_for("spark", EngineOptions(spark=spark)).shards(tok_path, corpus, tmp_path / "spark", cfg)
    assert len(local["shards"]) > 1 and remote["shards"] == local["shards"]
    assert files_bytes(tmp_path / "spark") == files_bytes(tmp_path / "local")
