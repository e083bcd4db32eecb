"""CCNet's text normalization and perplexity arithmetic, shared by KenLM training and scoring.

Port of ``cc_net/text_normalizer.py`` and the ``DocLM`` scoring loop of
``cc_net/perplexity.py`` (Wenzek et al., 2020, "CCNet: Extracting High Quality Monolingual
Datasets from Web Crawl Data"). A model must be scored with exactly the normalization it was
trained with, so both sides import these functions.
"""
from __future__ import annotations

import math
import re
import unicodedata
from typing import Iterable

UNICODE_PUNCT = {
    "，": ",", "。": ".", "、": ",", "„": '"', "”": '"', "“": '"', "«": '"', "»": '"',
    "１": '"', "」": '"', "「": '"', "《": '"', "》": '"', "´": "'", "∶": ":", "：": ":",
    "？": "?", "！": "!", "（": "(", "）": ")", "；": ";", "–": "-", "—": " - ", "．": ". ",
    "～": "~", "’": "'", "…": "...", "━": "-", "〈": "<", "〉": ">", "【": "[", "】": "]",
    "％": "%", "►": "-",
}  # fmt: skip
"""CCNet's punctuation map, kept verbatim (``１`` is shadowed by digit folding, as in CCNet)."""

_NON_PRINTING = frozenset(map(chr, [*range(0, 32), *range(127, 160)]))


def _fold_char(char: str) -> str:
    """CCNet's per-character steps after NFD: combining marks dropped, decimal digits
    (``re``'s ``\\d``, category Nd) to ``0``, unicode punctuation to ASCII, control
    characters dropped."""
    category = unicodedata.category(char)
    if category == "Mn":
        return ""
    if category == "Nd":
        return "0"
    char = UNICODE_PUNCT.get(char, char)
    return "" if char in _NON_PRINTING else char


class _FoldTable(dict):
    """``str.translate`` table of :func:`_fold_char`, filled per code point on first sight.

    CCNet applies four regex passes (accents, digits, punctuation, control characters);
    each maps one character to a fixed string, so their composition is one table, and
    ``translate`` avoids the regex over all ~2,000 combining marks (the stage's hot spot).
    Filling it lazily (``__missing__``) costs only the characters a worker meets, instead
    of a scan of all 1.1M code points at start-up (about 1 s per worker process).
    """

    def __missing__(self, code: int) -> str:
        folded = self[code] = _fold_char(chr(code))
        return folded


_FOLD = _FoldTable()
"""One per process (a cache: every entry is a pure function of its code point)."""
_FOLD_KEEP_NEWLINES = _FoldTable({ord("\n"): "\n"})
"""``_FOLD`` that keeps line breaks (a control character it would drop), for whole texts."""
_ASCII_FOLD = bytes(ord(_FOLD_KEEP_NEWLINES[c] or " ") for c in range(128)) + bytes(range(128, 256))
_ASCII_DROPPED = bytes(c for c in range(128) if not _FOLD_KEEP_NEWLINES[c])
"""``_FOLD_KEEP_NEWLINES`` on ASCII as a ``bytes.translate`` table and deletions (it maps each
ASCII character to one ASCII character or drops it: digits to 0, controls but ``\n`` away);
on UTF-8 bytes it leaves every non-ASCII character's bytes as they are."""


def normalize_line(line: str) -> str:
    """CCNet's ``normalize(line)`` with its defaults: lower case, no accents, digits as 0,
    unicode punctuation mapped to ASCII, control characters removed.

    >>> normalize_line("  Élan 2024：ＯＫ。 ")
    'elan 0000:ｏｋ.'
    """
    line = line.strip()
    if not line:
        return line
    line = line.lower()
    if not line.isascii():
        line = unicodedata.normalize("NFD", line)
    return line.translate(_FOLD)


def normalize_text_lines(text: str) -> list[str]:
    """:func:`normalize_line` of each line of ``text``, empty results left out.

    Each step runs once over the whole text instead of once per line: the same result, as
    lines are stripped first and no step carries across a line break (lower-casing's final
    sigma looks no further than one, NFD reorders marks only between two starters, the
    fold maps characters one by one).

    >>> normalize_text_lines("  Élan 2024\\n\\n\\x01\\nΟΔΟΣ\\n ok ")
    ['elan 0000', 'οδος', 'ok']
    """
    text = "\n".join(map(str.strip, text.split("\n"))).lower()
    if not text.isascii():
        # the table only for the non-ASCII runs (a dict look-up per character is the slow part);
        # the ASCII fold below leaves what they become as it is (tested on every code point)
        text = _NON_ASCII_RUN.sub(_fold_run, unicodedata.normalize("NFD", text))
    text = text.encode("utf-8", "surrogatepass").translate(_ASCII_FOLD, _ASCII_DROPPED).decode("utf-8", "surrogatepass")
    return [line for line in text.split("\n") if line]


_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]+")


def _fold_run(match: re.Match[str]) -> str:
    return match.group().translate(_FOLD_KEEP_NEWLINES)


def doc_log10_score(line_scores: Iterable[tuple[float, int]]) -> tuple[float, int]:
    """Sum ``(log10 probability, token count)`` over lines; each line adds 1 for ``</s>``."""
    total, length = 0.0, 0
    for score, n_tokens in line_scores:
        total += score
        length += n_tokens + 1
    return total, length


def perplexity(log10_score: float, length: int) -> float:
    """CCNet's document perplexity ``10 ** (-sum log10 p / tokens)``, rounded to 0.1.

    >>> perplexity(-6.0, 3)
    100.0
    >>> math.isinf(perplexity(0.0, 0))
    True
    """
    if length <= 0:
        return math.inf
    return round(10.0 ** (-log10_score / length), 1)
