"""Opt-in class-data-sharing (CDS) archive for the driver JVM our code starts for a local master.

Most of Spark's fixed cost in ``local[N]`` is the driver JVM loading and linking Spark's
classes; a dynamic CDS archive of them (JDK 13+: ``-XX:ArchiveClassesAtExit`` once, then
``-XX:SharedArchiveFile``) cut a 100-document run's CPU by a third (docs/cluster.md). With
``PRETRAIN_CLEAN_SPARK_CDS=1`` (or a folder) the first run dumps an archive into the cache
and later runs map it. Off by default: a truncated archive crashes the JVM (SIGBUS), the
archive is ~150 MB per JDK build and Spark jar set, and the dump costs the first run's exit
a few seconds. Made safe for opt-in use here: the archive is named by a key of the Java
runtime and Spark's jars (another JDK or Spark version gets its own), dumped to a file of
this process's own and published by an atomic rename only after the JVM exited cleanly
(the JVM writes it at exit, after Spark stopped: :func:`finish_dump` waits for that at
Python exit), so no run ever maps a partial file; dumps left by killed runs are removed.
"""
from __future__ import annotations

import atexit
import hashlib
import os
import shutil
from pathlib import Path
from typing import Any, Mapping

from pretrain_clean.pipeline.uri_lock import pid_alive

CDS_ENV = "PRETRAIN_CLEAN_SPARK_CDS"
QUIET = "-Xlog:cds=off -Xlog:cds+dynamic=off"
"""The dump warns once per class it skips (signed jars: thousands of lines)."""


def archive_dir(environ: Mapping[str, str]) -> Path | None:
    """The archive folder :data:`CDS_ENV` asks for: ``1`` the user cache
    (``$XDG_CACHE_HOME`` or ``~/.cache``, then ``pretrain-clean/spark-cds``), a path that
    folder; unset, empty or ``0``: no archive."""
    value = environ.get(CDS_ENV, "").strip()
    if value in ("", "0"):
        return None
    if value == "1":
        cache = environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        return Path(cache) / "pretrain-clean" / "spark-cds"
    return Path(value)


def runtime_key(java_home: Path, jars: Path) -> str:
    """A key of the Java runtime (its ``libjvm.so``: path, size, time) and Spark's jars
    (names, sizes): an archive is valid only for the build and class path that dumped it."""
    digest = hashlib.sha256()
    for lib in sorted(java_home.glob("**/libjvm.so")):
        stat = lib.stat()
        digest.update(f"{lib.resolve()}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    for jar in sorted(jars.glob("*.jar")):
        digest.update(f"{jar.name}:{jar.stat().st_size}\n".encode())
    return digest.hexdigest()[:16]


def java_home(environ: Mapping[str, str]) -> Path | None:
    """``$JAVA_HOME``, else the runtime of the ``java`` on ``PATH``."""
    if environ.get("JAVA_HOME"):
        return Path(environ["JAVA_HOME"])
    java = shutil.which("java")
    return Path(java).resolve().parent.parent if java else None


def cds_options(directory: Path, key: str, pid: int) -> tuple[str, Path | None]:
    """JVM options: map ``<key>.jsa`` when it exists; else dump to ``.<key>.jsa.tmp-<pid>``
    (returned, to publish after the JVM exits). Dumps of dead processes are removed."""
    final = directory / f"{key}.jsa"
    if final.is_file():
        return f"-XX:SharedArchiveFile={final} {QUIET}", None
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob(".*.jsa.tmp-*"):
        owner = stale.name.rsplit("-", 1)[1]
        if owner.isdigit() and not pid_alive(int(owner)):
            stale.unlink(missing_ok=True)
    dump = directory / f".{key}.jsa.tmp-{pid}"
    return f"-XX:ArchiveClassesAtExit={dump} {QUIET}", dump


def publish(dump: Path, final: Path, returncode: int | None) -> bool:
    """Rename a finished dump into place (atomic: readers see the whole file or none); a
    JVM that did not exit cleanly leaves nothing."""
    if returncode == 0 and dump.is_file() and dump.stat().st_size > 0:
        os.replace(dump, final)
        return True
    dump.unlink(missing_ok=True)
    return False


def finish_dump(dump: Path, final: Path, timeout: float = 300.0) -> None:
    """At Python exit: stop Spark, let the driver JVM exit (its stdin closes), wait for it
    to write the archive, then publish it."""
    from pyspark import SparkContext

    if SparkContext._active_spark_context is not None:
        SparkContext._active_spark_context.stop()
    gateway: Any = SparkContext._gateway
    proc = getattr(gateway, "proc", None)
    if proc is None:
        return
    gateway.shutdown()
    if proc.stdin is not None:
        proc.stdin.close()  # the gateway server exits when its stdin closes
    try:
        code = proc.wait(timeout)
    except Exception:  # noqa: BLE001 - a JVM still writing after the timeout: no archive this time
        code = None
    publish(dump, final, code)


def driver_cds_options(environ: Mapping[str, str]) -> str:
    """The CDS options for the JVM about to start ("" when not asked for); registers the
    publication of a dump at exit."""
    directory = archive_dir(environ)
    home = java_home(environ)
    if directory is None or home is None:
        return ""
    from pyspark.find_spark_home import _find_spark_home

    key = runtime_key(home, Path(_find_spark_home()) / "jars")
    options, dump = cds_options(directory, key, os.getpid())
    if dump is not None:
        atexit.register(finish_dump, dump, directory / f"{key}.jsa")
    return options
