"""The packed-environment recipe of docs/cluster.md, for real: ``venv-pack`` an environment with
the package, then ``spark-submit --archives env.tar.gz#env`` on a standalone cluster whose
executors run ``./env/bin/python`` (the unpacked archive in their own work directory), with no
PYTHONPATH to this checkout anywhere.

To stay under CI's time budget, the packed venv holds only this package (``pip install
--no-deps`` of the checkout, as ``tests/test_install.py`` builds it); the third-party
dependencies come from this machine's environment through ``PYTHONPATH`` naming its
site-packages (venv-pack refuses a ``.pth`` line to a folder outside the venv). That folder has
no copy of this package (only the editable install's hook, which ``PYTHONPATH`` does not run),
and the test checks that every executor imported the package from its unpacked archive. On a
real cluster ``pip install '.[s3]'`` puts the dependencies in the archive too.
"""
from __future__ import annotations

import os
import site
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from conftest import ROOT
from spark_cluster import Cluster, spark_bin

pytestmark = pytest.mark.slow


def _packed_env(tmp: Path) -> Path:
    pytest.importorskip("venv_pack")
    env = tmp / "env"
    subprocess.run([sys.executable, "-m", "venv", str(env)], check=True)
    subprocess.run([str(env / "bin" / "pip"), "install", "--quiet", "--no-deps", str(ROOT)], check=True, cwd=tmp)
    archive = tmp / "env.tar.gz"
    subprocess.run([str(Path(sys.executable).with_name("venv-pack")), "-p", str(env), "-o", str(archive), "-q"],
                   check=True)
    return archive


PROBE = """
import sys
from pretrain_clean.pipeline.spark_start import spark_session
context = spark_session().sparkContext
where = context.parallelize(range(4), 4).map(lambda _: __import__("pretrain_clean").__file__).collect()
print("driver imports", __import__("pretrain_clean").__file__)
print("executors import", *sorted(set(where)))
from pretrain_clean.cli.main import run
sys.exit(run("clean", sys.argv[1:]))
"""


def _rows(folder: Path) -> int:
    return sum(pq.ParquetFile(p).metadata.num_rows for p in folder.glob("*.parquet"))


def test_venv_pack_archive_runs_the_clean_job_on_a_standalone_cluster(tmp_path: Path) -> None:
    archive = _packed_env(tmp_path)
    unpacked = tmp_path / "driver-env"  # the driver uses the same archive, unpacked here
    unpacked.mkdir()
    subprocess.run(["tar", "-xzf", str(archive), "-C", str(unpacked)], check=True)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYSPARK_PYTHON", "PYSPARK_DRIVER_PYTHON")}
    deps = site.getsitepackages()[0]
    env.update({"SPARK_LOCAL_IP": "127.0.0.1", "PYTHONPATH": deps})
    (tmp_path / "probe.py").write_text(PROBE)
    sample = ROOT / "data" / "sample"
    out = tmp_path / "out"
    cluster = Cluster(tmp_path / "cluster", env, workers=1).start()
    try:
        submit = [spark_bin("spark-submit"), "--master", cluster.master_url,
                  "--archives", f"{archive}#env", "--conf", "spark.pyspark.python=./env/bin/python",
                  "--conf", f"spark.pyspark.driver.python={unpacked / 'bin' / 'python'}",  # client mode
                  "--conf", f"spark.executorEnv.PYTHONPATH={deps}",
                  "--conf", "spark.ui.enabled=false", "--executor-memory", "1g", "--driver-memory", "1g",
                  str(tmp_path / "probe.py"), "--config", "minimal", "--input", str(sample),
                  "--output", str(out), "--engine", "spark", "--quiet"]
        done = subprocess.run(submit, env=env, capture_output=True, text=True, timeout=600, cwd=unpacked)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
        executors = list((tmp_path / "cluster" / "worker-0" / "work").glob("app-*/*/env/bin/python"))
        assert executors, "no executor unpacked the archive"
        imported = next(line for line in done.stdout.splitlines() if line.startswith("executors import")).split()[2:]
        driver = next(line for line in done.stdout.splitlines() if line.startswith("driver imports")).split()[2]
        assert driver.startswith(str(unpacked)), driver
        assert imported and all(path.startswith(str(tmp_path / "cluster" / "worker-0" / "work"))
                                and path.endswith("/site-packages/pretrain_clean/__init__.py") for path in imported), imported
    finally:
        cluster.stop()
    local = tmp_path / "local"
    subprocess.run([str(unpacked / "bin" / "python"), "-m", "pretrain_clean", "clean", "--config", "minimal",
                    "--input", str(sample), "--output", str(local), "--quiet"], check=True, env=env, cwd=tmp_path)
    for sub in ("kept", "rejected", "quarantine"):
        assert _rows(out / sub) == _rows(local / sub), sub
    assert _rows(out / "kept") > 0
