"""How our code starts and stops Spark: the driver JVM's options for a local master, the
context (:func:`spark_context`, begun in the background by :class:`ContextStart`), the session
made on it only where DataFrames are needed (:func:`spark_session`), and stopping them.

Kept apart from :mod:`pipeline.spark_engine` (the jobs) and light to import: the clean job
begins the context before it imports the stages and loads the config, so that the driver JVM's
start (about a second) overlaps them.
"""
from __future__ import annotations

import os
import re
import signal
import sys
import threading
from pathlib import Path
from typing import Mapping

from pretrain_clean.pipeline.spark_cds import driver_cds_options

LOCAL_DRIVER_JAVA_OPTIONS = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
"""Driver JVM options when our code starts the JVM for a ``local[N]`` master: in local mode the
driver JVM only plans and schedules small jobs while Python does the work, and C1-only JIT plus
the serial collector cut its CPU by about a third (docs/cluster.md, "Spark local[2]")."""


def _in_defaults(defaults_file: Path | None, key: str) -> bool:
    """Whether ``spark-defaults.conf`` sets ``key`` (a line not commented out)."""
    if defaults_file is None or not defaults_file.is_file():
        return False
    return re.search(rf"^\s*{re.escape(key)}[\s=:]", defaults_file.read_text(), re.MULTILINE) is not None


def local_driver_java_options(master: str | None, environ: Mapping[str, str], defaults_file: Path | None) -> str | None:
    """:data:`LOCAL_DRIVER_JAVA_OPTIONS` when a JVM we launch for ``master`` (``None``: our
    ``local[*]``) should get them: a local master and no JVM options of the user's own
    (``PYSPARK_SUBMIT_ARGS``, ``spark-defaults.conf``, ``JDK_JAVA_OPTIONS``/``JAVA_TOOL_OPTIONS``,
    where a second garbage collector would stop the JVM)."""
    if master is not None and not master.startswith("local"):
        return None
    submit_args = environ.get("PYSPARK_SUBMIT_ARGS", "")
    if any(flag in submit_args for flag in ("--driver-java-options", "spark.driver.extraJavaOptions",
                                            "--properties-file")):
        return None
    if environ.get("JDK_JAVA_OPTIONS") or environ.get("JAVA_TOOL_OPTIONS"):
        return None
    if _in_defaults(defaults_file, "spark.driver.extraJavaOptions"):
        return None
    return LOCAL_DRIVER_JAVA_OPTIONS


CONSOLE_PROGRESS = "spark.ui.showConsoleProgress"
DAEMON_MODULE = "spark.python.daemon.module"
DAEMON = "pretrain_clean.pipeline.spark_daemon"
"""Our Python worker daemon (pyspark's, without re-compiling pyspark from Spark's zip: see
:mod:`pipeline.spark_daemon`), set on every context we make unless the user set one."""


def console_progress_off(environ: Mapping[str, str], defaults_file: Path | None) -> bool:
    """Whether a JVM we launch should get ``spark.ui.showConsoleProgress=false``: Spark turns
    its console progress bar on for a JVM started from Python (it counts as a shell), which
    then drew over our own progress lines and printed under ``--quiet``. The user's setting
    (``PYSPARK_SUBMIT_ARGS``, a ``--properties-file`` there, ``spark-defaults.conf``) wins."""
    submit_args = environ.get("PYSPARK_SUBMIT_ARGS", "")
    if CONSOLE_PROGRESS in submit_args or "--properties-file" in submit_args:
        return False
    return not _in_defaults(defaults_file, CONSOLE_PROGRESS)


def local_workers_python(master: str | None, environ: Mapping[str, str]) -> str | None:
    """The interpreter for the Python workers of a local master our code starts: this one
    (``sys.executable``), unless ``PYSPARK_PYTHON`` names one. pyspark's default, ``python3``
    on ``PATH``, is another interpreter when the virtual environment is not activated (its
    ``bin/pretrain-clean`` run directly), one without this package: every task failed."""
    if master is not None and not master.startswith("local"):
        return None
    return None if environ.get("PYSPARK_PYTHON") else sys.executable


def use_this_python(master: str | None) -> None:
    """Set ``PYSPARK_PYTHON`` (read by pyspark when a context is made) to
    :func:`local_workers_python`'s choice, unless under spark-submit (which sets it from its
    options). Called in the main thread before a background start, as the environment is
    shared with native code."""
    if "PYSPARK_GATEWAY_PORT" not in os.environ:
        python = local_workers_python(master, os.environ)
        if python:
            os.environ["PYSPARK_PYTHON"] = python


def _spark_defaults_file() -> Path | None:
    from pyspark.find_spark_home import _find_spark_home

    conf_dir = os.environ.get("SPARK_CONF_DIR") or os.path.join(_find_spark_home(), "conf")
    return Path(conf_dir) / "spark-defaults.conf"


