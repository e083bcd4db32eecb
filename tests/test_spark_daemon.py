"""Our Python worker daemon (``pipeline/spark_daemon.py``): Spark's zips of pyspark and py4j
are left off the workers' path only where the same version is installed, and the workers of a
context our code makes then import the installed pyspark."""
from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from pretrain_clean.pipeline import spark_daemon
from pretrain_clean.pipeline.spark_daemon import python_path_without_installed_zips, zipped_package


@pytest.mark.parametrize("entry, package", [
    ("/spark/python/lib/pyspark.zip", "pyspark"),
    ("pyspark.zip", "pyspark"),
    ("/spark/python/lib/py4j-0.10.9.9-src.zip", "py4j"),
    ("/spark/python/lib/pyspark.zip.bak", None),
    ("/spark/python/lib/py4j.zip", None),
    ("/spark/python/lib/other.zip", None),
    ("/spark/python/lib", None),
    ("", None),
])
def test_zipped_package(entry: str, package: str | None) -> None:
    assert zipped_package(entry) == package


def _zip(path: Path, package: str, version: bytes | None) -> str:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"{package}/__init__.py", "")
        if version is not None:
            archive.writestr(f"{package}/version.py", version)
    return str(path)


def _install(site: Path, package: str, version: bytes) -> str:
    (site / package).mkdir(parents=True)
    (site / package / "__init__.py").write_text("")
    (site / package / "version.py").write_bytes(version)
    return str(site)


V1, V2 = b"__version__ = '4.3.0'\n", b"__version__ = '4.3.1'\n"


def test_a_zip_of_the_installed_version_is_left_off(tmp_path: Path) -> None:
    spark_zip = _zip(tmp_path / "pyspark.zip", "pyspark", V1)
    py4j_zip = _zip(tmp_path / "py4j-0.10.9.9-src.zip", "py4j", b"__version__ = '0.10.9.9'\n")
    site = tmp_path / "site"
    _install(site, "pyspark", V1)
    _install(site, "py4j", b"__version__ = '0.10.9.9'\n")
    path = os.pathsep.join([spark_zip, py4j_zip, "/jobs", "/user/lib"])
    assert python_path_without_installed_zips(path, [str(site)]) == os.pathsep.join(["/jobs", "/user/lib"])


def test_each_zip_is_judged_on_its_own(tmp_path: Path) -> None:
    spark_zip = _zip(tmp_path / "pyspark.zip", "pyspark", V1)
    py4j_zip = _zip(tmp_path / "py4j-0.10.9.9-src.zip", "py4j", b"__version__ = '0.10.9.9'\n")
    site = tmp_path / "site"
    _install(site, "pyspark", V1)  # py4j not installed
    path = os.pathsep.join([spark_zip, py4j_zip])
    assert python_path_without_installed_zips(path, [str(site)]) == py4j_zip


@pytest.mark.parametrize("case", ["other version", "not installed", "zip without version.py", "not a zip",
                                  "no zip file", "installed without version.py"])
def test_the_zip_stays_unless_the_same_version_is_installed(tmp_path: Path, case: str) -> None:
    site = tmp_path / "site"
    spark_zip = tmp_path / "pyspark.zip"
    if case == "zip without version.py":
        _zip(spark_zip, "pyspark", None)
    elif case == "not a zip":
        spark_zip.write_bytes(b"not a zip")
    elif case != "no zip file":
        _zip(spark_zip, "pyspark", V1)
    if case == "other version":
        _install(site, "pyspark", V2)
    elif case == "installed without version.py":
        _install(site, "pyspark", V1)
        (site / "pyspark" / "version.py").unlink()
    elif case != "not installed":
        _install(site, "pyspark", V1)
    path = os.pathsep.join(["/before", str(spark_zip), "/after"])
    assert python_path_without_installed_zips(path, [str(site)]) == path


def test_an_empty_path_stays_empty(tmp_path: Path) -> None:
    assert python_path_without_installed_zips("", [str(tmp_path)]) == ""


