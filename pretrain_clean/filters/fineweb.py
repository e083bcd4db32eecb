"""FineWeb line rules (Penedo et al. 2024, "The FineWeb Datasets", Sec. 3.3 and App.).

Thresholds default to FineWeb's, as datatrove's ``FineWebQualityFilter`` uses them:
too few lines ending in punctuation, too many short lines, too many characters in
duplicated lines, too many newlines per word (lists). Decisions on English text match
datatrove's. Chinese documents are skipped by default: ``chinese_quality`` has the same
line rules with character-based lengths.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from pretrain_clean import native
from pretrain_clean.filters.punctuation import TERMINAL_PUNCTUATION

from pretrain_clean.pipeline.document import Document
from pretrain_clean.pipeline.stage import Stage
from pretrain_clean.filters import text_features as tf

_fineweb_counts = native.load("filters._lines", 1).fineweb_counts


@dataclass
class FineWebQuality(Stage):
    """FineWeb's heuristic rules over the document's non-blank lines."""

    name: ClassVar[str] = "fineweb_quality"

    line_punct_thr: float | None = 0.12
    """Minimum share of lines ending in terminal punctuation."""
    line_punct_exclude_zero: bool = False
    """Let documents with no punctuated line at all through (FineWeb's option)."""
    short_line_thr: float | None = 0.67
    """Maximum share of lines of at most ``short_line_length`` characters."""
    short_line_length: int = 30
    """Lines of this many characters or fewer count as short."""
    char_duplicates_ratio: float | None = 0.01
    """Maximum share of (non-newline) characters in lines that repeat an earlier line."""
    new_line_ratio: float | None = 0.3
    """Maximum newlines per word (list-like pages)."""
    skip_chinese: bool = True
    """Leave Chinese documents to the Chinese rules (FineWeb's line rules assume Latin punctuation)."""

    def apply(self, doc: Document) -> str | None:
        if self.skip_chinese and tf.is_chinese(doc):
            return None
        text = doc.text
        # over the non-blank lines of text.split("\n"), as written, in one pass in C (_lines.c):
        # lines, those ending in terminal punctuation, short ones, characters of repeated ones;
        # and the whitespace-delimited chunks of the text
        lines, punctuated, short, duplicate_chars, chunks = _fineweb_counts(
            text, TERMINAL_PUNCTUATION, self.short_line_length)
        if not lines:
            return "empty"
        if self.line_punct_thr is not None:
            ratio = punctuated / lines
            if ratio < self.line_punct_thr and not (ratio == 0 and self.line_punct_exclude_zero):
                return "few_punctuated_lines"
        if self.short_line_thr is not None:
            ratio = short / lines
            if ratio > self.short_line_thr:
                return "too_many_short_lines"
        newlines = text.count("\n")
        if self.char_duplicates_ratio is not None:
            ratio = duplicate_chars / (len(text) - newlines)
            if ratio > self.char_duplicates_ratio:
                return "duplicate_line_chars"
        # every chunk holds at least one word (tokens never cross whitespace), so when the ratio
        # per chunk passes, the ratio per word does: the words are counted only when it does not
        if self.new_line_ratio is not None and newlines / chunks > self.new_line_ratio:
            if newlines / len(tf.words(doc)) > self.new_line_ratio:
                return "too_many_newlines_per_word"
        return None
