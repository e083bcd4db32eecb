"""Per-worker state: stages are set up once per process and reused for every part."""
from __future__ import annotations

import gc
import pickle

from pretrain_clean.pipeline.cascade import Cascade
from pretrain_clean.pipeline.config import RunSpec, annotates_after_dedup, setup_stages
from pretrain_clean.pipeline.stage import Stage

YOUNG_COLLECTION_THRESHOLD = 20_000
"""Container allocations between young-generation collections in a worker (Python's default: 700)."""

_STAGES: dict[bytes, list[Stage]] = {}
_CASCADES: dict[tuple, Cascade] = {}


def worker_cascade(spec: RunSpec, after_dedup: bool = False) -> Cascade:
    """The cascade for ``spec`` in this process, loading models on first use only: every
    stage but those that run after dedup (:func:`config.annotates_after_dedup`), or with
    ``after_dedup`` those only. Every stage is set up once, on the first call, so a bad model
    fails first and both cascades share the loaded models."""
    stages_key = pickle.dumps(spec.stages)
    stages = _STAGES.get(stages_key)
    if stages is None:
        setup_stages(spec.stages)
        stages = _STAGES[stages_key] = spec.stages
    later = frozenset(i for i, stage in enumerate(spec.stages) if any(stage is t for t in annotates_after_dedup(spec)))
    key = (stages_key, spec.run.annotate_last, later, after_dedup)
    cascade = _CASCADES.get(key)
    if cascade is None:
        chosen = [s for i, s in enumerate(stages) if (i in later) == after_dedup]
        cascade = _CASCADES[key] = Cascade(chosen, spec.run.annotate_last)
        # Models, word lists and tables live as long as the process: out of the collector's
        # generations, no collection walks them again (a third of the cascade's GC time on the
        # bench corpus); forked workers also keep sharing their pages.
        gc.freeze()
        # A batch makes tens of thousands of short-lived lists and dicts, freed by reference
        # counting; collecting every 700 of them cost ~2% of the cascade's CPU on the bench corpus.
        gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, *gc.get_threshold()[1:])
    return cascade
