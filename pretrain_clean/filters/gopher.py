"""Gopher quality and repetition rules (Rae et al. 2021, "Scaling Language Models", App. A).

Thresholds default to the paper's (Table A1 and Sec. A.1.1), as datatrove's
``GopherQualityFilter`` and ``GopherRepetitionFilter`` use them; decisions on English text
match datatrove's (tests/test_datatrove_parity.py). Words come from
:mod:`filters.text_features`, split once per document.

Language: ``gopher_quality`` counts English words and English stop words, so by default it
lets Chinese documents through (``skip_chinese``): ``chinese_quality`` judges those.
``gopher_repetition`` applies to every language; for Chinese its "words" are characters
(``chinese_words = "char"``) or jieba words (``"jieba"``), and an n-gram's characters are
counted as written: no joining spaces between Chinese tokens, and an n-gram seen once is
no repetition (datatrove adds a space per join and counts the first n-gram of a text without
repetition: of its 458 top-n-gram removals of bundled reviews, 412 are under the threshold
counted as written; docs/rules.md, "Chinese text").
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from pretrain_clean import native
from pretrain_clean.filters.model_files import load_word_list
from pretrain_clean.pipeline.document import Document
from pretrain_clean.pipeline.stage import ModelPath, Stage, StageNotSetUp
from pretrain_clean.filters import text_features as tf
from pretrain_clean.filters.segment import check_unit, segmenter


_gopher_duplicates = native.load("filters._lines", 1).gopher_duplicates

STOP_WORD_PREFIX = 64
"""Words looked at first for ``min_stop_words`` (distinct stop words among them count toward it)."""


@dataclass
class GopherQuality(Stage):
    """Gopher quality rules: length, mean word length, symbols, bullets, alpha words, stop words.

    Counts follow datatrove: "words" excludes pure-punctuation tokens for the length and
    mean-length rules; the ratios divide by all tokens.
    """

    name: ClassVar[str] = "gopher_quality"

    min_doc_words: int | None = 50
    """Words at least (Gopher: 50)."""
    max_doc_words: int | None = 100_000
    """Words at most (Gopher: 100,000)."""
    min_avg_word_length: float | None = 3
    """Mean word length in characters at least (Gopher: 3)."""
    max_avg_word_length: float | None = 10
    """Mean word length in characters at most (Gopher: 10)."""
    max_symbol_word_ratio: float | None = 0.1
    """Both '#' and ellipses ('...', '…') per word."""
    max_bullet_lines_ratio: float | None = 0.9
    """Share of lines starting with a bullet at most (Gopher: 0.9)."""
    max_ellipsis_lines_ratio: float | None = 0.3
    """Share of lines ending with an ellipsis at most (Gopher: 0.3)."""
    min_alpha_words_ratio: float | None = 0.8
    """Share of words with at least one letter (datatrove's ``max_non_alpha_words_ratio``)."""
    min_stop_words: int | None = 2
    """Stop words ("the", "be", "to", "of", "and", "that", "have", "with") at least (Gopher: 2)."""
    stop_words_path: ModelPath | None = None
    """One word per line; None = bundled:stopwords/en.txt (Gopher's 8 words). Case-sensitive."""
    skip_chinese: bool = True
    """Leave Chinese documents to the Chinese rules (word counts assume spaces)."""

    def setup(self) -> None:
        self._stop_words = load_word_list(self.stop_words_path or "bundled:stopwords/en.txt")

    def apply(self, doc: Document) -> str | None:
        if self.skip_chinese and tf.is_chinese(doc):
            return None
        if getattr(self, "_stop_words", None) is None:
            raise StageNotSetUp(self)
        text = doc.text
        words = tf.words(doc)
        n_words = len(words)
        n_content, content_chars = tf.non_symbol_words(doc)
        if self.min_doc_words is not None and n_content < self.min_doc_words:
            return "too_few_words"
        if self.max_doc_words is not None and n_content > self.max_doc_words:
            return "too_many_words"
        if n_content == 0:  # only reachable with min_doc_words off
            return "no_words"
        mean = content_chars / n_content
        if self.min_avg_word_length is not None and mean < self.min_avg_word_length:
            return "mean_word_length_too_short"
        if self.max_avg_word_length is not None and mean > self.max_avg_word_length:
            return "mean_word_length_too_long"
        if self.max_symbol_word_ratio is not None:
            if text.count("#") / n_words > self.max_symbol_word_ratio:
                return "too_many_hashes"
            if (text.count("...") + text.count("…")) / n_words > self.max_symbol_word_ratio:
                return "too_many_ellipses"
        lines = tf.lines(doc)
        if self.max_bullet_lines_ratio is not None:
            bullets = sum(1 for s in lines if s.lstrip().startswith(("•", "-")))
            if bullets / len(lines) > self.max_bullet_lines_ratio:
                return "too_many_bullet_lines"
        if self.max_ellipsis_lines_ratio is not None:
            ellipsis = sum(1 for s in lines if s.rstrip().endswith(("...", "…")))
            if ellipsis / len(lines) > self.max_ellipsis_lines_ratio:
                return "too_many_ellipsis_lines"
        if self.min_alpha_words_ratio is not None:
            if tf.alpha_word_count(doc) / n_words < self.min_alpha_words_ratio:
                return "too_few_alpha_words"
        if self.min_stop_words is not None:
            # the first words of an English page hold enough stop words: the whole page is looked at only else
            if (len(self._stop_words.intersection(words[:STOP_WORD_PREFIX])) < self.min_stop_words
                    and len(self._stop_words.intersection(words)) < self.min_stop_words):
                return "too_few_stop_words"
        return None


@dataclass
class GopherRepetition(Stage):
    """Gopher repetition rules: duplicate lines/paragraphs and repeated n-grams (Table A1).

    ``top_ngrams``: [n, max fraction of characters in the most frequent n-gram];
    ``dup_ngrams``: [n, max fraction of characters in repeated n-grams]. Fractions are
    of the whole text's characters.
    """

    name: ClassVar[str] = "gopher_repetition"

    dup_line_frac: float | None = 0.3
    """Share of lines that repeat an earlier line at most (Gopher Table A1: 0.3)."""
    dup_para_frac: float | None = 0.3
    """Share of paragraphs that repeat an earlier paragraph at most (0.3)."""
    dup_line_char_frac: float | None = 0.2
    """Share of characters in repeated lines at most (0.2)."""
    dup_para_char_frac: float | None = 0.2
    """Share of characters in repeated paragraphs at most (0.2)."""
    top_ngrams: list[list[float]] = field(default_factory=lambda: [[2, 0.2], [3, 0.18], [4, 0.16]])
    """[n, share]: the most frequent word n-gram's characters per character at most (Gopher: 2-, 3-, 4-grams)."""
    dup_ngrams: list[list[float]] = field(
        default_factory=lambda: [[5, 0.15], [6, 0.14], [7, 0.13], [8, 0.12], [9, 0.11], [10, 0.10]]
    )
    """[n, share]: characters in repeated word n-grams per character at most (Gopher: 5- to 10-grams)."""
    chinese_words: str = "char"
    """Word unit of Han text for the n-gram rules: "char" (a character) or "jieba"."""

    def setup(self) -> None:
        segmenter(self.chinese_words)

    def __post_init__(self) -> None:
        check_unit(self.chinese_words)
        for key in ("top_ngrams", "dup_ngrams"):
            for pair in getattr(self, key):
                if len(pair) != 2 or int(pair[0]) != pair[0] or pair[0] < 2:
                    raise ValueError(f"{key}: each entry must be [n, fraction] with integer n >= 2, got {pair}")

    def apply(self, doc: Document) -> str | None:
        text = doc.text
        if not text:
            return "empty"
        size = len(text)
        # paragraphs: re.split(r"\n{2,}", text.strip()); lines: re.split(r"\n+", text); each with
        # the items repeating an earlier one and their characters, in one pass in C (_lines.c)
        paras, dup, dup_chars, lines, line_dup, line_dup_chars = _gopher_duplicates(text)
        if self.dup_para_frac is not None and dup / paras > self.dup_para_frac:
            return "duplicate_paragraphs"
        if self.dup_para_char_frac is not None and dup_chars / size > self.dup_para_char_frac:
            return "duplicate_paragraph_chars"
        if self.dup_line_frac is not None and line_dup / lines > self.dup_line_frac:
            return "duplicate_lines"
        if self.dup_line_char_frac is not None and line_dup_chars / size > self.dup_line_char_frac:
            return "duplicate_line_chars"
        max_n = int(max((n for n, _ in self.top_ngrams + self.dup_ngrams), default=1))
        if max_n < 2:
            return None
        stats = tf.doc_ngram_stats(doc, max_n, self.chinese_words)
        for n, frac in self.top_ngrams:
            if stats.top_chars[int(n)] / size > frac:
                return f"top_{int(n)}_gram_chars"
        for n, frac in self.dup_ngrams:
            if stats.dup_chars[int(n)] / size > frac:
                return f"duplicate_{int(n)}_gram_chars"
        return None
