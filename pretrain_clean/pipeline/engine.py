"""The engine seam: the one place a job's local or Spark engine is chosen (:func:`engine_for`).

An engine only moves data; every decision (the cascade, dedup's decisions in
``dedup/decisions.py``, the shard plan) is the same function on both sides. One method per job:

* ``clean_parts(spec, tasks, ...)``: :func:`pipeline.parts.process_part` over every input part
  (locally: datatrove's executor with its ranks and progress lines; Spark: one RDD task each).
* ``dedup(cfg, files, ...)``: the corpus-wide dedup passes (locally: spill buckets sorted per
  bucket; Spark: ``groupBy``/window over DataFrames), deciding through ``dedup.decisions``.
* ``shards(tokenizer, input_dir, ...)``: the encode phase over the input files and the write
  phase over the missing shards (locally: in this process; Spark: one task per file / shard,
  :mod:`tokenizer.shards_spark`); the plan and the manifest stay on the driver.
* ``map_parts(fn, items)``: a small function over many items, results in order (a
  :data:`pipeline.line_split.Mapper`: the line-counting pass of split input files; locally
  threads, on Spark one task per item).

The engine libraries (datatrove, pyspark) are imported only when a method runs, so choosing
an engine loads nothing the other needs.
"""
from __future__ import annotations

from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Protocol, TypeVar

from pretrain_clean.errors import UsageError

if TYPE_CHECKING:
    from pretrain_clean.dedup.config import DedupConfig
    from pretrain_clean.dedup.report import DedupResult
    from pretrain_clean.pipeline.config import RunSpec
    from pretrain_clean.pipeline.parts import PartTask
    from pretrain_clean.pipeline.stats import Stats
    from pretrain_clean.tokenizer.shard_plan import ShardConfig

ENGINES = ("local", "spark")
T = TypeVar("T")
R = TypeVar("R")


@dataclass
class EngineOptions:
    """How an engine runs; each field is used by the engine named in its comment only."""

    workers: int | None = None
    """local: worker processes (default: every CPU)."""
    tasks: int | None = None
    """local: datatrove tasks sharing the input parts (default: ``workers``)."""
    show_progress: bool = True
    master: str | None = None
    """spark: master URL when not set by spark-submit (default ``local[*]``)."""
    app_name: str = "pretrain-clean"
    """spark: the application's name."""
    spark: Any = None  # noqa: ANN401 - a pyspark SparkSession
    """spark: an existing session whose context to use (tests); default: the shared rules."""


class Engine(Protocol):
    """What every engine implements (docs/architecture.md, "The engine seam")."""

    name: str

    def map_parts(self, fn: Callable[[T], R], items: list[T], cpu_bound: bool = False) -> list[R]:
        """``fn`` over ``items`` in parallel, results in the items' order (``cpu_bound``: Python
        work, not waiting on reads; the local engine then forks processes, not threads)."""
        ...

    def clean_parts(self, spec: RunSpec, tasks: list[PartTask], out_dir: str, kept_subdir: str) -> list[Stats]:
        """Run the cascade over every part (resumable by part markers); the parts' stats in order."""
        ...

    def dedup(self, cfg: DedupConfig, files: list[str], kept_dir: str, rejected_dir: str,
              work_dir: str) -> DedupResult:
        """Deduplicate ``files`` into ``kept_dir`` / ``rejected_dir``; the totals."""
        ...

    def shards(self, tokenizer: str | Path, input_dir: str | Path, output_dir: str | Path,
               cfg: ShardConfig, overwrite: bool = False) -> dict[str, Any]:
        """Tokenize ``input_dir`` into resumable parquet shards in ``output_dir``; the manifest."""
        ...

    def start(self) -> None:
        """Begin, in the background, what the engine needs before its first job (Spark: the
        context, so that the JVM starts while the driver loads the models); optional."""
        ...

    def close(self) -> None:
        """Release what the engine started (a Spark context or session; not one it was given
        or found active)."""
        ...


@contextmanager
def closed_on_error(engine: Engine) -> Iterator[Engine]:
    """``engine`` for a block whose error closes it (a Spark context started for the run is
    stopped) before propagating; an error in closing does not hide the block's own."""
    try:
        yield engine
    except BaseException:
        with suppress(Exception):
            engine.close()
        raise


def engine_for(name: str, options: EngineOptions | None = None) -> Engine:
    """The engine called ``name`` (``local`` or ``spark``): the one place the choice is made."""
    options = options or EngineOptions()
    if name == "local":
        return LocalEngine(options)
    if name == "spark":
        return SparkEngine(options)
    raise UsageError(f"unknown engine {name!r}; choose one of: {', '.join(ENGINES)}")


