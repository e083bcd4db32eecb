"""PySpark's Python worker daemon, with the modules our tasks use imported before it forks.

Spark starts one daemon per executor (``python -m pyspark.daemon``), which forks a Python
worker for each task slot; each worker then imported numpy, pyarrow, our package and every
stage module itself as it unpickled its first task (about 0.35 CPU-s per worker), and dedup's
modules again at the next job (about 0.2 CPU-s). With ``spark.python.daemon.module`` naming
this module (:func:`pipeline.spark_engine.spark_context` sets it for local masters), the
daemon imports them once and every worker inherits them.

Fork safety: pyspark's own daemon imports the worker module only after forking, because
pandas and pyarrow may start threads at import. Here the daemon imports modules only (no
models, no files, no Python threads, checked by ``tests/test_spark_daemon.py``); the native
thread pools numpy and pyarrow create are idle when the daemon forks, which is also how the
local engine forks its workers after the same imports (``pipeline/local_engine.start_method``).
A preload that fails (e.g. a module missing on this machine) leaves the daemon as pyspark's:
the tasks then import what they need themselves, as before.
"""
from __future__ import annotations

import sys

def preload() -> bool:
    """Import what the engine's tasks use (the cascade's part function, the worker's cascade,
    dedup's per-part passes) and every stage module; False (and a line on stderr) if one fails."""
    try:
        import pretrain_clean.dedup.spark_io  # noqa: F401
        import pretrain_clean.pipeline.parts  # noqa: F401
        import pretrain_clean.pipeline.worker  # noqa: F401
        from pretrain_clean.pipeline.config import load_stage_modules

        load_stage_modules()
    except Exception as exc:  # noqa: BLE001 - a worker then imports for itself, as without this daemon
        print(f"pretrain-clean: Spark worker daemon runs without preloaded modules: {exc!r}", file=sys.stderr)
        return False
    return True


if __name__ == "__main__":
    preload()
    from pyspark import daemon

    daemon.manager()
