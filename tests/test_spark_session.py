"""How our code starts Spark: the driver JVM options it adds for local masters, and when the
user's own options win instead."""
from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from pretrain_clean.pipeline.spark_start import LOCAL_DRIVER_JAVA_OPTIONS, console_progress_off, local_driver_java_options


@pytest.mark.parametrize("master", [None, "local", "local[2]", "local[*]"])
def test_local_masters_get_the_options(master: str | None) -> None:
    assert local_driver_java_options(master, {}, None) == LOCAL_DRIVER_JAVA_OPTIONS


@pytest.mark.parametrize("master", ["spark://host:7077", "yarn", "k8s://https://host"])
def test_cluster_masters_keep_the_jvm_defaults(master: str) -> None:
    assert local_driver_java_options(master, {}, None) is None


@pytest.mark.parametrize("environ", [
    {"PYSPARK_SUBMIT_ARGS": '--driver-java-options "-Xss4m" pyspark-shell'},
    {"PYSPARK_SUBMIT_ARGS": "--conf spark.driver.extraJavaOptions=-Xss4m pyspark-shell"},
    {"PYSPARK_SUBMIT_ARGS": "--properties-file my.conf pyspark-shell"},
    {"JDK_JAVA_OPTIONS": "-XX:+UseG1GC"},  # a second collector on the command line would stop the JVM
    {"JAVA_TOOL_OPTIONS": "-Xmx2g"},
])
def test_the_users_own_options_win(environ: dict[str, str]) -> None:
    assert local_driver_java_options("local[2]", environ, None) is None


def test_other_submit_args_keep_the_options() -> None:
    environ = {"PYSPARK_SUBMIT_ARGS": "--driver-memory 2g pyspark-shell"}
    assert local_driver_java_options("local[2]", environ, None) == LOCAL_DRIVER_JAVA_OPTIONS


@pytest.mark.parametrize("line, user_set", [
    ("spark.driver.extraJavaOptions -Xss4m", True),
    ("spark.driver.extraJavaOptions=-Xss4m", True),
    ("  spark.driver.extraJavaOptions\t-Xss4m", True),
    ("# spark.driver.extraJavaOptions -Xss4m", False),
    ("spark.driver.extraJavaOptionsX -Xss4m", False),
    ("spark.executor.extraJavaOptions -Xss4m", False),
])
def test_spark_defaults_conf(tmp_path: Path, line: str, user_set: bool) -> None:
    defaults = tmp_path / "spark-defaults.conf"
    defaults.write_text(f"spark.master local[2]\n{line}\n")
    expected = None if user_set else LOCAL_DRIVER_JAVA_OPTIONS
    assert local_driver_java_options("local[2]", {}, defaults) == expected
    assert local_driver_java_options("local[2]", {}, tmp_path / "absent.conf") == LOCAL_DRIVER_JAVA_OPTIONS


JVM_ARGS = """
from pretrain_clean.pipeline.spark_start import spark_session
jvm = spark_session(master="local[1]").sparkContext._jvm
print("ARGS", list(jvm.java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()))
"""


@pytest.mark.slow
@pytest.mark.parametrize("submit_args, expected", [
    (None, ["-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"]),
    ('--driver-java-options "-XX:TieredStopAtLevel=4" pyspark-shell', ["-XX:TieredStopAtLevel=4"]),
])
def test_the_driver_jvm_we_start_runs_with_them(tmp_path: Path, submit_args: str | None, expected: list[str]) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("PYSPARK_SUBMIT_ARGS", "JDK_JAVA_OPTIONS", "JAVA_TOOL_OPTIONS")}
    if submit_args:
        env["PYSPARK_SUBMIT_ARGS"] = submit_args
    result = subprocess.run([sys.executable, "-c", JVM_ARGS], capture_output=True, text=True, timeout=300, env=env)
    line = next((x for x in result.stdout.splitlines() if x.startswith("ARGS ")), None)
    assert line is not None, result.stderr[-2000:]
    args = [a for a in ast.literal_eval(line[5:]) if a.startswith(("-XX:Tiered", "-XX:+Use"))]
    assert args == expected


@pytest.mark.parametrize("environ, defaults, off", [
    ({}, None, True),
    ({"PYSPARK_SUBMIT_ARGS": "--driver-memory 2g pyspark-shell"}, None, True),
    ({"PYSPARK_SUBMIT_ARGS": "--conf spark.ui.showConsoleProgress=true pyspark-shell"}, None, False),
    ({"PYSPARK_SUBMIT_ARGS": "--properties-file my.conf pyspark-shell"}, None, False),
    ({}, "spark.ui.showConsoleProgress true", False),
    ({}, "# spark.ui.showConsoleProgress true", True),
])
def test_console_progress_off_unless_the_user_set_it(tmp_path: Path, environ: dict[str, str], defaults: str | None,
                                                     off: bool) -> None:
    conf = tmp_path / "spark-defaults.conf"
    if defaults is not None:
        conf.write_text(defaults + "\n")
    assert console_progress_off(environ, conf) is off


