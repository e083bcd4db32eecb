"""Local engine: the cascade as a datatrove pipeline step run by LocalPipelineExecutor."""
from __future__ import annotations

import os
import sys
import threading

import multiprocess.util
from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.base import PipelineStep

from pretrain_clean.pipeline import storage
from pretrain_clean.pipeline.config import RunSpec
from pretrain_clean.pipeline.parent_death import die_with_parent
from pretrain_clean.pipeline.parts import PartTask, load_part_stats, process_part
from pretrain_clean.pipeline.progress import ProgressLine
from pretrain_clean.pipeline.stats import Stats
from pretrain_clean.pipeline.worker import worker_cascade


class CleanParts(PipelineStep):
    """Processes the parts assigned to a datatrove rank (part index modulo world size)."""

    name = "clean parts"
    type = "cascade"

    def __init__(self, spec: RunSpec, tasks: list[PartTask], out_dir: str, kept_subdir: str,
                 show_progress: bool = True) -> None:
        super().__init__()
        self.spec = spec
        self.tasks = tasks
        self.out_dir = out_dir
        self.kept_subdir = kept_subdir
        self.show_progress = show_progress
        self.driver_pid = os.getpid()

    def __setstate__(self, state: dict) -> None:
        # A forkserver worker unpickles the step before datatrove logs its launch banner: quiet it here.
        self.__dict__.update(state)
        if not self.show_progress:
            _quiet_datatrove()

    def run(self, data=None, rank: int = 0, world_size: int = 1):  # noqa: ANN001 - datatrove's signature
        if os.getpid() != self.driver_pid:  # a worker process (forked or from the forkserver), not the driver
            die_with_parent()
        if not self.show_progress:
            _quiet_datatrove()
        mine = [t for t in self.tasks if t.index % world_size == rank]
        todo = [t for t in mine if load_part_stats(self.out_dir, t) is None]
        if not todo:
            return data
        cascade = worker_cascade(self.spec)
        progress = ProgressLine(f"rank {rank}", sum(t.size for t in todo)) if self.show_progress else None
        for task in todo:
            with self.track_time():
                stats = process_part(task, self.spec, cascade, self.out_dir, self.kept_subdir, progress)
            self.stat_update("documents_in", value=stats.documents_in)
            self.stat_update("kept", value=stats.kept)
            self.stat_update("quarantined", value=stats.quarantined)
        if progress:
            progress.finish()
        return data


def start_method() -> str:
    """How worker processes start: ``fork`` on Linux while this process runs no other Python
    thread (workers then inherit the imported modules and the models :func:`worker_cascade`
    loaded at start-up, instead of importing and loading them again: about 0.8 s of CPU per
    worker), else datatrove's default ``forkserver`` (e.g. with fsspec's I/O thread running
    for object storage)."""
    if sys.platform == "linux" and threading.active_count() == 1:
        return "fork"
    return "forkserver"


class _Children:
    """Registered with ``multiprocess`` (a weak registry needs a living object): every process
    it forks from this one (datatrove's manager, fork-mode pool workers) dies with it."""


CHILDREN = _Children()
multiprocess.util.register_after_fork(CHILDREN, lambda _: die_with_parent())


def _quiet_datatrove() -> None:
    """No executor banners or stats blocks on stderr (``--quiet``)."""
    from loguru import logger

    logger.disable("datatrove")


def run_local(spec: RunSpec, tasks: list[PartTask], out_dir: str, kept_subdir: str = "kept",
              workers: int = 1, show_progress: bool = True, ranks: int | None = None) -> list[Stats]:
    """Run every part with datatrove's local executor; returns the parts' stats in order.

    ``ranks`` datatrove tasks (default: ``workers``) share the parts by index; ``workers`` of
    them run at once.
    """
    world = max(1, min(ranks or workers, len(tasks)))
    if not show_progress:
        _quiet_datatrove()
    logs = storage.join(storage.local_work_dir(out_dir), "_logs", "datatrove")  # a local disk, also for s3:// outputs
    executor = LocalPipelineExecutor(
        pipeline=[CleanParts(spec, tasks, out_dir, kept_subdir, show_progress)],
        tasks=world,
        workers=max(1, min(workers, world)),
        logging_dir=logs,
        skip_completed=False,
        start_method=start_method(),
    )
    executor.run()
    stats = [load_part_stats(out_dir, t) for t in tasks]
    missing = [t.path for t, s in zip(tasks, stats) if s is None]
    if missing:
        raise RuntimeError(f"{len(missing)} parts did not complete, first: {missing[0]} (see {logs})")
    return stats  # type: ignore[return-value]
