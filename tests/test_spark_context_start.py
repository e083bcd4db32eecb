"""The Spark context started in the background (``spark_start.ContextStart``, ``SparkEngine.start``):
the JVM starts while the driver loads the models; errors reach the caller; only a context the
engine made is stopped; Ctrl-C still cancels the jobs."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

pyspark = pytest.importorskip("pyspark")

from pretrain_clean.pipeline import spark_start  # noqa: E402
from pretrain_clean.pipeline.engine import EngineOptions, SparkEngine  # noqa: E402
from pretrain_clean.pipeline.spark_start import ContextStart  # noqa: E402


class FakeContext:
    def __init__(self) -> None:
        self.cancelled = 0

    def cancelAllJobs(self) -> None:  # noqa: N802 - pyspark's name
        self.cancelled += 1


@pytest.fixture
def no_active_context(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pyspark.SparkContext, "_active_spark_context", None)


@pytest.fixture
def keep_sigint():  # noqa: ANN201
    before = signal.getsignal(signal.SIGINT)
    yield
    signal.signal(signal.SIGINT, before)


def test_a_new_context_starts_in_a_background_thread(no_active_context: None, keep_sigint: None,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    release, context, threads = threading.Event(), FakeContext(), []

    def slow_start(app_name: str, master: str | None) -> FakeContext:
        threads.append(threading.current_thread().name)
        assert release.wait(10)
        return context

    monkeypatch.setattr(spark_start, "spark_context", slow_start)
    start = ContextStart("app", "local[1]")  # returns while the context is still starting
    assert start.started_here
    release.set()
    assert start.result() is context
    assert threads == ["spark-context-start"]


def test_its_error_is_raised_by_result(no_active_context: None, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(app_name: str, master: str | None) -> None:
        raise RuntimeError("Java gateway process exited")

    monkeypatch.setattr(spark_start, "spark_context", fail)
    start = ContextStart("app", None)
    for _ in range(2):  # every time it is asked
        with pytest.raises(RuntimeError, match="Java gateway process exited"):
            start.result()


def test_ctrl_c_cancels_the_jobs_of_a_context_started_in_the_background(no_active_context: None, keep_sigint: None,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """pyspark installs this handler only for a context made in the main thread."""
    context = FakeContext()
    monkeypatch.setattr(spark_start, "spark_context", lambda app_name, master: context)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    ContextStart("app", None).result()
    handler = signal.getsignal(signal.SIGINT)
    assert handler is not signal.default_int_handler
    with pytest.raises(KeyboardInterrupt):
        handler(signal.SIGINT, None)
    assert context.cancelled == 1


def test_an_active_context_is_taken_as_it_is(keep_sigint: None, monkeypatch: pytest.MonkeyPatch) -> None:
    active = FakeContext()
    monkeypatch.setattr(pyspark.SparkContext, "_active_spark_context", active)
    monkeypatch.setattr(spark_start, "spark_context", lambda app_name, master: active)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    start = ContextStart("app", None)
    assert not start.started_here and start._thread is None
    assert start.result() is active
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # not ours to handle


@pytest.mark.parametrize("active", [False, True])
@pytest.mark.parametrize("background", [True, False])
def test_close_stops_only_a_context_the_engine_made(keep_sigint: None, monkeypatch: pytest.MonkeyPatch,
                                                    active: bool, background: bool) -> None:
    context, stopped = FakeContext(), []
    monkeypatch.setattr(pyspark.SparkContext, "_active_spark_context", context if active else None)
    monkeypatch.setattr(spark_start, "spark_context", lambda app_name, master: context)
    monkeypatch.setattr(spark_start, "stop_spark", stopped.append)
    engine = SparkEngine(EngineOptions())
    if background:
        engine.start()
    assert engine.context is context
    engine.close()
    assert stopped == ([] if active else [context])
    engine.close()  # once
    assert len(stopped) == (0 if active else 1)


def test_close_waits_for_a_start_never_used(no_active_context: None, keep_sigint: None,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    context, stopped = FakeContext(), []
    monkeypatch.setattr(spark_start, "spark_context", lambda app_name, master: context)
    monkeypatch.setattr(spark_start, "stop_spark", stopped.append)
    engine = SparkEngine(EngineOptions())
    engine.start()
    engine.close()
    assert stopped == [context]


def test_close_after_a_failed_start_stops_nothing(no_active_context: None, monkeypatch: pytest.MonkeyPatch) -> None:
    stopped = []

    def fail(app_name: str, master: str | None) -> None:
        raise RuntimeError("no Java")

    monkeypatch.setattr(spark_start, "spark_context", fail)
    monkeypatch.setattr(spark_start, "stop_spark", stopped.append)
    engine = SparkEngine(EngineOptions())
    engine.start()
    engine.close()
    assert stopped == []
    with pytest.raises(RuntimeError, match="no Java"):  # a later job starts it again, and sees the error
        engine.context  # noqa: B018


def test_a_given_session_starts_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    class Session:
        sparkContext = FakeContext()

    monkeypatch.setattr(spark_start, "ContextStart", lambda *a, **k: pytest.fail("a context start"))
    engine = SparkEngine(EngineOptions(spark=Session()))
    engine.start()
    assert engine.context is Session.sparkContext


BAD_MODEL = """
import sys
from pyspark import SparkContext
from pretrain_clean.pipeline.clean import CleanOptions, clean
from pretrain_clean.pipeline.config import load_config
spec = load_config("default", [f"stages.language_id.model_path={sys.argv[1]}"])
try:
    clean(spec, [sys.argv[2]], sys.argv[3], CleanOptions("spark", show_progress=False))
