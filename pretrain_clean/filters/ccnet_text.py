"""CCNet's text normalization and perplexity arithmetic, shared by KenLM training and scoring.

Port of ``cc_net/text_normalizer.py`` and the ``DocLM`` scoring loop of
``cc_net/perplexity.py`` (Wenzek et al., 2020, "CCNet: Extracting High Quality Monolingual
Datasets from Web Crawl Data"). A model must be scored with exactly the normalization it was
trained with, so both sides import these functions.
"""
from __future__ import annotations

import math
import re
import sys
import unicodedata
from functools import lru_cache
from typing import Iterable

UNICODE_PUNCT = {
    "，": ",", "。": ".", "、": ",", "„": '"', "”": '"', "“": '"', "«": '"', "»": '"',
    "１": '"', "」": '"', "「": '"', "《": '"', "》": '"', "´": "'", "∶": ":", "：": ":",
    "？": "?", "！": "!", "（": "(", "）": ")", "；": ";", "–": "-", "—": " - ", "．": ". ",
    "～": "~", "’": "'", "…": "...", "━": "-", "〈": "<", "〉": ">", "【": "[", "】": "]",
    "％": "%", "►": "-",
}  # fmt: skip
"""CCNet's punctuation map, kept verbatim (``１`` is shadowed by digit folding, as in CCNet)."""

_PUNCT_TABLE = str.maketrans(UNICODE_PUNCT)
_NON_PRINTING_RE = re.compile("[" + "".join(map(chr, [*range(0, 32), *range(127, 160)])) + "]")
_DIGIT_RE = re.compile(r"\d")


@lru_cache(maxsize=1)
def _combining_marks() -> re.Pattern[str]:
    """A character class of every ``Mn`` (non-spacing mark) code point, built once."""
    ranges, start, prev = [], None, None
    for code in range(sys.maxunicode + 1):
        if unicodedata.category(chr(code)) == "Mn":
            if start is None:
                start = code
            prev = code
        elif start is not None:
            ranges.append(f"{re.escape(chr(start))}-{re.escape(chr(prev))}")
            start = None
    return re.compile("[" + "".join(ranges) + "]")


def strip_accents(line: str) -> str:
    """Drop combining marks after NFD decomposition (ASCII lines pass untouched).

    >>> strip_accents("Café déjà vu")
    'Cafe deja vu'
    """
    if line.isascii():
        return line
    return _combining_marks().sub("", unicodedata.normalize("NFD", line))


def normalize_line(line: str) -> str:
    """CCNet's ``normalize(line)`` with its defaults: lower case, no accents, digits as 0,
    unicode punctuation mapped to ASCII, control characters removed.

    >>> normalize_line("  Élan 2024：ＯＫ。 ")
    'elan 0000:ｏｋ.'
    """
    line = line.strip()
    if not line:
        return line
    line = strip_accents(line.lower())
    line = _DIGIT_RE.sub("0", line)
    line = line.translate(_PUNCT_TABLE)
    return _NON_PRINTING_RE.sub("", line)


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