class LocalEngine:
    """This machine: datatrove's executor for the cascade, forked processes for dedup, this
    process for shards (the tokenizer's own threads use every core)."""

    name = "local"

    def __init__(self, options: EngineOptions) -> None:
        self.options = options

    def map_parts(self, fn: Callable[[T], R], items: list[T], cpu_bound: bool = False) -> list[R]:
        from pretrain_clean.pipeline.fork_map import default_workers, fork_map
        from pretrain_clean.pipeline.line_split import thread_mapper

        workers = self.options.workers or default_workers()
        return fork_map(fn, items, workers) if cpu_bound else thread_mapper(workers)(fn, items)

    def clean_parts(self, spec: RunSpec, tasks: list[PartTask], out_dir: str, kept_subdir: str) -> list[Stats]:
        from pretrain_clean.pipeline.local_engine import run_local

        o = self.options
        return run_local(spec, tasks, out_dir, kept_subdir, o.workers or 1, o.show_progress, o.tasks)

    def dedup(self, cfg: DedupConfig, files: list[str], kept_dir: str, rejected_dir: str,
              work_dir: str) -> DedupResult:
        from pretrain_clean.dedup.local import run_dedup_local

        return run_dedup_local(cfg, files, kept_dir, rejected_dir, work_dir, workers=self.options.workers)

    def shards(self, tokenizer: str | Path, input_dir: str | Path, output_dir: str | Path,
               cfg: ShardConfig, overwrite: bool = False) -> dict[str, Any]:
        from pretrain_clean.tokenizer.shards import tokenize_to_shards

        return tokenize_to_shards(tokenizer, input_dir, output_dir, cfg, overwrite=overwrite)

    def start(self) -> None:
        pass

    def close(self) -> None:
        pass


class SparkEngine:
    """A Spark context (the active one, spark-submit's, or ``local[*]``), started on first use;
    a session on it only for the DataFrame work that needs one (large dedup inputs, shards)."""

    name = "spark"

    def __init__(self, options: EngineOptions) -> None:
        self.options = options
        self._context = options.spark.sparkContext if options.spark is not None else None
        self._start: Any = None  # a spark_start.ContextStart until the context is taken
        self._owned = False  # whether this engine made the context (close() stops only that)

    def start(self) -> None:
        """Start the context in a background thread (:class:`spark_start.ContextStart`),
        unless one was given, is active or is started already."""
        if self._context is None and self._start is None:
            self._begin(background=True)

    @property
    def context(self) -> Any:  # noqa: ANN401 - a pyspark SparkContext
        """The context: the one started by :meth:`start`, else started now."""
        if self._context is None:
            if self._start is None:
                self._begin(background=False)
            start, self._start = self._start, None
            self._owned = start.started_here
            self._context = start.result()
        return self._context

    def _begin(self, background: bool) -> None:
        from pretrain_clean.pipeline.spark_start import ContextStart

        self._start = ContextStart(self.options.app_name, self.options.master, background=background)

    def map_parts(self, fn: Callable[[T], R], items: list[T], cpu_bound: bool = False) -> list[R]:
        from pretrain_clean.pipeline.spark_engine import spark_map

        return spark_map(fn, items, self.context)

    def clean_parts(self, spec: RunSpec, tasks: list[PartTask], out_dir: str, kept_subdir: str) -> list[Stats]:
        from pretrain_clean.pipeline.spark_engine import run_spark

        return run_spark(spec, tasks, out_dir, kept_subdir, self.context, show_progress=self.options.show_progress)

    def dedup(self, cfg: DedupConfig, files: list[str], kept_dir: str, rejected_dir: str,
              work_dir: str) -> DedupResult:
        from pretrain_clean.dedup.spark import run_dedup_spark
        from pretrain_clean.pipeline.progress import PhaseProgress
        from pretrain_clean.pipeline.spark_engine import task_status

        with PhaseProgress("spark dedup", task_status(self.context), enabled=self.options.show_progress) as progress:
            return run_dedup_spark(self.context, cfg, files, kept_dir, rejected_dir, work_dir, progress=progress)

    def shards(self, tokenizer: str | Path, input_dir: str | Path, output_dir: str | Path,
               cfg: ShardConfig, overwrite: bool = False) -> dict[str, Any]:
        from pretrain_clean.tokenizer.shards_spark import tokenize_with_spark

        # a session on our context, or on a new one by the shared rules (one row per Arrow batch)
        return tokenize_with_spark(tokenizer, input_dir, output_dir, cfg, overwrite=overwrite,
                                   master=self.options.master, spark=self.options.spark)

    def close(self) -> None:
        """Stop the context if this engine made it (waiting for a start begun by :meth:`start`)."""
        if self._start is not None:
            try:
                self.context  # noqa: B018 - wait for the start
            except Exception:  # noqa: BLE001, S110 - it never started: nothing to stop
                pass
        if self._context is not None and self._owned:
            from pretrain_clean.pipeline.spark_start import stop_spark

            stop_spark(self._context)
        self._context, self._owned = None, False
