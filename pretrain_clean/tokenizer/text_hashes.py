"""Stable hashes of exact document texts, for held-out checks (a leaf module: no imports from
the pipeline, so scorers and model cards can use it without an import cycle)."""
from __future__ import annotations

import hashlib


def text_hash(text: str) -> str:
    """Stable 64-bit hex hash of a document's exact text (used for held-out checks).

    >>> text_hash("abc") == text_hash("abc") != text_hash("abd")
    True
    """
    return hashlib.blake2b(text.encode("utf-8"), digest_size=8).hexdigest()
