"""The Spark engine and the local engine make identical decisions on the bundled sample."""
from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from conftest import ROOT
from pretrain_clean.paths import CONFIGS
from pretrain_clean.pipeline.clean import CleanOptions, clean
from pretrain_clean.pipeline.config import load_config

SAMPLE = str(ROOT / "data" / "sample")


def table_rows(folder: Path, columns: list[str]) -> list[tuple]:
    rows = []
    for part in sorted(folder.glob("*.parquet")):
        table = pq.read_table(part, columns=columns)
        rows += list(zip(*(table.column(c).to_pylist() for c in columns)))
    return rows


@pytest.mark.slow
def test_spark_and_local_keep_the_same_documents_with_the_same_scores(tmp_path: Path, spark) -> None:
    spec = load_config(CONFIGS / "default.toml")
    local = clean(spec, [SAMPLE], str(tmp_path / "local"), CleanOptions("local", workers=2, show_progress=False))
    on_spark = clean(spec, [SAMPLE], str(tmp_path / "spark"), CleanOptions("spark", show_progress=False))
    assert local.documents_in > 2000 and 0 < local.kept < local.documents_in
    assert (on_spark.documents_in, on_spark.kept, on_spark.quarantined) == (
        local.documents_in, local.kept, local.quarantined)
    assert on_spark.removed == local.removed
    for sub, columns in (("kept", ["id", "doc_key", "text", "meta"]),
                         ("rejected", ["id", "doc_key", "stage", "reason", "meta"]),
                         ("quarantine", ["source", "position", "kind"])):
        assert table_rows(tmp_path / "spark" / sub, columns) == table_rows(tmp_path / "local" / sub, columns), sub
    keys = [k for sub in ("kept", "rejected") for (k,) in table_rows(tmp_path / "spark" / sub, ["doc_key"])]
    assert len(keys) == len(set(keys)) == local.documents_in - local.quarantined  # a key per document
    spark_stats = json.loads((tmp_path / "spark" / "stats.json").read_text())
    local_stats = json.loads((tmp_path / "local" / "stats.json").read_text())
    assert spark_stats["removed"] == local_stats["removed"]
    assert spark_stats["duplicate_ids"] == local_stats["duplicate_ids"]


def test_spark_submit_is_the_default_engine_under_spark_submit(monkeypatch) -> None:
    import importlib.util

    from pretrain_clean.cli import clean as job

    argv = ["--config", "c", "--input", "i", "--output", "o"]
    assert job.parse_args(argv).engine == "local"
    monkeypatch.setenv("PYSPARK_GATEWAY_PORT", "12345")
    assert job.parse_args(argv).engine == "spark"


@pytest.mark.slow
def test_spark_submit_runs_the_job_end_to_end(tmp_path: Path) -> None:
    import os
    import shutil
    import subprocess
    import sys

    from conftest import write_jsonl

    write_jsonl(tmp_path / "in" / "a.jsonl", [{"id": "a", "text": "hello spark"}, "{broken"])
    submit = shutil.which("spark-submit", path=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
    assert submit, "spark-submit comes with pyspark"
    result = subprocess.run(
        [submit, "--master", "local[1]", "--conf", "spark.ui.enabled=false", str(ROOT / "jobs" / "clean.py"),
         "--config", str(CONFIGS / "minimal.toml"), "--input", str(tmp_path / "in"),
         "--output", str(tmp_path / "out"), "--quiet"],
        capture_output=True, text=True, timeout=300, env={**os.environ, "PYSPARK_PYTHON": sys.executable},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "kept 1 of 2 documents (0 removed, 1 quarantined)" in result.stdout
    assert json.loads((tmp_path / "out" / "stats.json").read_text())["quarantine_errors"] == {"malformed_json": 1}


@pytest.mark.slow
def test_spark_submit_master_is_not_overridden(tmp_path: Path) -> None:
    import os
    import shutil
    import subprocess
    import sys

    script = tmp_path / "which_master.py"
    script.write_text(
        "from pretrain_clean.pipeline.spark_start import spark_session\n"
        "print('MASTER', spark_session().sparkContext.master)\n"
    )
    submit = shutil.which("spark-submit", path=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
    result = subprocess.run([submit, "--master", "local[1]", str(script)], capture_output=True, text=True,
                            timeout=300, env={**os.environ, "PYSPARK_PYTHON": sys.executable})
    assert "MASTER local[1]" in result.stdout, result.stderr[-2000:]
