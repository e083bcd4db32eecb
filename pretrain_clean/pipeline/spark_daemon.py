"""Spark's Python worker daemon, started without Spark's zips of packages that are installed.

Spark puts ``$SPARK_HOME/python/lib/pyspark.zip`` and py4j's source zip first on the Python
workers' ``PYTHONPATH``. Python keeps no bytecode for modules imported from a zip, so pyspark's
daemon compiled pyspark from source on every start: 0.36 CPU-s, serial, before the first task
of every run (docs/cluster.md). A pip install of pyspark holds both zips inside the installed
packages, as copies of them. Where a zipped package is installed at the same version (its
``version.py`` reads the same), this module runs pyspark's own daemon with that zip left off
``PYTHONPATH`` (a new interpreter in the same process: the JVM keeps its handle), so the
installed package and its cached bytecode are used; otherwise it runs the daemon unchanged.

:func:`pipeline.spark_start.spark_context` sets this module as ``spark.python.daemon.module``
unless the user set one. Executors need our package importable, as every task does already.
"""
from __future__ import annotations

import fnmatch
import os
import runpy
import sys
import zipfile
from importlib.machinery import PathFinder

DAEMON = "pyspark.daemon"
"""pyspark's daemon module, which this one runs."""

SPARK_ZIPS = {"pyspark.zip": "pyspark", "py4j-*-src.zip": "py4j"}
"""File-name patterns of the zips Spark puts on the workers' path, and the package each holds."""


def zipped_package(entry: str) -> str | None:
    """The package a path entry holds when it is one of Spark's zips (:data:`SPARK_ZIPS`)."""
    name = os.path.basename(entry)
    return next((package for pattern, package in SPARK_ZIPS.items() if fnmatch.fnmatchcase(name, pattern)), None)


def installed_same(entry: str, package: str, search: list[str]) -> bool:
    """Whether ``package`` is importable from ``search`` (outside the zip ``entry``) with the
    same ``version.py`` as the zip's copy."""
    spec = PathFinder.find_spec(package, search)
    if spec is None or not spec.submodule_search_locations:
        return False
    try:
        with zipfile.ZipFile(entry) as archive:
            zipped = archive.read(f"{package}/version.py")
        with open(os.path.join(spec.submodule_search_locations[0], "version.py"), "rb") as installed:
            return installed.read() == zipped
    except (OSError, KeyError, zipfile.BadZipFile):
        return False


def python_path_without_installed_zips(python_path: str, search: list[str]) -> str:
    """``python_path`` without Spark's zips whose package ``search`` (the interpreter's path
    with those zips taken out) finds installed at the same version; other entries in order."""
    entries = python_path.split(os.pathsep) if python_path else []
    kept = []
    for entry in entries:
        package = zipped_package(entry)
        if package is None or not installed_same(entry, package, search):
            kept.append(entry)
    return os.pathsep.join(kept)


def main() -> None:
    """Run pyspark's daemon: in a new interpreter with a shorter ``PYTHONPATH`` where that
    avoids a zip, else here."""
    python_path = os.environ.get("PYTHONPATH", "")
    search = [entry for entry in sys.path if zipped_package(entry) is None]
    shorter = python_path_without_installed_zips(python_path, search)
    if shorter != python_path:
        os.environ["PYTHONPATH"] = shorter
        os.execv(sys.executable, [sys.executable, "-m", DAEMON, *sys.argv[1:]])
    runpy.run_module(DAEMON, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
