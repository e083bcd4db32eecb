"""Apply the ordered stages to batches of documents: the one cascade both engines run."""
from __future__ import annotations

import time
import traceback
from dataclasses import dataclass

from pretrain_clean.pipeline.document import UTF8_BYTES, Document
from pretrain_clean.pipeline.stage import Stage, StageNotSetUp
from pretrain_clean.pipeline.stats import Stats


def text_bytes(doc: Document) -> int:
    """UTF-8 size of the document's current text (cached per text version)."""
    return doc.cached(UTF8_BYTES, lambda d: len(d.text.encode("utf-8", errors="surrogatepass")))


@dataclass
class Outcome:
    """What happened to one document: kept (``stage`` is None), removed, or failed."""

    doc: Document
    stage: str | None = None
    reason: str | None = None
    error: str | None = None

    @property
    def kept(self) -> bool:
        return self.stage is None


def run_order(stages: list[Stage], annotate_last: bool) -> list[Stage]:
    """``stages`` in the order the cascade runs them: as configured, or with the stages
    that only annotate moved after all others (their relative order kept)."""
    if not annotate_last:
        return list(stages)
    return [s for s in stages if not s.annotates_only()] + [s for s in stages if s.annotates_only()]


class Cascade:
    """Runs ``stages`` in order over a batch; later stages see only survivors.

    With ``annotate_last``, stages that only annotate run after every dropping stage
    (:func:`run_order`): the same decisions, less scoring of documents dropped later.
    """

    def __init__(self, stages: list[Stage], annotate_last: bool = False) -> None:
        self.stages = run_order(stages, annotate_last)

    def run(self, docs: list[Document], stats: Stats) -> list[Outcome]:
        """Decide every document of ``docs``, updating ``stats``; order is preserved.

        A stage that raises on a batch is retried document by document; a document
        it still fails on is marked with ``error`` (the runner quarantines it). A reason the
        stage only flags (:meth:`Stage.flags_only`) keeps the document, appends
        ``"<stage>.<reason>"`` to ``meta["flags"]`` and counts in ``stats.flagged``.
        """
        outcomes = [Outcome(doc) for doc in docs]
        alive = list(range(len(docs)))
        for stage in self.stages:
            if not alive:
                break
            batch = [docs[i] for i in alive]
            record = stats.stage(stage.name)
            record.documents_in += len(batch)
            record.bytes_in += sum(text_bytes(doc) for doc in batch)
            start = time.perf_counter()
            reasons = self._apply(stage, batch)
            record.seconds += time.perf_counter() - start
            survivors = []
            for index, reason in zip(alive, reasons):
                doc = docs[index]
                if isinstance(reason, str) and stage.flags_only(reason):
                    key = f"{stage.name}.{reason}"
                    doc.meta.setdefault("flags", []).append(key)
                    stats.flagged[key] += 1
                    reason = None
                if reason is None:
                    survivors.append(index)
                    record.bytes_out += text_bytes(doc)
                    continue
                outcome = outcomes[index]
                outcome.stage = stage.name
                if isinstance(reason, _Failure):
                    outcome.error = reason.message
                    record.failed += 1
                    continue
                outcome.reason = reason
                record.removed += 1
                record.bytes_removed += text_bytes(doc)
                key = f"{stage.name}.{reason}"
                stats.removed[key] += 1
                stats.add_example(key, doc.id, doc.text)
            alive = survivors
        return outcomes

    @staticmethod
    def _apply(stage: Stage, batch: list[Document]) -> list[str | None | "_Failure"]:
        try:
            reasons = stage.apply_batch(batch)
        except StageNotSetUp:
            raise
        except Exception:  # noqa: BLE001 - isolate the failing document below
            return [_apply_one(stage, doc) for doc in batch]
        if len(reasons) != len(batch):
            raise RuntimeError(
                f"stage {stage.name!r} returned {len(reasons)} decisions for {len(batch)} documents"
            )
        return reasons


@dataclass
class _Failure:
    message: str


def _apply_one(stage: Stage, doc: Document) -> str | None | _Failure:
    try:
        return stage.apply(doc)
    except StageNotSetUp:
        raise
    except Exception as exc:  # noqa: BLE001 - becomes a quarantine record
        where = traceback.extract_tb(exc.__traceback__)[-1]
        return _Failure(f"stage {stage.name!r} failed: {type(exc).__name__}: {exc} "
                        f"({where.filename.rsplit('/', 1)[-1]}:{where.lineno})")
