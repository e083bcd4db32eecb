"""The opt-in class-data-sharing archive of the driver JVM (pipeline/spark_cds.py): where it
lives, its key, dump then publish (never a partial file), stale dumps removed."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pretrain_clean.pipeline.spark_cds import CDS_ENV, archive_dir, cds_options, publish, runtime_key


@pytest.mark.parametrize("value", [None, "", "0", " "])
def test_off_unless_asked_for(value: str | None) -> None:
    assert archive_dir({} if value is None else {CDS_ENV: value}) is None


def test_cache_folder_or_the_given_one(tmp_path: Path) -> None:
    assert archive_dir({CDS_ENV: "1", "XDG_CACHE_HOME": str(tmp_path)}) == tmp_path / "pretrain-clean" / "spark-cds"
    assert archive_dir({CDS_ENV: str(tmp_path / "a")}) == tmp_path / "a"


def test_key_changes_with_the_jars_and_the_runtime(tmp_path: Path) -> None:
    home, jars = tmp_path / "jdk", tmp_path / "jars"
    (home / "lib" / "server").mkdir(parents=True)
    jars.mkdir()
    (home / "lib" / "server" / "libjvm.so").write_bytes(b"x")
    (jars / "spark-core.jar").write_bytes(b"abc")
    key = runtime_key(home, jars)
    assert key == runtime_key(home, jars) and len(key) == 16
    (jars / "spark-core.jar").write_bytes(b"abcd")  # another Spark build
    assert runtime_key(home, jars) != key
    key = runtime_key(home, jars)
    (home / "lib" / "server" / "libjvm.so").write_bytes(b"xy")  # another JDK build
    assert runtime_key(home, jars) != key


def test_dump_when_absent_map_when_present(tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", ""])
    dead.wait()
    (tmp_path / f".k.jsa.tmp-{dead.pid}").write_bytes(b"partial")  # a killed run's dump
    (tmp_path / f".k.jsa.tmp-{os.getppid()}").write_bytes(b"writing")  # a live run's dump
    options, dump = cds_options(tmp_path, "k", 123)
    assert dump == tmp_path / ".k.jsa.tmp-123"
    assert options.startswith(f"-XX:ArchiveClassesAtExit={dump} ")
    assert "-Xlog:cds=off" in options
    assert not (tmp_path / f".k.jsa.tmp-{dead.pid}").exists()
    assert (tmp_path / f".k.jsa.tmp-{os.getppid()}").exists()
    (tmp_path / "k.jsa").write_bytes(b"archive")
    options, dump = cds_options(tmp_path, "k", 123)
    assert dump is None and options.startswith(f"-XX:SharedArchiveFile={tmp_path / 'k.jsa'} ")


@pytest.mark.parametrize("returncode, content, published", [(0, b"archive", True), (1, b"archive", False),
                                                             (None, b"archive", False), (0, b"", False)])
def test_publish_only_a_finished_dump(tmp_path: Path, returncode: int | None, content: bytes, published: bool) -> None:
    dump, final = tmp_path / ".k.jsa.tmp-1", tmp_path / "k.jsa"
    dump.write_bytes(content)
    assert publish(dump, final, returncode) is published
    assert final.exists() is published
    assert not dump.exists()


RUN = """
from pretrain_clean.pipeline.spark_engine import spark_session
spark = spark_session(master="local[1]")
args = spark.sparkContext._jvm.java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()
print("ARGS", [a for a in args if "Archive" in a])
print("COUNT", spark.range(10).count())
"""


@pytest.mark.slow
def test_first_run_dumps_the_next_maps(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("PYSPARK_SUBMIT_ARGS", "JDK_JAVA_OPTIONS", "JAVA_TOOL_OPTIONS")}
    env[CDS_ENV] = str(tmp_path / "cds")
    first = subprocess.run([sys.executable, "-c", RUN], capture_output=True, text=True, timeout=600, env=env)
    assert "COUNT 10" in first.stdout, first.stderr[-2000:]
    assert "ArchiveClassesAtExit=" in first.stdout
    assert "[cds]" not in first.stderr  # the dump's per-class warnings are off
    archives = list((tmp_path / "cds").iterdir())
    assert len(archives) == 1 and archives[0].suffix == ".jsa" and not archives[0].name.startswith(".")
    assert archives[0].stat().st_size > 10 << 20
    second = subprocess.run([sys.executable, "-c", RUN], capture_output=True, text=True, timeout=600, env=env)
    assert "COUNT 10" in second.stdout, second.stderr[-2000:]
    assert f"SharedArchiveFile={archives[0]}" in second.stdout
