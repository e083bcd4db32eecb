"""Shared fixtures: input-file writers and one local Spark session per test run."""
from __future__ import annotations

import gzip
import json
import os
import sys
from pathlib import Path
from typing import TypeVar

import pytest

ROOT = Path(__file__).resolve().parent.parent
S = TypeVar("S")


def ready(stage: S) -> S:
    """``stage`` after its ``setup()``: a stage is set up by its caller (the worker does it in a
    run), never lazily by itself."""
    stage.setup()  # type: ignore[attr-defined]
    return stage


def write_jsonl(path: Path, records: list, compress: bool = False) -> Path:
    """Write records (dicts, or raw str/bytes lines) as JSON lines."""
    lines = []
    for record in records:
        if isinstance(record, bytes):
            lines.append(record)
        elif isinstance(record, str):
            lines.append(record.encode("utf-8"))
        else:
            lines.append(json.dumps(record, ensure_ascii=False).encode("utf-8"))
    data = b"\n".join(lines) + b"\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


@pytest.fixture
def spark():
    """A small local Spark session shared by every Spark test: the active one, else a new one
    (also after a test stopped it: ``getOrCreate()`` + ``stop()`` in a test stops the shared
    session, which made every later Spark test fail on a dead context)."""
    pyspark_sql = pytest.importorskip("pyspark.sql")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    active = pyspark_sql.SparkSession.getActiveSession()
    if active is not None:
        return active
    session = (
        pyspark_sql.SparkSession.builder.master("local[2]")
        .appName("tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    return session