def spark_context(app_name: str = "pretrain-clean", master: str | None = None):  # noqa: ANN201
    """The active context; else a new one on ``master`` if given; else with spark-submit's
    settings (its ``--master`` and ``--conf`` win); else (plain ``python``) local, all cores.
    A driver JVM started here for a local master gets :data:`LOCAL_DRIVER_JAVA_OPTIONS` (and
    the class-data-sharing archive, :mod:`pipeline.spark_cds`), and any JVM started
    here no console progress bar (:func:`console_progress_off`); the Python workers of a local
    master run this interpreter (:func:`local_workers_python`). Any context made here runs
    :data:`DAEMON` as its Python worker daemon unless ``spark.python.daemon.module`` is set.
    No ``SparkSession``."""
    from pyspark import SparkConf, SparkContext

    active = SparkContext._active_spark_context
    if active is not None:
        return active
    launch = SparkConf(loadDefaults=False)
    if SparkContext._gateway is None and "PYSPARK_GATEWAY_PORT" not in os.environ:  # we start the JVM
        defaults = _spark_defaults_file()
        options = local_driver_java_options(master, os.environ, defaults)
        if options:  # only the launcher's command line can set them: the JVM reads them at start
            launch.set("spark.driver.extraJavaOptions", f"{options} {driver_cds_options(os.environ)}".strip())
        if console_progress_off(os.environ, defaults):
            launch.set(CONSOLE_PROGRESS, "false")
    use_this_python(master)
    SparkContext._ensure_initialized(conf=launch)
    conf = SparkConf().setAppName(app_name)  # under spark-submit: holds its --conf values
    if not conf.contains("spark.log.level"):  # Spark's own INFO lines only when asked for
        conf.set("spark.log.level", "WARN")
    if not conf.contains(DAEMON_MODULE):
        conf.set(DAEMON_MODULE, DAEMON)
    if master:
        conf.setMaster(master)
    elif "PYSPARK_GATEWAY_PORT" not in os.environ:  # not launched by spark-submit
        conf.setMaster("local[*]").set("spark.ui.enabled", "false")
    return SparkContext.getOrCreate(conf)


class ContextStart:
    """:func:`spark_context`, begun now and taken with :meth:`result`. When no context is
    active, a new one starts in a background thread: the driver JVM's start (about a second)
    then overlaps the driver's own set-up (loading the models, listing the inputs).

    pyspark is imported in the calling thread, and there too, while the JVM starts, what the
    first call into the JVM imports (pyspark's ``NumpyArrayConverter`` imports
    ``pyspark.testing.utils``, and with it pandas): the thread then imports nothing while the
    caller goes on to import the stages' modules (two threads importing the same packages at
    once can deadlock on their import locks).
    """

    def __init__(self, app_name: str = "pretrain-clean", master: str | None = None, background: bool = True) -> None:
        from pyspark import SparkContext

        self.started_here = SparkContext._active_spark_context is None
        """Whether this start made the context (else it is the one that was active)."""
        self._context = None
        self._error: BaseException | None = None
        self._thread = None
        if self.started_here and background:
            use_this_python(master)  # here, not in the thread: see its docstring
            self._thread = threading.Thread(target=self._start, args=(app_name, master), daemon=True,
                                            name="spark-context-start")
            self._thread.start()
            import pyspark.testing.utils  # noqa: F401 - while the JVM starts: see the class docstring
        else:
            self._start(app_name, master)

    def _start(self, app_name: str, master: str | None) -> None:
        try:
            self._context = spark_context(app_name, master)
        except BaseException as error:  # noqa: BLE001 - raised by result(), in the caller's thread
            self._error = error

    def result(self):  # noqa: ANN201
        """The context, once started (its start's error raised here). pyspark makes Ctrl-C
        cancel the running jobs only for a context made in the main thread: a context started
        in the background gets the same handler here when this runs in the main thread."""
        if self._thread is not None:
            self._thread.join()
            self._thread = None
            if self._error is None and threading.current_thread() is threading.main_thread():
                signal.signal(signal.SIGINT, _cancel_jobs_handler(self._context))
        if self._error is not None:
            raise self._error
        return self._context


def _cancel_jobs_handler(context):  # noqa: ANN001, ANN202
    """pyspark's own SIGINT handler of ``context``: cancel its jobs, then raise KeyboardInterrupt."""
    def handler(signum: int, frame: object) -> None:
        try:
            context.cancelAllJobs()
        finally:
            raise KeyboardInterrupt()

    return handler


def spark_session(app_name: str = "pretrain-clean", master: str | None = None):  # noqa: ANN201
    """The active session; else one on :func:`spark_context` (the active context, or one
    started by its rules)."""
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    spark_context(app_name, master)
    return SparkSession.builder.getOrCreate()


def stop_spark(context) -> None:  # noqa: ANN001
    """Stop ``context``, through the session made on it if there is one (pyspark then
    forgets the session too)."""
    from pyspark.sql import SparkSession

    session = SparkSession._instantiatedSession  # set once a session is made in this process
    if session is not None and session.sparkContext is context:
        session.stop()
    else:
        context.stop()
