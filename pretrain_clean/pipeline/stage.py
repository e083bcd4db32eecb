"""The stage protocol: one small class per step of the cascade.

A stage is a dataclass whose fields are its parameters (they are the config keys,
and they are all it pickles), with one method over a document:

* ``apply(doc)`` returns ``None`` to keep the document or a short snake_case reason
  to drop it. It may write scores into ``doc.meta`` (annotate) and, for stages whose
  job is rewriting (normalization, PII masking), replace ``doc.text``.
* ``apply_batch(docs)`` does the same over many documents; override it where a
  library scores batches faster (fastText, KenLM).
* ``setup()`` loads heavy resources (models, word lists) once per worker. Store them
  in attributes whose names start with ``_``: those are never pickled. The caller sets up
  (``pipeline.worker``, the datatrove adapter, ``config.setup_stages``); a stage used
  before its ``setup()`` raises :class:`StageNotSetUp`, never loads on its own.

A stage's reasons can be turned into flags (config key ``annotate``, see :data:`ALL_REASONS`):
the cascade then keeps the document and records ``"<stage>.<reason>"`` in ``meta["flags"]``.
Subclasses register themselves under ``name``; the config refers to them by it.
Fields annotated with :data:`ModelPath` must name an existing file when set.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, NewType

from pretrain_clean.pipeline.document import Document

ModelPath = NewType("ModelPath", str)
"""A config value naming a model or resource file that must exist at start-up."""

REGISTRY: dict[str, type["Stage"]] = {}

ALL_REASONS = "*"
"""In a stage's ``annotate`` list: every reason of the stage only flags."""


class StageNotSetUp(RuntimeError):
    """A stage used before ``setup()``: the caller's bug, never a document's (the cascade
    lets it through instead of quarantining the document)."""

    def __init__(self, stage: "Stage") -> None:
        super().__init__(f"stage {stage.name!r} used before setup(): call setup() once per process "
                         "before the first document (pipeline.worker and the datatrove adapter do)")


@dataclass
class Stage:
    """Base class of every cascade stage."""

    name: ClassVar[str] = ""
    annotate: ClassVar[frozenset[str]] = frozenset()
    """Reasons that only flag (set per instance from the config's ``annotate`` key)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        stage_name = cls.__dict__.get("name")
        if stage_name:
            if stage_name in REGISTRY and REGISTRY[stage_name].__qualname__ != cls.__qualname__:
                raise ValueError(f"two stages are named {stage_name!r}")
            REGISTRY[stage_name] = cls

    def setup(self) -> None:
        """Load heavy resources; called once per worker before the first document."""

    def apply(self, doc: Document) -> str | None:
        """Keep (``None``) or drop ``doc`` with a reason; may annotate ``doc.meta``."""
        raise NotImplementedError

    def annotates_only(self) -> bool:
        """True when, as configured, the stage never drops nor rewrites a document (it only
        writes scores into ``doc.meta``); the cascade may then run it after the dropping
        stages (``[run] annotate_last``), where it scores only the survivors."""
        return False

    def flags_only(self, reason: str) -> bool:
        """Whether ``reason`` keeps the document with a flag instead of removing it."""
        return reason in self.annotate or ALL_REASONS in self.annotate

    def apply_batch(self, docs: list[Document]) -> list[str | None]:
        """Decide many documents at once; the default calls :meth:`apply` on each."""
        return [self.apply(doc) for doc in docs]

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
