"""Special-character ratio (``special_characters``): pages dominated by symbols.

Characters that are neither letters, digits nor whitespace (punctuation, symbols, emoji,
box drawing) per character; data-juicer's ``special_characters_filter`` and the BigScience
ROOTS filters use this ratio with a 0.25 maximum for web text. Language-agnostic: Han
characters count as letters, Chinese punctuation as special (news text has ~10-15%).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from pretrain_clean.filters.ascii_fast import ascii_stand_in, unmatched_bytes
from pretrain_clean.filters.text_features import visible_length
from pretrain_clean.pipeline.document import Document
from pretrain_clean.pipeline.stage import Stage

SPECIAL_RE = re.compile(r"[^\w\s]|_")
_ASCII_NOT_SPECIAL = unmatched_bytes(SPECIAL_RE)


def special_char_ratio(text: str) -> float:
    """Share of non-whitespace characters that are not letters or digits.

    >>> special_char_ratio("ab, c!"), special_char_ratio("")
    (0.4, 0.0)
    """
    stand_in = ascii_stand_in(text)  # its "?" are special characters, as what they stand for
    if stand_in is not None:  # one byte per special character left after deleting the others
        special = len(stand_in.encode("ascii").translate(None, _ASCII_NOT_SPECIAL))
    else:
        special = len(SPECIAL_RE.findall(text))
    visible = visible_length(text)
    return special / visible if visible else 0.0


@dataclass
class SpecialCharacters(Stage):
    """Drop documents where special characters exceed ``max_ratio`` of visible characters."""

    name: ClassVar[str] = "special_characters"

    max_ratio: float | None = 0.25
    """Characters that are neither letters, digits nor whitespace, per non-whitespace character, at most."""

    def apply(self, doc: Document) -> str | None:
        if self.max_ratio is not None and special_char_ratio(doc.text) > self.max_ratio:
            return "too_many_special_chars"
        return None
