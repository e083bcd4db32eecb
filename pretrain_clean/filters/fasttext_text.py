"""Text preparation for our fastText classifiers (quality, toxicity), shared by training and
scoring so both see the same tokens.

fastText splits on whitespace only, so Chinese text would be one giant token. We lower-case,
split words from punctuation, and put a space between Han characters (with ``wordNgrams=2``
the model then sees character bigrams, a usual unit for Chinese classification).
"""
from __future__ import annotations

import re
from itertools import chain, zip_longest

from pretrain_clean.filters.ascii_fast import STAND_IN, ascii_stand_in, non_ascii, split_table
from pretrain_clean.filters.text_features import HAN

_TOKEN_RE = re.compile(f"[{HAN}]|[^\\W{HAN}]+|[^\\w\\s]", re.UNICODE)
_ASCII_TOKENS = split_table(re.compile(f"[^\\W{HAN}]"), re.compile(r"[^\w\s]"))
"""``_TOKEN_RE``'s tokens of an ASCII text: ``text.translate(_ASCII_TOKENS).split()``."""
MAX_TOKENS = 2000
"""Documents are cut to their first tokens: scoring cost stays bounded on very long pages."""


def fasttext_tokens(text: str, max_tokens: int = MAX_TOKENS) -> str:
    """One line of space-separated tokens for fastText.

    >>> fasttext_tokens("Hello, World!\\n数据清洗 v2")
    'hello , world ! 数 据 清 洗 v2'
    """
    lowered = text.lower()
    if lowered.isascii():
        return " ".join(lowered.translate(_ASCII_TOKENS).split()[:max_tokens])
    stand_in = ascii_stand_in(lowered) if STAND_IN not in lowered else None
    if stand_in is None:
        return " ".join(_TOKEN_RE.findall(lowered)[:max_tokens])
    # each non-ASCII character is a token of its own, as its stand-in is: put them back in order
    parts = " ".join(stand_in.translate(_ASCII_TOKENS).split()[:max_tokens]).split(STAND_IN)
    return "".join(chain.from_iterable(zip_longest(parts, non_ascii(lowered)[:len(parts) - 1], fillvalue="")))


def label_probability(labels: tuple[str, ...], probs: "list[float] | object", label: str) -> float:
    """Probability of ``label`` from a ``predict(k=-1)`` answer (0.0 if absent)."""
    for name, prob in zip(labels, probs):
        if name == label:
            return min(1.0, float(prob))
    return 0.0
