"""The one definition of "Chinese character" (Han), used everywhere.

* Han: the CJK Unified Ideographs blocks (URO, extensions A to H) and the compatibility
  ideographs, as Unicode 15.1 assigns them. Radicals, 々 and 〇 are not counted.
* Kana (Hiragana, Katakana): only MinHash shingling treats them like Han (one token a
  character); no rule counts them as Chinese.

Importers: :mod:`filters.text_features` (tokens, language share), :mod:`filters.chinese`,
:mod:`filters.langid`, :mod:`filters.toxicity`, :mod:`dedup.hashing` (as an RE2 class).
"""
from __future__ import annotations

import re

from pretrain_clean.filters.ascii_fast import non_ascii

_HAN_RANGES = (
    (0x3400, 0x4DBF),  # extension A
    (0x4E00, 0x9FFF),  # unified ideographs
    (0xF900, 0xFAFF),  # compatibility ideographs
    (0x20000, 0x2FA1F),  # extensions B-F, compatibility supplement
    (0x30000, 0x323AF),  # extensions G, H
)
_KANA_RANGES = ((0x3041, 0x309F), (0x30A0, 0x30FF), (0x31F0, 0x31FF))


def _class(ranges: tuple[tuple[int, int], ...]) -> str:
    return "".join(f"{chr(a)}-{chr(b)}" for a, b in ranges)


def re2_class(ranges: tuple[tuple[int, int], ...]) -> str:
    r"""The ranges as the inside of an RE2 (pyarrow) character class.

    >>> re2_class(((0x3041, 0x309F),))
    '\\x{3041}-\\x{309f}'
    """
    return "".join(f"\\x{{{a:x}}}-\\x{{{b:x}}}" for a, b in ranges)


HAN = _class(_HAN_RANGES)
"""Inside of a Python regex character class matching one Han character."""
HAN_RE = re.compile(f"[{HAN}]")
HAN_RUN_RE = re.compile(f"[{HAN}]+")
CJK_RE2 = re2_class(_HAN_RANGES + _KANA_RANGES)
"""Han and kana for pyarrow's RE2 (MinHash shingles: one token per character)."""


def count_han(text: str) -> int:
    """Number of Han characters.

    >>> count_han("中文 text，〇々")
    2
    """
    return len(HAN_RE.findall(text))


def has_han(text: str) -> bool:
    """Whether ``text`` holds a Han character (looked for among its non-ASCII characters only).

    >>> has_han("The 长江"), has_han("It’s ok")
    (True, False)
    """
    return not text.isascii() and HAN_RE.search(non_ascii(text)) is not None
