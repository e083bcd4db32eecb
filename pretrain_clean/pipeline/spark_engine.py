"""Spark engine: the same part function mapped over input files as plain RDD tasks.

Each input file is one element (one partition, so one task) of a small RDD; executors run
:func:`pipeline.parts.process_part` on it, writing the same part files as the local
engine, and return the part's stats. The driver only collects those stats, never documents.
Inputs, outputs and models are local paths made absolute on the driver, or URIs (``s3://``...)
every executor opens through :mod:`pipeline.storage`: no shared filesystem is needed. A
retried task redoes its part (a part without its marker is not complete) and writes the same
files.

The engine needs only a ``SparkContext`` (:func:`pipeline.spark_start.spark_context`): a ``SparkSession`` and Spark
SQL's planner cost the driver JVM about 3 CPU-s at start-up (docs/cluster.md), so a session is
made (:func:`pipeline.spark_start.spark_session`) only for the DataFrame work of large dedup inputs and shards.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterator

from pretrain_clean.pipeline.config import RunSpec
from pretrain_clean.pipeline.parts import PartTask, process_part
from pretrain_clean.pipeline.spark_start import spark_context
from pretrain_clean.pipeline.progress import PartsProgress
from pretrain_clean.pipeline.stats import Stats

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
