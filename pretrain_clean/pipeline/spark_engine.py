"""Spark engine: the same part function mapped over input files as plain RDD tasks.

Each input file is one element (one partition, so one task) of a small RDD; executors run
:func:`pipeline.parts.process_part` on it, writing the same part files as the local
engine, and return the part's stats. The driver only collects those stats, never documents.
Inputs, outputs and models are local paths made absolute on the driver, or URIs (``s3://``...)
every executor opens through :mod:`pipeline.storage`: no shared filesystem is needed. A
retried task redoes its part (a part without its marker is not complete) and writes the same
files.

The engine needs only a ``SparkContext`` (:func:`spark_context`): a ``SparkSession`` and Spark
SQL's planner cost the driver JVM about 3 CPU-s at start-up (docs/cluster.md), so a session is
made (:func:`spark_session`) only for the DataFrame work of large dedup inputs and shards.
"""
from __future__ import annotations

import os
import re
import signal
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, Mapping

from pretrain_clean.pipeline.config import RunSpec
from pretrain_clean.pipeline.parts import PartTask, process_part
from pretrain_clean.pipeline.spark_cds import driver_cds_options
from pretrain_clean.pipeline.progress import PartsProgress
from pretrain_clean.pipeline.stats import Stats

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


def _spark_defaults_file() -> Path | None:
    from pyspark.find_spark_home import _find_spark_home

    conf_dir = os.environ.get("SPARK_CONF_DIR") or os.path.join(_find_spark_home(), "conf")
    return Path(conf_dir) / "spark-defaults.conf"


def spark_context(app_name: str = "pretrain-clean", master: str | None = None):  # noqa: ANN201
    """The active context; else a new one on ``master`` if given; else with spark-submit's
    settings (its ``--master`` and ``--conf`` win); else (plain ``python``) local, all cores.
    A driver JVM started here for a local master gets :data:`LOCAL_DRIVER_JAVA_OPTIONS` (and
    the class-data-sharing archive, :mod:`pipeline.spark_cds`), and any JVM started
    here no console progress bar (:func:`console_progress_off`). Any context made here runs
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


SHUFFLE_BYTES_PER_PARTITION = 128 << 20
"""Input bytes per shuffle partition (Spark's own ``spark.sql.files.maxPartitionBytes``)."""


def set_shuffle_partitions(spark, input_bytes: int) -> int:  # noqa: ANN001
    """Set ``spark.sql.shuffle.partitions`` from the data size and the cores, unless the
    user set it (``--conf``, spark-defaults.conf): Spark's default of 200 made dedup of
    20k documents in ``local[2]`` spend most of its time scheduling empty tasks.

    One partition per core, more when the input exceeds 128 MiB per core; returns the
    value in force.
    """
    if spark.sparkContext.getConf().contains("spark.sql.shuffle.partitions"):
        return int(spark.conf.get("spark.sql.shuffle.partitions"))
    cores = spark.sparkContext.defaultParallelism
    partitions = max(cores, -(-input_bytes // SHUFFLE_BYTES_PER_PARTITION))
    spark.conf.set("spark.sql.shuffle.partitions", str(partitions))
    return partitions


@contextmanager
def small_input_settings(spark, input_bytes: int) -> Iterator[None]:  # noqa: ANN001
    """Inside the block, adaptive query execution is off when the input fits one shuffle
    partition per core (:func:`set_shuffle_partitions`) and the user did not set it: it has
    no partitions to coalesce then, and it runs every shuffle as a Spark job of its own
    (planned and scheduled by the driver JVM: the Spark dedup of 20k documents ran 44 jobs
    instead of 16). Restored afterwards."""
    key = "spark.sql.adaptive.enabled"
    small = input_bytes <= spark.sparkContext.defaultParallelism * SHUFFLE_BYTES_PER_PARTITION
    if not small or spark.sparkContext.getConf().contains(key):
        yield
        return
    before = spark.conf.get(key)
    spark.conf.set(key, "false")
    try:
        yield
    finally:
        spark.conf.set(key, before)


def task_status(context) -> Callable[[], str]:  # noqa: ANN001
    """A function giving the tasks done / total of the stages running now (Spark's status
    tracker of ``context``, no job): the detail of the driver's progress lines."""
    from py4j.protocol import Py4JError

    tracker = context.statusTracker()

    def status() -> str:
        try:
            stages = [tracker.getStageInfo(i) for i in tracker.getActiveStageIds()]
        except Py4JError:  # the context is stopping: no detail this time
            return ""
        stages = [s for s in stages if s is not None]
        if not stages:
            return ""
        return f"tasks {sum(s.numCompletedTasks for s in stages):,}/{sum(s.numTasks for s in stages):,}"

    return status


def spark_map(function, items: list, context=None) -> list:  # noqa: ANN001
    """``function`` over ``items`` as Spark tasks (one per item), results in order: the
    line-counting pass of split files (:mod:`pipeline.line_split`), the annotate pass and
    dedup's driver path run on the executors. Each item is pickled into its own partition
    (paths stay exact, never through Java); the results are pickled back."""
    context = context or spark_context()
    if not items:
        return []
    return context.parallelize(list(items), len(items)).map(function).collect()


def _part_runner(spec: RunSpec, out_dir: str, kept_subdir: str):  # noqa: ANN202
    def run(tasks: Iterator[PartTask]) -> Iterator[tuple[int, str]]:
        from pretrain_clean.pipeline.worker import worker_cascade

        cascade = worker_cascade(spec)
        for task in tasks:
            yield task.index, process_part(task, spec, cascade, out_dir, kept_subdir).to_json()

    return run


def run_spark(spec: RunSpec, tasks: list[PartTask], out_dir: str, kept_subdir: str = "kept",
              context=None, show_progress: bool = False) -> list[Stats]:  # noqa: ANN001
    """Run every part on Spark, one task each; returns the parts' stats in task order. With
    ``show_progress`` the driver prints parts done / total and documents/s while it waits."""
    context = context or spark_context()
    if not tasks:
        return []
    with PartsProgress("spark", out_dir, tasks, enabled=show_progress):
        rdd = context.parallelize(list(tasks), len(tasks)).mapPartitions(_part_runner(spec, out_dir, kept_subdir))
        results = dict(rdd.collect())
    return [Stats.from_json(results[t.index]) for t in tasks]
