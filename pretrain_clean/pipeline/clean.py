"""The main job: plan parts, run the cascade on an engine, dedup, account, report."""
from __future__ import annotations

import sys
from dataclasses import dataclass

from pretrain_clean.pipeline import storage
from pretrain_clean.pipeline.config import RunSpec, annotates_after_dedup, dedup_enabled
from pretrain_clean.pipeline.engine import Engine, EngineOptions, closed_on_error, engine_for
from pretrain_clean.pipeline.ids import duplicate_ids
from pretrain_clean.pipeline.parts import PartTask
from pretrain_clean.pipeline.output_guard import check_locations, clear_output, output_lock
from pretrain_clean.pipeline.plan import expand_inputs, fingerprint, plan_tasks, prepare_output
from pretrain_clean.pipeline.readers import check_environment
from pretrain_clean.pipeline.report import summary_table, write_funnel
from pretrain_clean.pipeline.split import split_tasks
from pretrain_clean.pipeline.stats import Stats
from pretrain_clean.pipeline.worker import worker_cascade

CASCADE_KEPT = "_cascade_kept"
"""Where cascade survivors go when dedup runs after the cascade (dedup writes ``kept/``)."""


@dataclass
class CleanOptions:
    """How to run: engine, parallelism, restart policy."""

    engine: str = "local"
    workers: int = 1
    tasks: int | None = None
    """Local engine: datatrove tasks (default: one per worker)."""
    overwrite: bool = False
    show_progress: bool = True
    follow_symlinks: bool = False
    """Read files that symlinks inside an input folder point to outside it."""


def engine_options(options: CleanOptions) -> EngineOptions:
    return EngineOptions(workers=options.workers, tasks=options.tasks, show_progress=options.show_progress)


def clean(spec: RunSpec, inputs: list[str], out_dir: str, options: CleanOptions, engine: Engine | None = None) -> Stats:
    """Run the configured cascade (and dedup) over ``inputs`` into ``out_dir``; returns the stats.

    Before any work: inputs and output must not contain one another, every model loads, and
    the output's lock is taken (a second run into it fails fast); ``--overwrite`` empties
    the output before the inputs are listed; libraries the inputs need (HTML extraction) work.
    ``engine``: one already made (and perhaps started) for ``options.engine``; by default one
    is made here. The Spark context starts in the background while the models load.
    """
    check_locations(inputs, out_dir)
    given, out_dir = out_dir, storage.absolute(out_dir)  # tasks must mean the same place on every executor
    engine = engine or engine_for(options.engine, engine_options(options))
    engine.start()  # Spark: the JVM starts while the models load and the inputs are listed (if not yet begun)
    with closed_on_error(engine):
        worker_cascade(spec)  # load every model now: a bad model fails before any output exists
        with output_lock(given):  # messages name the output as the user gave it
            if options.overwrite:
                clear_output(given)
            files = expand_inputs(inputs, follow_symlinks=options.follow_symlinks, refuse_run_outputs=True)
            check_environment(files)  # e.g. HTML extraction broken: fail before any work
            tasks = split_tasks(plan_tasks(files), spec.run.part_bytes, spec.input, engine.map_parts)
            prepare_output(out_dir, fingerprint(spec.raw, tasks), overwrite=False)  # cleared above, keeping the lock
            return _run(spec, tasks, out_dir, engine, options.show_progress)


def _run(spec: RunSpec, tasks: list[PartTask], out_dir: str, engine: Engine, show_progress: bool) -> Stats:
    """Cascade on the engine, count repeated ids, dedup, write stats and the funnel."""
    with_dedup = dedup_enabled(spec)
    kept_subdir = CASCADE_KEPT if with_dedup else "kept"
    parts = engine.clean_parts(spec, tasks, out_dir, kept_subdir)
    stats = sum(parts, Stats())
    stats.check_accounting("cascade")
    outputs = [storage.join(out_dir, sub, f"{t.name}.parquet") for t in tasks for sub in (kept_subdir, "rejected")]
    stats.duplicate_ids = duplicate_ids(outputs)
    if with_dedup:
        from pretrain_clean.pipeline.dedup_step import run_dedup_step

        stats = run_dedup_step(spec, tasks, out_dir, kept_subdir, engine, stats)
        stats.check_accounting("cascade + dedup")
        if annotates_after_dedup(spec):
            from pretrain_clean.pipeline.annotate_step import run_annotate_step

            stats = run_annotate_step(spec, out_dir, engine, stats)
            stats.check_accounting("cascade + dedup + annotation")
    storage.write_text(storage.join(out_dir, "stats.json"), stats.to_json() + "\n")
    write_funnel(stats, out_dir)
    if show_progress:
        print(summary_table(stats), file=sys.stderr)
    return stats
