"""The Python worker daemon of local masters (pipeline/spark_daemon.py): it imports the
modules our tasks use before it forks, starts no thread doing so, survives a failed preload,
and the user's own ``spark.python.daemon.module`` wins."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from pretrain_clean.pipeline import spark_daemon

PRELOAD = """
import sys, threading
from pretrain_clean.pipeline.spark_daemon import preload
print("OK", preload())
print("THREADS", threading.active_count())
print("LOADED", all(m in sys.modules for m in ("pretrain_clean.pipeline.parts", "pretrain_clean.pipeline.worker",
                                               "pretrain_clean.dedup.spark_io", "pretrain_clean.filters.gopher")))
"""


def test_preload_imports_the_task_modules_and_starts_no_python_thread() -> None:
    result = subprocess.run([sys.executable, "-c", PRELOAD], capture_output=True, text=True, timeout=120)
    assert result.stdout.split() == ["OK", "True", "THREADS", "1", "LOADED", "True"], result.stderr[-2000:]


def test_a_failed_preload_leaves_pyspark_s_daemon(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    from pretrain_clean.pipeline import config

    def broken() -> None:
        raise ImportError("no module named fasttext")

    monkeypatch.setattr(config, "load_stage_modules", broken)
    assert spark_daemon.preload() is False
    assert "runs without preloaded modules: ImportError('no module named fasttext')" in capsys.readouterr().err


IN_WORKER = """
import sys
from pretrain_clean.pipeline.spark_engine import spark_context
sc = spark_context(master="local[1]")
print("DAEMON", sc.getConf().get("spark.python.daemon.module", "unset"))
print("PRELOADED", sc.parallelize([0], 1).map(lambda _: "pretrain_clean.pipeline.parts" in sys.modules).collect())
"""


@pytest.mark.slow
@pytest.mark.parametrize("submit_args, daemon, preloaded", [
    (None, "pretrain_clean.pipeline.spark_daemon", True),
    ("--conf spark.python.daemon.module=pyspark.daemon pyspark-shell", "pyspark.daemon", False),  # the user's wins
])
def test_local_workers_fork_from_our_daemon(submit_args: str | None, daemon: str, preloaded: bool) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYSPARK_SUBMIT_ARGS"}
    if submit_args:
        env["PYSPARK_SUBMIT_ARGS"] = submit_args
    result = subprocess.run([sys.executable, "-c", IN_WORKER], capture_output=True, text=True, timeout=300, env=env)
    assert f"DAEMON {daemon}" in result.stdout, result.stderr[-2000:]
    assert f"PRELOADED [{preloaded}]" in result.stdout, result.stderr[-2000:]
