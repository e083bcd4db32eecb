"""Spark shuffle partitions: from data size and cores, unless the user set them."""
from __future__ import annotations

import pytest

from pretrain_clean.pipeline.spark_engine import SHUFFLE_BYTES_PER_PARTITION, set_shuffle_partitions


class _Conf(dict):
    def contains(self, key: str) -> bool:
        return key in self

    def get(self, key: str, default: str | None = None) -> str | None:  # type: ignore[override]
        return super().get(key, default)

    def set(self, key: str, value: str) -> None:
        self[key] = value


class _Context:
    def __init__(self, cores: int, user_conf: dict[str, str]):
        self.defaultParallelism = cores
        self._conf = _Conf(user_conf)

    def getConf(self) -> _Conf:  # noqa: N802 - Spark's name
        return self._conf


class FakeSpark:
    """The three things ``set_shuffle_partitions`` reads: SparkConf, cores, runtime conf."""

    def __init__(self, cores: int, user_conf: dict[str, str] | None = None):
        self.sparkContext = _Context(cores, user_conf or {})
        self.conf = _Conf(user_conf or {})


@pytest.mark.parametrize(
    ("cores", "input_bytes", "expected"),
    [
        (2, 0, 2),
        (2, 20_000 * 2_300, 2),  # the 20k-document benchmark: one partition per core
        (2, 2 * SHUFFLE_BYTES_PER_PARTITION, 2),  # exactly 128 MiB per core
        (2, 2 * SHUFFLE_BYTES_PER_PARTITION + 1, 3),  # one byte more: one more partition
        (16, 10 * SHUFFLE_BYTES_PER_PARTITION, 16),
        (4, 1000 * SHUFFLE_BYTES_PER_PARTITION, 1000),
    ],
)
def test_partitions_follow_cores_and_size(cores: int, input_bytes: int, expected: int) -> None:
    spark = FakeSpark(cores)
    assert set_shuffle_partitions(spark, input_bytes) == expected
    assert spark.conf["spark.sql.shuffle.partitions"] == str(expected)


def test_the_users_conf_wins() -> None:
    spark = FakeSpark(2, {"spark.sql.shuffle.partitions": "200"})
    assert set_shuffle_partitions(spark, 10 * SHUFFLE_BYTES_PER_PARTITION) == 200
    assert spark.conf["spark.sql.shuffle.partitions"] == "200"


@pytest.mark.slow
def test_a_real_session_without_the_conf_gets_the_computed_value(spark) -> None:  # noqa: ANN001
    # The shared test session sets 4 in its builder: that counts as the user's choice.
    assert set_shuffle_partitions(spark, 10 * SHUFFLE_BYTES_PER_PARTITION) == 4
