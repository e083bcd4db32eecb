"""ASCII fast paths for per-character regex passes (issue 14, speed).

Half of web pages are pure ASCII, and most others only add punctuation (’ “ ” — …). On
such a text a regex over character classes
(``\\w+``, ``[^\\w\\s]``) gives the same answer as ``str.translate``/``bytes.translate`` with a
table built from that regex over the 128 ASCII characters, at a fraction of the cost. Each
table is derived from the regex it replaces (never written out by hand), so the two
cannot drift apart; tests compare them on every ASCII character and on real pages.
A text whose non-ASCII characters are all punctuation or symbols has an ASCII stand-in
(:func:`ascii_stand_in`) for the passes that only tell word, space and other characters apart.
"""
from __future__ import annotations

import codecs
import re


def split_table(token_char: re.Pattern[str], spaced: re.Pattern[str] | None = None) -> dict[int, str]:
    """``str.translate`` table for ASCII text: characters matching ``token_char`` stay, those
    matching ``spaced`` become a token of their own (`` c ``), all others a space; ``split()``
    of the result then gives the tokens of ``token_char+`` (and single ``spaced`` characters).

    >>> "Don't stop-now!".translate(split_table(re.compile(r"\\w"))).split()
    ['Don', 't', 'stop', 'now']
    >>> "a,b c!".translate(split_table(re.compile(r"\\w"), re.compile(r"[^\\w\\s]"))).split()
    ['a', ',', 'b', 'c', '!']
    """
    table = {}
    for code in range(128):
        char = chr(code)
        if token_char.fullmatch(char):
            table[code] = char
        elif spaced is not None and spaced.fullmatch(char):
            table[code] = f" {char} "
        else:
            table[code] = " "
    return table


def unmatched_bytes(pattern: re.Pattern[str]) -> bytes:
    """The ASCII bytes ``pattern`` does not match: deleting them from an ASCII text's bytes
    (``bytes.translate(None, these)``) leaves one byte per match of a one-character pattern.

    >>> len(b"ab, c!".translate(None, unmatched_bytes(re.compile(r"[^\\w\\s]"))))
    2
    """
    return bytes(code for code in range(128) if not pattern.fullmatch(chr(code)))


def matched_bytes(pattern: re.Pattern[str]) -> bytes:
    """The ASCII bytes ``pattern`` matches on their own.

    >>> matched_bytes(re.compile(r"\\r\\n?|[\\x0b\\x0c]"))
    b'\\x0b\\x0c\\r'
    """
    return bytes(code for code in range(128) if pattern.fullmatch(chr(code)))


_ASCII_BYTES = bytes(range(128))
_INERT_RE = re.compile(r"[^\w\s]")


class _Inert(dict):
    """Code point -> whether it is neither a word nor a space character (filled on first sight)."""

    def __missing__(self, char: str) -> bool:
        inert = self[char] = _INERT_RE.fullmatch(char) is not None
        return inert


_INERT = _Inert()


def non_ascii(text: str) -> str:
    """The non-ASCII characters of ``text``, in order (at C speed, through UTF-8).

    >>> non_ascii("It’s 5 €, “ok”")
    '’€“”'
    """
    return text.encode("utf-8", "surrogatepass").translate(None, _ASCII_BYTES).decode("utf-8", "surrogatepass")


STAND_IN = "\x00"
"""What :func:`ascii_stand_in` writes for each non-ASCII character: neither a word nor a
space character, and absent from real text (a caller that must map it back checks that)."""


def _stand_in_error(error: UnicodeEncodeError) -> tuple[str, int]:
    return STAND_IN * (error.end - error.start), error.end


codecs.register_error("pretrain_clean.stand_in", _stand_in_error)


def ascii_stand_in(text: str) -> str | None:
    """``text`` if it is ASCII; an ASCII text of the same length with :data:`STAND_IN` for each
    non-ASCII character if these are all neither word nor space characters (the stand-in is
    neither too, so a pass that tells only these three kinds apart sees the same text);
    else ``None``.

    >>> ascii_stand_in("It’s “ok” — 5 €"), ascii_stand_in("café"), ascii_stand_in("a\u00a0b")
    ('It\\x00s \\x00ok\\x00 \\x00 5 \\x00', None, None)
    """
    if text.isascii():
        return text
    if all(map(_INERT.__getitem__, non_ascii(text))):  # stops at the first letter (Chinese: at once)
        return text.encode("ascii", "pretrain_clean.stand_in").decode("ascii")
    return None