def test_main_starts_pyspark_s_daemon_in_a_new_interpreter_without_the_zip(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    spark_zip = _zip(tmp_path / "pyspark.zip", "pyspark", V1)
    site = tmp_path / "site"
    _install(site, "pyspark", V1)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([spark_zip, "/jobs"]))
    monkeypatch.setattr(sys, "path", [spark_zip, str(site)])
    monkeypatch.setattr(sys, "argv", ["spark_daemon.py", "pyspark.worker"])
    started = []
    monkeypatch.setattr(os, "execv", lambda exe, argv: started.append((exe, argv, os.environ["PYTHONPATH"])))
    monkeypatch.setattr(spark_daemon.runpy, "run_module", lambda *a, **k: started.append("here"))
    spark_daemon.main()
    assert started[0] == (sys.executable, [sys.executable, "-m", "pyspark.daemon", "pyspark.worker"], "/jobs")


def test_main_runs_pyspark_s_daemon_here_when_nothing_is_left_off(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    spark_zip = _zip(tmp_path / "pyspark.zip", "pyspark", V1)
    monkeypatch.setenv("PYTHONPATH", spark_zip)
    monkeypatch.setattr(sys, "path", [spark_zip])  # not installed
    monkeypatch.setattr(os, "execv", lambda *a: pytest.fail("a new interpreter"))
    ran = []
    monkeypatch.setattr(spark_daemon.runpy, "run_module", lambda name, **kwargs: ran.append((name, kwargs)))
    spark_daemon.main()
    assert ran == [("pyspark.daemon", {"run_name": "__main__", "alter_sys": True})]
    assert os.environ["PYTHONPATH"] == spark_zip


def test_main_without_a_pythonpath_runs_here(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PYTHONPATH", raising=False)
    monkeypatch.setattr(os, "execv", lambda *a: pytest.fail("a new interpreter"))
    ran = []
    monkeypatch.setattr(spark_daemon.runpy, "run_module", lambda name, **kwargs: ran.append(name))
    spark_daemon.main()
    assert ran == ["pyspark.daemon"] and "PYTHONPATH" not in os.environ


WORKER_PYSPARK = """
import os
from pretrain_clean.pipeline.spark_start import spark_context
context = spark_context(master="local[1]")
print("DAEMON", context.getConf().get("spark.python.daemon.module"))
def where(_):
    import pyspark
    return pyspark.__file__, os.environ.get("PYTHONPATH", "")
print("WORKER", *context.parallelize([0], 1).map(where).collect()[0], sep="\\n")
"""


@pytest.mark.slow
@pytest.mark.parametrize("daemon", [None, "pyspark.daemon"])
def test_the_workers_import_the_installed_pyspark(daemon: str | None) -> None:
    """Run a task on a context our code makes: its worker imports pyspark from the installed
    package, not from Spark's zip (a user's ``spark.python.daemon.module`` wins, and then
    the worker imports the zip, as Spark does)."""
    pyspark = pytest.importorskip("pyspark")
    env = {k: v for k, v in os.environ.items() if k != "PYSPARK_SUBMIT_ARGS"}
    env["PYSPARK_PYTHON"] = sys.executable
    if daemon:
        env["PYSPARK_SUBMIT_ARGS"] = f"--conf spark.python.daemon.module={daemon} pyspark-shell"
    result = subprocess.run([sys.executable, "-c", WORKER_PYSPARK], capture_output=True, text=True, timeout=300,
                            env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.splitlines()
    assert f"DAEMON {daemon or 'pretrain_clean.pipeline.spark_daemon'}" in lines
    worker_file, worker_path = lines[lines.index("WORKER") + 1:lines.index("WORKER") + 3]
    zipped = Path(pyspark.__file__).parent / "python" / "lib" / "pyspark.zip"
    if daemon:
        assert worker_file.startswith(str(zipped)) and str(zipped) in worker_path.split(os.pathsep)
    else:
        assert worker_file == pyspark.__file__ and str(zipped) not in worker_path.split(os.pathsep)
