"""Per-worker state: stages are set up once per process and reused for every part."""
from __future__ import annotations

import pickle

from pretrain_clean.pipeline.cascade import Cascade
from pretrain_clean.pipeline.config import RunSpec, setup_stages

_CASCADES: dict[bytes, Cascade] = {}


def worker_cascade(spec: RunSpec) -> Cascade:
    """The cascade for ``spec`` in this process, loading models on first use only."""
    key = pickle.dumps((spec.stages, spec.run.annotate_last))
    cascade = _CASCADES.get(key)
    if cascade is None:
        setup_stages(spec.stages)
        cascade = _CASCADES[key] = Cascade(spec.stages, spec.run.annotate_last)
    return cascade
