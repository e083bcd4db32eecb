"""The engine seam (``pipeline/engine.py``): one place picks the engine; ``map_parts`` returns
``fn``'s results in item order on both engines, with items and results that Java would not
carry unchanged (non-UTF-8 path bytes, numpy arrays)."""
from __future__ import annotations

import numpy as np
import pytest

from pretrain_clean.errors import UsageError
from pretrain_clean.pipeline.engine import ENGINES, EngineOptions, LocalEngine, SparkEngine, engine_for

ITEMS = [(0, np.arange(3)), (1, np.array([7])), (2, np.zeros(0, dtype=np.int64)), (3, b"caf\xe9.jsonl")]


describe = repr
"""A builtin: Spark's workers unpickle it without importing this test module."""


def test_engine_for_picks_each_engine_and_names_the_choices() -> None:
    assert ENGINES == ("local", "spark")
    assert isinstance(engine_for("local"), LocalEngine)
    assert isinstance(engine_for("spark", EngineOptions(master="local[1]")), SparkEngine)  # no session yet
    with pytest.raises(UsageError, match="unknown engine 'ray'; choose one of: local, spark"):
        engine_for("ray")


def test_local_map_parts_keeps_item_order() -> None:
    assert list(engine_for("local").map_parts(describe, ITEMS)) == [describe(i) for i in ITEMS]
    assert list(engine_for("local").map_parts(describe, [])) == []


@pytest.mark.slow
@pytest.mark.parametrize("stream", [False, True])
def test_spark_map_parts_returns_the_local_results_in_order(spark, stream: bool) -> None:  # noqa: ANN001
    engine = engine_for("spark", EngineOptions(spark=spark))
    assert list(engine.map_parts(describe, ITEMS, stream=stream)) == [describe(i) for i in ITEMS]
    assert list(engine.map_parts(describe, [], stream=stream)) == []