except Exception as error:
    print("ERROR", type(error).__name__, error)
import threading
for thread in threading.enumerate():  # a start still under way would make the context later
    if thread.name == "spark-context-start":
        thread.join()
print("ACTIVE", SparkContext._active_spark_context)
"""


@pytest.mark.slow
def test_a_model_error_during_the_background_start_stops_the_context(tmp_path: Path) -> None:
    """The JVM starts while the models load: a model that fails to load is still the error
    the user sees, no output is made, and the context started for the run is stopped."""
    bad = tmp_path / "bad.ftz"
    bad.write_text("not a model\n")
    sample = Path(__file__).resolve().parent.parent / "data" / "sample" / "web_en"
    env = {k: v for k, v in os.environ.items() if k != "PYSPARK_SUBMIT_ARGS"}
    result = subprocess.run([sys.executable, "-c", BAD_MODEL, str(bad), str(sample), str(tmp_path / "out")],
                            capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "ERROR ConfigError" in result.stdout and "not a readable fastText model" in result.stdout
    assert "ACTIVE None" in result.stdout
    assert not (tmp_path / "out").exists()


def test_the_clean_command_starts_the_engine_before_loading_the_config(monkeypatch: pytest.MonkeyPatch) -> None:
    """The JVM's start overlaps the stages' imports and the config's loading; an error there
    stops what was started, and is the error raised."""
    from pretrain_clean.cli import clean as clean_command
    from pretrain_clean.errors import ConfigError
    from pretrain_clean.pipeline import config

    calls = []

    class Engine:
        def start(self) -> None:
            calls.append("start")

        def close(self) -> None:
            calls.append("close")

    def load_config(path: str, overrides: list[str]) -> None:
        calls.append("load_config")
        raise ConfigError("bad config")

    monkeypatch.setattr(clean_command, "engine_for", lambda name, options: calls.append(name) or Engine())
    monkeypatch.setattr(config, "load_config", load_config)
    with pytest.raises(ConfigError, match="bad config"):
        clean_command.main(["--engine", "spark", "--config", "x.toml", "--input", "in", "--output", "out"])
    assert calls == ["spark", "start", "load_config", "close"]
