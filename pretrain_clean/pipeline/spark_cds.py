"""Class-data-sharing (CDS) archive for the driver JVM our code starts for a local master.

Most of Spark's fixed cost in ``local[N]`` is the driver JVM loading and linking Spark's
classes; a dynamic CDS archive of them (JDK 13+: ``-XX:ArchiveClassesAtExit`` once, then
``-XX:SharedArchiveFile``) cuts that by about a third (docs/cluster.md). On by default: the
first run dumps an archive (~70 MB) into the user cache as its JVM exits, later runs map it;
``PRETRAIN_CLEAN_SPARK_CDS=0`` turns it off, ``=FOLDER`` keeps it there.

A truncated or damaged archive crashes the JVM (SIGBUS), so no run maps one: the archive is
dumped to a file of this process's own and published by an atomic rename only after the JVM
exited cleanly (the JVM writes it at exit, after Spark stopped: :func:`finish_dump` waits for
that at Python exit), named by a key of the Java runtime and Spark's jars (another JDK or
Spark version gets its own) and by the digest of its bytes, which every run checks before
mapping it (a file that fails is removed, and the run dumps a new one). Dumps left by killed
runs are removed, and so are archives no run used for :data:`UNUSED_DAYS` days.
"""
from __future__ import annotations

import atexit
import hashlib
import os
import shutil
import time
from pathlib import Path
from typing import Any, Mapping

import xxhash

from pretrain_clean.pipeline.uri_lock import pid_alive

CDS_ENV = "PRETRAIN_CLEAN_SPARK_CDS"
UNUSED_DAYS = 30
"""An archive no run mapped (or published) for more than this many days is removed: another
JDK's, Spark version's or virtual environment's (70-115 MB each), or an old format's."""
QUIET = "-Xlog:cds=off -Xlog:cds+dynamic=off"
"""The dump warns once per class it skips (signed jars: thousands of lines)."""


def archive_dir(environ: Mapping[str, str]) -> Path | None:
    """The archive folder: unset, empty or ``1``: the user cache (``$XDG_CACHE_HOME`` or
    ``~/.cache``, then ``pretrain-clean/spark-cds``); ``0``: no archive; else that folder."""
    value = environ.get(CDS_ENV, "").strip()
    if value == "0":
        return None
    if value in ("", "1"):
        cache = environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        return Path(cache) / "pretrain-clean" / "spark-cds"
    return Path(value)


def file_digest(path: Path) -> str:
    """xxh3-128 of the file's bytes, read in blocks (about 10 ms for a 70 MB archive)."""
    digest = xxhash.xxh3_128()
    with open(path, "rb") as fh:
        while block := fh.read(8 << 20):
            digest.update(block)
    return digest.hexdigest()


def runtime_key(java_home: Path, jars: Path) -> str:
    """A key of the Java runtime (its ``libjvm.so``: path, size, time) and Spark's jars
    (their folder, names, sizes): an archive is valid only for the build and class path that
    dumped it (another virtual environment's jars are another class path, which the JVM
    would refuse silently)."""
    digest = hashlib.sha256(f"{jars.resolve()}\n".encode())
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
    """JVM options: map a published ``<key>-<digest>.jsa`` whose bytes match its digest
    (one that does not is removed, never mapped); else dump to ``.<key>.jsa.tmp-<pid>``
    (returned, to publish after the JVM exits). Dumps of dead processes are removed."""
    for archive in sorted(directory.glob(f"{key}-*.jsa")):
        if archive.stem.partition("-")[2] == file_digest(archive):
            os.utime(archive)  # its modification time says when a run last used it
            prune(directory, time.time())
            return f"-XX:SharedArchiveFile={archive} {QUIET}", None
        archive.unlink(missing_ok=True)
    directory.mkdir(parents=True, exist_ok=True)
    prune(directory, time.time())
    for stale in directory.glob(".*.jsa.tmp-*"):
        owner = stale.name.rsplit("-", 1)[1]
        if owner.isdigit() and not pid_alive(int(owner)):
            stale.unlink(missing_ok=True)
    dump = directory / f".{key}.jsa.tmp-{pid}"
    return f"-XX:ArchiveClassesAtExit={dump} {QUIET}", dump


def prune(directory: Path, now: float) -> None:
    """Remove the archives no run used for more than :data:`UNUSED_DAYS` (the one just used
    was touched); a JVM mapping one keeps its pages after the file is gone."""
    for archive in directory.glob("*.jsa"):
        try:
            if now - archive.stat().st_mtime > UNUSED_DAYS * 86400:
                archive.unlink()
        except OSError:  # removed meanwhile by another run
            pass


def publish(dump: Path, key: str, returncode: int | None) -> Path | None:
    """Rename a finished dump into place as ``<key>-<digest>.jsa`` (atomic: readers see the
    whole file or none) and return it; a JVM that did not exit cleanly leaves nothing."""
    if returncode == 0 and dump.is_file() and dump.stat().st_size > 0:
        final = dump.with_name(f"{key}-{file_digest(dump)}.jsa")
        os.replace(dump, final)
        return final
    dump.unlink(missing_ok=True)
    return None


def finish_dump(dump: Path, key: str, timeout: float = 300.0) -> None:
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
    publish(dump, key, code)


def driver_cds_options(environ: Mapping[str, str]) -> str:
    """The CDS options for the JVM about to start ("" when turned off, or when the folder
    cannot be written); registers the publication of a dump at exit."""
    directory = archive_dir(environ)
    home = java_home(environ)
    if directory is None or home is None:
        return ""
    from pyspark.find_spark_home import _find_spark_home

    key = runtime_key(home, Path(_find_spark_home()) / "jars")
    try:
        options, dump = cds_options(directory, key, os.getpid())
    except OSError:  # a read-only cache: run without an archive
        return ""
    if dump is not None:
        atexit.register(finish_dump, dump, key)
    return options
