"""Per-worker state: stages are set up once per process and reused for every part."""
from __future__ import annotations

import gc
import pickle

from pretrain_clean.pipeline.cascade import Cascade
from pretrain_clean.pipeline.config import RunSpec, annotates_after_dedup, setup_stages

_CASCADES: dict[bytes, Cascade] = {}


def worker_cascade(spec: RunSpec, after_dedup: bool = False) -> Cascade:
    """The cascade for ``spec`` in this process, loading models on first use only: every
    stage but those that run after dedup (:func:`config.annotates_after_dedup`), or with
    ``after_dedup`` those only. Every stage is set up either way, so a bad model fails first."""
    later = [i for i, stage in enumerate(spec.stages) if any(stage is t for t in annotates_after_dedup(spec))]
    key = pickle.dumps((spec.stages, spec.run.annotate_last, later, after_dedup))
    cascade = _CASCADES.get(key)
    if cascade is None:
        setup_stages(spec.stages)
        stages = [s for i, s in enumerate(spec.stages) if (i in later) == after_dedup]
        cascade = _CASCADES[key] = Cascade(stages, spec.run.annotate_last)
        # Models, word lists and tables live as long as the process: out of the collector's
        # generations, no collection walks them again (a third of the cascade's GC time on the
        # bench corpus); forked workers also keep sharing their pages.
        gc.freeze()
    return cascade
