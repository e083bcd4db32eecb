"""The packed-environment recipe of docs/cluster.md, for real: ``venv-pack`` an environment with
the package, then ``spark-submit --archives env.tar.gz#env`` on a standalone cluster whose
executors run ``./env/bin/python`` (the unpacked archive in their own work directory), with no
PYTHONPATH to this checkout anywhere.

To keep CI off the network and under its time budget, the packed venv holds this package (built
from the checkout) and reaches the third-party dependencies through a ``.pth`` line naming this
machine's environment; on a real cluster ``pip install '.[s3]'`` puts them in the archive too.
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
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True)
    subprocess.run([sys.executable, "-m", "pip", "--python", str(env / "bin" / "python"), "install", "--quiet",
                    "--no-deps", "--no-build-isolation", str(ROOT)], check=True, cwd=tmp)
    packages = next((env / "lib").glob("python3*/site-packages"))
    (packages / "_machine_deps.pth").write_text(site.getsitepackages()[0] + "\n")
    archive = tmp / "env.tar.gz"
    subprocess.run([str(Path(sys.executable).with_name("venv-pack")), "-p", str(env), "-o", str(archive), "-q"],
                   check=True)
    return archive


def _rows(folder: Path) -> int:
    return sum(pq.ParquetFile(p).metadata.num_rows for p in folder.glob("*.parquet"))


def test_venv_pack_archive_runs_the_clean_job_on_a_standalone_cluster(tmp_path: Path) -> None:
    archive = _packed_env(tmp_path)
    unpacked = tmp_path / "driver-env"  # the driver uses the same archive, unpacked here
    unpacked.mkdir()
    subprocess.run(["tar", "-xzf", str(archive), "-C", str(unpacked)], check=True)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYSPARK_PYTHON", "PYSPARK_DRIVER_PYTHON")}
    env.update({"SPARK_LOCAL_IP": "127.0.0.1", "PYSPARK_DRIVER_PYTHON": str(unpacked / "bin" / "python")})
    sample = ROOT / "data" / "sample"
    out = tmp_path / "out"
    cluster = Cluster(tmp_path / "cluster", env, workers=1).start()
    try:
        submit = [spark_bin("spark-submit"), "--master", cluster.master_url,
                  "--archives", f"{archive}#env", "--conf", "spark.pyspark.python=./env/bin/python",
                  "--conf", "spark.ui.enabled=false", "--executor-memory", "1g", "--driver-memory", "1g",
                  str(ROOT / "jobs" / "clean.py"), "--config", "minimal", "--input", str(sample),
                  "--output", str(out), "--engine", "spark", "--quiet"]
        done = subprocess.run(submit, env=env, capture_output=True, text=True, timeout=600, cwd=tmp_path)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
        executors = list((tmp_path / "cluster" / "worker-0" / "work").glob("app-*/*/env/bin/python"))
        assert executors, "no executor unpacked the archive"
    finally:
        cluster.stop()
    local = tmp_path / "local"
    subprocess.run([str(unpacked / "bin" / "python"), "-m", "pretrain_clean", "clean", "--config", "minimal",
                    "--input", str(sample), "--output", str(local), "--quiet"], check=True, env=env, cwd=tmp_path)
    for sub in ("kept", "rejected", "quarantine"):
        assert _rows(out / sub) == _rows(local / sub), sub
    assert _rows(out / "kept") > 0
