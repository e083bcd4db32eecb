"""Our stages as datatrove pipeline steps, for datatrove users.

Each stage becomes one datatrove filter (``BaseFilter``) named after the stage, so it can sit
between datatrove's own readers and writers and run in datatrove's executors::

    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import ParquetWriter
    from pretrain_clean.datatrove_steps import as_datatrove_steps
    from pretrain_clean.pipeline.config import load_config

    LocalPipelineExecutor(pipeline=[
        JsonlReader("data/"),
        *as_datatrove_steps(load_config("default")),
        ParquetWriter("out/", adapter=json_metadata),
    ], tasks=4).run()

* A dropped document counts as ``dropped`` and ``dropped_<reason>`` in the step's stats, with
  our reason code (``too_few_words``); an ``exclusion_writer`` receives it with
  ``metadata["filter_reason"]`` as in datatrove.
* Rewriting stages (``normalize``, ``pii_mask``, ``c4_lines``) change ``doc.text``; the step
  counts ``rewritten`` documents.
* Scores a stage writes (language, perplexity, ...) land in ``doc.metadata``, where later
  stages read them.
* Scores differ from document to document (``pii`` only where something was masked), which
  datatrove's ``ParquetWriter`` cannot infer one schema for: pass ``adapter=json_metadata``
  (metadata as one JSON string column, as in our own ``kept/`` parquet) or an explicit schema.
* A stage raising on one document drops that document with reason ``stage_error`` and the
  message in ``metadata["error"]`` (our own runner quarantines it instead); the run goes on.
* ``setup()`` (models, word lists) runs once per worker process, before the first document,
  never pickled: datatrove ships the stage by its parameters.

Our own engines keep the whole cascade in one step (``pipeline/local_engine.py``), which also
shares text features between stages; per-stage steps recompute them. This module is the only
place outside the local engine that imports datatrove.
"""
from __future__ import annotations

import pickle
from typing import Any, Iterable

from datatrove.data import Document as DatatroveDocument
from datatrove.data import DocumentsPipeline
from datatrove.pipeline.filters.base_filter import BaseFilter
from datatrove.pipeline.writers.disk_base import DiskWriter

from pretrain_clean.errors import ConfigError
from pretrain_clean.pipeline.cascade import Cascade
from pretrain_clean.pipeline.config import RunSpec
from pretrain_clean.pipeline.document import Document
from pretrain_clean.pipeline.records import STAGE_ERROR
from pretrain_clean.pipeline.stage import Stage
from pretrain_clean.pipeline.stats import Stats
from pretrain_clean.pipeline.writers import meta_json

_READY: dict[bytes, Cascade] = {}
"""Set-up stages of this process, by their pickled parameters (as ``pipeline/worker.py``)."""

DEFAULT_BATCH_SIZE = 256
"""Documents per ``apply_batch`` call (``[run] batch_size`` of the default config)."""


def to_ours(doc: DatatroveDocument) -> Document:
    """Our view of a datatrove document; ``meta`` *is* its metadata dict, so scores land there."""
    source = doc.metadata.get("file_path", "")
    return Document(id=str(doc.id), text=doc.text, source=str(source), meta=doc.metadata)


def json_metadata(writer: DiskWriter, doc: DatatroveDocument) -> dict[str, str]:
    """A datatrove writer adapter: ``text``, ``id`` and ``metadata`` as deterministic JSON."""
    return {"text": doc.text, "id": str(doc.id), "metadata": meta_json(doc.metadata)}


class StageStep(BaseFilter):
    """One cascade stage as a datatrove filter: keep, drop with our reason, or rewrite."""

    type = "🔻 - FILTER"

    def __init__(self, stage: Stage, exclusion_writer: DiskWriter | None = None,
                 batch_size: int = DEFAULT_BATCH_SIZE) -> None:
        self.name = stage.name  # before the base class names its stats after the step
        super().__init__(exclusion_writer, batch_size)
        self.stage = stage
        self._cascade: Cascade | None = None

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_cascade"] = None  # set up again in the worker that unpickles the step
        return state

    def ready(self) -> Cascade:
        """The stage, set up once per process (models load here, not per document).

        datatrove runs a deep copy of the pipeline per task, and copies drop the loaded
        models, so set-up stages are kept per process, keyed by their parameters.
        """
        if self._cascade is None:
            key = pickle.dumps(self.stage)
            cascade = _READY.get(key)
            if cascade is None:
                try:
                    self.stage.setup()
                except Exception as exc:  # noqa: BLE001 - re-raised naming the stage
                    raise ConfigError(f"{self.stage.name}: setup failed: {exc}") from exc
                cascade = _READY[key] = Cascade([self.stage])
            self._cascade = cascade
        return self._cascade

    def filter(self, doc: DatatroveDocument) -> bool | tuple[bool, str]:
        return self.filter_batch([doc])[0]

    def filter_batch(self, batch: list[DatatroveDocument]) -> list[bool | tuple[bool, str]]:
        ours = [to_ours(doc) for doc in batch]
        outcomes = self.ready().run(ours, Stats())
        results: list[bool | tuple[bool, str]] = []
        for doc, mine, outcome in zip(batch, ours, outcomes):
            if mine.text != doc.text:
                doc.text = mine.text
                self.stat_update("rewritten")
            if outcome.kept:
                results.append(True)
            elif outcome.error is not None:
                doc.metadata["error"] = outcome.error
                results.append((False, STAGE_ERROR))
            else:
                results.append((False, outcome.reason))
        return results

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        self.ready()
        yield from super().run(data, rank, world_size)


def as_datatrove_steps(stages: RunSpec | Cascade | Iterable[Stage],
                       batch_size: int | None = None) -> list[StageStep]:
    """One :class:`StageStep` per stage, in cascade order.

    ``stages`` is a loaded config (:func:`pretrain_clean.pipeline.config.load_config`), a
    :class:`Cascade`, or a list of stages. ``batch_size`` defaults to the config's
    ``[run] batch_size``.
    """
    if isinstance(stages, RunSpec):
        batch_size = batch_size or stages.run.batch_size
        stages = stages.stages
    elif isinstance(stages, Cascade):
        stages = stages.stages
    return [StageStep(stage, batch_size=batch_size or DEFAULT_BATCH_SIZE) for stage in stages]
