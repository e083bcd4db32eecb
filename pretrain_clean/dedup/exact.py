"""Exact document dedup key: a 64-bit hash of lightly normalized text.

Only case and whitespace are normalized (digits and punctuation still count), so two
documents match when a reader would call them the same text.
"""
from __future__ import annotations

import unicodedata

from pretrain_clean import native

collapse_whitespace = native.load("dedup._whitespace", 1).collapse_whitespace
from pretrain_clean.dedup.hashing import hash64


def exact_text(text: str) -> str:
    """NFC, lowercase, whitespace runs collapsed to one space.

    >>> exact_text("  The  Cat\\n sat. ") == exact_text("the cat sat.")
    True
    """
    return collapse_whitespace(unicodedata.normalize("NFC", text).lower())  # " ".join(....split()), in C


def exact_key(text: str) -> int:
    """Signed 64-bit key of :func:`exact_text` (equal texts, equal keys).

    >>> exact_key("A  b") == exact_key("a b"), exact_key("a b") == exact_key("a b!")
    (True, False)
    """
    return hash64(exact_text(text))