PROGRESS_BAR = """
import time
from pretrain_clean.pipeline.spark_start import spark_session
spark = spark_session(master="local[1]")
print("CONF", spark.sparkContext.getConf().get("spark.ui.showConsoleProgress", "unset"), flush=True)
spark.range(0, 1, 1, 1).mapInArrow(lambda batches: (time.sleep(3) or b for b in batches), "id long").collect()
"""


@pytest.mark.slow
@pytest.mark.parametrize("submit_args, bar", [
    (None, False),
    ("--conf spark.ui.showConsoleProgress=true pyspark-shell", True),  # the user's setting wins
])
def test_no_console_progress_bar_from_a_jvm_we_start(submit_args: str | None, bar: bool) -> None:
    """A JVM started from Python counts as a shell to Spark, which then drew its progress bar
    (``[Stage 0:>``) on stderr, also under ``--quiet``; a 3-second task would show it."""
    env = {k: v for k, v in os.environ.items() if k != "PYSPARK_SUBMIT_ARGS"}
    if submit_args:
        env["PYSPARK_SUBMIT_ARGS"] = submit_args
    result = subprocess.run([sys.executable, "-c", PROGRESS_BAR], capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    assert f"CONF {'true' if bar else 'false'}" in result.stdout
    assert ("[Stage " in result.stderr) is bar, result.stderr[-2000:]


NO_SESSION = """
import sys
from pyspark.sql import session


def refuse(self):
    raise AssertionError("a SparkSession was made")


session.SparkSession.Builder.getOrCreate = refuse
from pretrain_clean.cli.main import main

sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.slow
def test_clean_and_dedup_on_spark_make_no_session(tmp_path: Path) -> None:
    """The clean job's Spark tasks and a small input's dedup run on the ``SparkContext``
    alone: Spark SQL's session costs the driver JVM about 3 CPU-s at start-up."""
    docs = Path(__file__).resolve().parent.parent / "data" / "sample" / "web_en" / "demos_data_mixture_data_redpajama-c4-refined.jsonl"
    env = {k: v for k, v in os.environ.items() if k != "PYSPARK_SUBMIT_ARGS"}
    result = subprocess.run([sys.executable, "-c", NO_SESSION, "clean", "--engine", "spark", "--config", "default",
                             "--input", str(docs), "--output", str(tmp_path / "out"), "--quiet"],
                            capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    rows = {d: sum(pq.read_metadata(f).num_rows for f in (tmp_path / "out" / d).glob("*.parquet"))
            for d in ("kept", "rejected", "quarantine")}
    assert (tmp_path / "out" / "dedup_report.json").is_file()
    assert rows["kept"] >= 1 and sum(rows.values()) == len(docs.read_text().splitlines())


@pytest.mark.parametrize("master, environ, python", [
    (None, {}, sys.executable), ("local[2]", {}, sys.executable), ("local", {"PYSPARK_PYTHON": ""}, sys.executable),
    ("local[2]", {"PYSPARK_PYTHON": "/opt/py/bin/python"}, None),  # the user's choice
    ("spark://host:7077", {}, None), ("yarn", {}, None),  # a cluster's executors have their own
])
def test_local_workers_run_this_interpreter(master: str | None, environ: dict[str, str], python: str | None) -> None:
    from pretrain_clean.pipeline.spark_start import local_workers_python

    assert local_workers_python(master, environ) == python


WORKER_PYTHON = """
import sys
from pretrain_clean.pipeline.spark_start import spark_context
context = spark_context(master="local[1]")
print("WORKER", context.parallelize([0], 1).map(lambda _: __import__("sys").executable).collect()[0])
print("DRIVER", sys.executable)
"""


@pytest.mark.slow
def test_a_venv_not_activated_still_runs_its_spark_tasks(tmp_path: Path) -> None:
    """``.venv/bin/pretrain-clean`` run without activating the venv: ``python3`` on ``PATH``
    is another interpreter (here: none at all), and the workers must not use it."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYSPARK_SUBMIT_ARGS", "PYSPARK_PYTHON")}
    env["PATH"] = os.pathsep.join([str(tmp_path), "/usr/bin", "/bin"])  # no python3 of this venv on it
    (tmp_path / "python3").write_text("#!/bin/sh\nexit 3\n")
    (tmp_path / "python3").chmod(0o755)
    java = shutil.which("java")
    if java:
        (tmp_path / "java").symlink_to(java)
    result = subprocess.run([sys.executable, "-c", WORKER_PYTHON], capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    assert f"WORKER {sys.executable}" in result.stdout and f"DRIVER {sys.executable}" in result.stdout
