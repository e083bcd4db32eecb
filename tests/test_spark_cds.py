"""The class-data-sharing archive of the driver JVM (pipeline/spark_cds.py): where it lives,
its key, dump then publish (never a partial file), a damaged archive never mapped, stale
dumps removed."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pretrain_clean.pipeline.spark_cds import (CDS_ENV, UNUSED_DAYS, archive_dir, cds_options, file_digest, prune,
                                               publish, runtime_key)


def test_on_by_default_off_with_0(tmp_path: Path) -> None:
    cache = tmp_path / "pretrain-clean" / "spark-cds"
    for value in (None, "", " ", "1"):
        environ = {"XDG_CACHE_HOME": str(tmp_path)} | ({} if value is None else {CDS_ENV: value})
        assert archive_dir(environ) == cache
    assert archive_dir({CDS_ENV: "0", "XDG_CACHE_HOME": str(tmp_path)}) is None
    assert archive_dir({CDS_ENV: str(tmp_path / "a")}) == tmp_path / "a"
    home = Path(os.path.expanduser("~"))
    assert archive_dir({}) == home / ".cache" / "pretrain-clean" / "spark-cds"


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
    key = runtime_key(home, jars)
    other = tmp_path / "venv2" / "jars"  # the same jars in another virtual environment
    other.mkdir(parents=True)
    (other / "spark-core.jar").write_bytes(b"abcd")
    assert runtime_key(home, other) != key


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
    dump.write_bytes(b"archive")
    final = publish(dump, "k", 0)
    assert final == tmp_path / f"k-{file_digest(final)}.jsa"
    options, dump = cds_options(tmp_path, "k", 123)
    assert dump is None and options.startswith(f"-XX:SharedArchiveFile={final} ")
    assert cds_options(tmp_path, "other", 123)[1] is not None  # another runtime's key: its own dump


@pytest.mark.parametrize("damage", [lambda b: b[:-1], lambda b: b + b"x", lambda b: b"y" + b[1:], lambda b: b""])
def test_a_damaged_archive_is_removed_never_mapped(tmp_path: Path, damage) -> None:  # noqa: ANN001
    """A truncated archive would crash the JVM (SIGBUS): one whose bytes do not match the
    digest in its name is removed and the run dumps a new one."""
    dump = tmp_path / ".k.jsa.tmp-1"
    dump.write_bytes(b"archive bytes")
    final = publish(dump, "k", 0)
    final.write_bytes(damage(final.read_bytes()))
    options, dump = cds_options(tmp_path, "k", 123)
    assert dump is not None and "SharedArchiveFile" not in options
    assert not final.exists()


def _archive(folder: Path, key: str, content: bytes, days_unused: float) -> Path:
    path = folder / "tmp.jsa.part"
    path.write_bytes(content)
    final = folder / f"{key}-{file_digest(path)}.jsa"
    path.rename(final)
    when = time.time() - days_unused * 86400
    os.utime(final, (when, when))
    return final


@pytest.mark.parametrize("mapping", [True, False])
def test_archives_unused_for_30_days_are_removed(tmp_path: Path, mapping: bool) -> None:
    """Other runtimes' archives (and session 5's ``KEY.jsa``) pile up at 70-115 MB each; one
    minute either side of the limit decides. The archive a run maps counts as used now."""
    ours = _archive(tmp_path, "k", b"ours", UNUSED_DAYS + 5) if mapping else None
    kept = _archive(tmp_path, "other", b"a", UNUSED_DAYS - 1 / 1440)
    gone = _archive(tmp_path, "third", b"b", UNUSED_DAYS + 1 / 1440)
    old_format = tmp_path / "k.jsa"
    old_format.write_bytes(b"x")
    os.utime(old_format, (time.time() - 40 * 86400,) * 2)
    options, dump = cds_options(tmp_path, "k", 123)
    assert (dump is None) is mapping
    assert sorted(p.name for p in tmp_path.glob("*.jsa")) == sorted([kept.name] + ([ours.name] if mapping else []))
    assert not gone.exists() and not old_format.exists()
    if mapping:
        assert time.time() - ours.stat().st_mtime < 60


@pytest.mark.parametrize("seconds_past_the_limit, removed", [(-10, False), (0, False), (10, True)])
def test_prune_at_the_limit(tmp_path: Path, seconds_past_the_limit: int, removed: bool) -> None:
    archive = tmp_path / "k-0.jsa"
    archive.write_bytes(b"x")
    now = 2_000_000_000
    os.utime(archive, (now - UNUSED_DAYS * 86400 - seconds_past_the_limit,) * 2)
    prune(tmp_path, now)
    assert archive.exists() is not removed


def test_the_archive_folder_is_made_with_its_parents(tmp_path: Path) -> None:
    folder = tmp_path / "cache" / "pretrain-clean" / "spark-cds"
    options, dump = cds_options(folder, "k", 123)
    assert folder.is_dir() and dump == folder / ".k.jsa.tmp-123" and str(dump) in options


def test_file_digest_reads_every_block(tmp_path: Path) -> None:
    path = tmp_path / "big"
    path.write_bytes(b"a" * (8 << 20) + b"b")
    other = tmp_path / "big2"
    other.write_bytes(b"a" * (8 << 20) + b"c")
    assert file_digest(path) != file_digest(other) and len(file_digest(path)) == 32


@pytest.mark.parametrize("returncode, content, published", [(0, b"archive", True), (1, b"archive", False),
                                                             (None, b"archive", False), (0, b"", False),
                                                             (0, b"x", True)])
def test_publish_only_a_finished_dump(tmp_path: Path, returncode: int | None, content: bytes, published: bool) -> None:
    dump = tmp_path / ".k.jsa.tmp-1"
    dump.write_bytes(content)
    final = publish(dump, "k", returncode)
    assert (final is not None) is published
    assert [p.name for p in tmp_path.iterdir()] == ([f"k-{file_digest(final)}.jsa"] if published else [])


RUN = """
from pretrain_clean.pipeline.spark_start import spark_session
spark = spark_session(master="local[1]")
args = spark.sparkContext._jvm.java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()
print("ARGS", [a for a in args if "Archive" in a])
print("COUNT", spark.range(10).count())
"""


@pytest.mark.slow
def test_first_run_dumps_the_next_maps_a_truncated_one_is_not_mapped(tmp_path: Path) -> None:
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
    # what crashed the JVM with SIGBUS when mapped: the first 60% of a real archive
    archives[0].chmod(0o644)
    with open(archives[0], "r+b") as fh:
        fh.truncate(archives[0].stat().st_size * 6 // 10)
    third = subprocess.run([sys.executable, "-c", RUN], capture_output=True, text=True, timeout=600, env=env)
    assert third.returncode == 0 and "COUNT 10" in third.stdout, third.stderr[-2000:]
    assert "ArchiveClassesAtExit=" in third.stdout  # not mapped: dumped again
    republished = list((tmp_path / "cds").iterdir())
    assert len(republished) == 1 and republished[0].stem.partition("-")[2] == file_digest(republished[0])
