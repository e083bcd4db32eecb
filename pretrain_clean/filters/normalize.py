"""The ``normalize`` stage: the first step of the cascade (Yi, Young et al. 2024, Sec. 2.1;
YAYI 2, Luo et al. 2023, Sec. 2.2: normalization before heuristic rules).

In order: mojibake repair (ftfy), HTML entities and leftover tags, Unicode normalization
(NFKC by default; in Chinese text full-width punctuation is kept, as Yi does), removal of
invisible and control characters, optional traditional -> simplified Chinese (OpenCC),
whitespace and newline cleanup. It rewrites text and never judges it; the only drop is a
text left empty (``empty_after_normalization``).
"""
from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass
from typing import ClassVar, Literal

import ftfy

from pretrain_clean.filters.ascii_fast import matched_bytes, non_ascii, unmatched_bytes
from pretrain_clean.filters.cjk import has_han
from pretrain_clean.pipeline.document import Document
from pretrain_clean.pipeline.stage import Stage, StageNotSetUp
from pretrain_clean.filters import text_features as tf

_FTFY = ftfy.TextFixerConfig(
    unescape_html=False,  # done below, for every text
    normalization=None,  # done below, with the Chinese punctuation option
    fix_character_width=False,  # NFKC does it, minus the kept punctuation
    uncurl_quotes=False,
    # control characters and line breaks are handled below for every text, so a text gets
    # the same result whether or not it also holds mojibake (ftfy runs only then). A line
    # that is windows-1252 read as Latin-1 ("don\x92t") is still repaired by ftfy's
    # encoding fix; a lone C1 control is removed, not mapped ("\x84" -> "„")
    fix_c1_controls=False,
    remove_control_chars=False,
    fix_line_breaks=False,
    # ftfy 6.3 ignores this config in its encoding step unless explain is on
    # (fix_and_explain calls fix_encoding(text) without it); the explanation is discarded
    explain=True,
)
MOJIBAKE_HINT_RE = re.compile(
    "[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc"
    "\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]"
    "|[\x80-\x9f\ud800-\udfff\x1b]"
)
"""What ftfy can repair leaves: a Latin-1 lead character followed by a continuation-like one
(UTF-8 read as Latin-1/cp1252), C1 controls, surrogates, terminal escapes. ftfy runs only on
texts with such a hint (it is the slowest step otherwise)."""
FULLWIDTH_PUNCT_RE = re.compile("([！＂＇（），．：；？［］｛｝～\ufe10-\ufe19\ufe30-\ufe4f])")
"""Full-width and vertical punctuation that Chinese is written with (，！？：；（）．etc.), which
NFKC would turn half-width. Full-width symbols (＠＃％＆＊＋－／＜＝＞ …) still fold to ASCII,
and half-width forms (｡｢｣､) become 。「」、."""
INNER_FULLWIDTH_STOP_RE = re.compile("(?<=[A-Za-z0-9])．(?=[A-Za-z0-9])")
"""A full-width full stop between ASCII letters or digits is a dot (``ＳＯＨＵ．ＣＯＭ``,
``１２．５％``): it folds, so addresses and numbers typed in full-width are plain again; as a
sentence end (``…的东西．``, common in reviews) it stays."""
_HTML_TAGS = (
    "a|abbr|b|blockquote|body|br|button|center|code|div|em|font|form|h[1-6]|head|hr|html|i|iframe|img"
    "|input|label|li|link|meta|nav|noscript|ol|option|p|pre|section|select|small|span|strong|sub|sup"
    "|table|tbody|td|textarea|tfoot|th|thead|title|tr|u|ul|article|aside|footer|header|main|figure"
    "|figcaption|svg|path|source|video|audio|picture"
)
TAG_RE = re.compile(rf"</?(?:{_HTML_TAGS})(?:\s[^<>]*)?/?>|<!--.*?-->", re.I | re.S)
SCRIPT_RE = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>", re.I | re.S)
INVISIBLE_RE = re.compile(
    "[\u00ad\u200b\u2060-\u2064\ufeff\u200e\u200f\u202a-\u202e\u2066-\u2069\u206a-\u206f\ufff9-\ufffc"
    "\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f]"
)
"""Soft hyphen, zero-width space, word joiner, BOM, bidi marks, deprecated format characters
(U+206A-206F), interlinear annotation and object replacement (U+FFF9-FFFC), C0/C1 controls
(not \\t \\n \\r and the line breaks below): what ftfy's ``remove_control_chars`` removes,
and more, on every text."""
_JOINS_NOTHING = "[\x00-\u024f\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]"
STRAY_JOINER_RE = re.compile(f"(?<={_JOINS_NOTHING})[\u200c\u200d]+|[\u200c\u200d]+(?={_JOINS_NOTHING}|$)|^[\u200c\u200d]+")
"""Zero-width joiners and non-joiners (U+200D, U+200C) next to Latin, digits, spaces or CJK,
where they join nothing (copy-paste residue, keyword obfuscation: ``免\u200d费``). They stay
where they do join: emoji sequences (👩\u200d💻), Indic and Arabic-script words."""
LINE_BREAK_RE = re.compile("\r\n?|[\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
_SPACES = "[ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]"
SPACE_RE = re.compile(f" {_SPACES}+|[\t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]{_SPACES}*")
"""Runs of spaces other than one plain space (replacing a lone " " by " " is a no-op, and
matching each one was the stage's cost)."""
BLANK_RUN_RE = re.compile(r"\n{3,}")
_ASCII_VISIBLE = unmatched_bytes(INVISIBLE_RE)
_ASCII_LINE_BREAKS = tuple(map(chr, matched_bytes(LINE_BREAK_RE)))
"""The ASCII characters these regexes match (derived from them): an ASCII text without
one skips the regex pass (most texts have none; the passes were the stage's cost)."""
_UTF8_NOT_ASCII_INVISIBLE = _ASCII_VISIBLE + bytes(range(128, 256))
"""Deleting these from a text's UTF-8 leaves its ASCII characters that ``INVISIBLE_RE`` matches."""
WIDE_LINE_BREAK_RE = re.compile("[\x85\u2028\u2029]")
WIDE_SPACE_RE = re.compile("[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")
"""The non-ASCII characters ``LINE_BREAK_RE`` and ``SPACE_RE`` match. A non-ASCII text is
checked for these among its non-ASCII characters only (:func:`filters.ascii_fast.non_ascii`)
before a regex pass over all of it; tests compare these classes with the regexes on every
code point."""


def has_invisible(text: str) -> bool:
    """Whether ``INVISIBLE_RE`` matches in ``text``, looking at its bytes and non-ASCII characters.

    >>> has_invisible("a\u200bb"), has_invisible("a\x07b"), has_invisible("“plain” text")
    (True, True, False)
    """
    if text.isascii():
        return bool(text.encode("ascii").translate(None, _ASCII_VISIBLE))
    utf8 = text.encode("utf-8", "surrogatepass")
    return bool(utf8.translate(None, _UTF8_NOT_ASCII_INVISIBLE)) or INVISIBLE_RE.search(non_ascii(text)) is not None


def nfkc_keep_punct(text: str, form: str = "NFKC") -> str:
    """Unicode-normalize ``text`` but leave full-width punctuation as it is.

    >>> nfkc_keep_punct("ＡＢＣ１２．５，你好！ｌｉ＠ｑｑ．ｃｏｍ．")
    'ABC12.5，你好！li@qq.com．'
    """
    parts = FULLWIDTH_PUNCT_RE.split(text)
    text = "".join(p if i % 2 else unicodedata.normalize(form, p) for i, p in enumerate(parts))
    return INNER_FULLWIDTH_STOP_RE.sub(".", text) if "．" in text else text


def clean_whitespace(text: str, max_blank_lines: int = 1) -> str:
    """Unify line breaks, turn other spaces into one space, strip lines, cap blank lines.

    >>> clean_whitespace("a\\u3000 b \\r\\n\\r\\n\\r\\n\\tc  ")
    'a b\\n\\nc'
    """
    others = "" if text.isascii() else non_ascii(text)
    if any(c in text for c in _ASCII_LINE_BREAKS) or WIDE_LINE_BREAK_RE.search(others):
        text = LINE_BREAK_RE.sub("\n", text)
    if "  " in text or "\t" in text or WIDE_SPACE_RE.search(others):  # what SPACE_RE needs
        text = SPACE_RE.sub(" ", text)
    if " \n" in text or "\n " in text:
        text = "\n".join(line.strip(" ") for line in text.split("\n"))
    if max_blank_lines >= 0 and "\n\n\n" in text:
        text = BLANK_RUN_RE.sub("\n" * (max_blank_lines + 1), text)
    return text.strip()


@dataclass
class Normalize(Stage):
    """Repair and normalize text; each step can be turned off."""

    name: ClassVar[str] = "normalize"

    fix_mojibake: bool = True
    """ftfy: mis-decoded UTF-8 ("donâ€™t" -> "don’t"), C1 controls, surrogates."""
    unescape_html: bool = True
    """HTML entities to characters (``&amp;`` -> ``&``)."""
    strip_html_tags: bool = True
    """Leftover tags of common HTML elements, comments, and script/style blocks."""
    unicode_form: Literal["NFKC", "NFC", "NFKD", "NFD"] | None = "NFKC"
    """Unicode normalization form (NFKC also folds full-width forms); ``"off"``: none."""
    keep_fullwidth_punct_chinese: bool = True
    """Yi keeps full-width punctuation in Chinese text; other full-width forms still fold."""
    remove_invisible: bool = True
    """Remove soft hyphens, zero-width characters, the BOM, bidi marks and control characters."""
    traditional_to_simplified: bool = False
    """OpenCC traditional -> simplified on Chinese documents (slow: pure Python; off by default)."""
    opencc_config: Literal["t2s", "tw2s", "hk2s", "tw2sp"] = "t2s"
    """OpenCC conversion: generic traditional, Taiwan or Hong Kong variants; ``tw2sp`` also
    converts Taiwan phrases (計程車 -> 出租车), as data-juicer's ``chinese_convert_mapper``."""
    clean_whitespace: bool = True
    """Unify line breaks, turn other spaces into one space, strip lines, cap blank-line runs (``max_blank_lines``)."""
    max_blank_lines: int = 1
    """Runs of blank lines are cut to this many (paragraph breaks survive)."""

    def setup(self) -> None:
        if self.traditional_to_simplified:
            from opencc import OpenCC

            self._t2s = OpenCC(self.opencc_config)

    def normalize(self, text: str, chinese: bool) -> str:
        """The normalized form of ``text`` (``chinese`` selects the punctuation option)."""
        ascii_only = text.isascii()
        # a hint is ESC or non-ASCII characters only, so the non-ASCII ones hold any hint the text holds
        if (self.fix_mojibake and not ascii_only and ("\x1b" in text or MOJIBAKE_HINT_RE.search(non_ascii(text)))
                and MOJIBAKE_HINT_RE.search(text)):
            text = ftfy.fix_text(text, _FTFY)
        if self.strip_html_tags and "<" in text:
            text = SCRIPT_RE.sub("", text)
            text = TAG_RE.sub("", text)
        if self.unescape_html and "&" in text:
            text = html.unescape(text)
            ascii_only = ascii_only and text.isascii()
        if self.unicode_form and not ascii_only and not unicodedata.is_normalized(self.unicode_form, text):
            if chinese and self.keep_fullwidth_punct_chinese:
                text = nfkc_keep_punct(text, self.unicode_form)
            else:
                text = unicodedata.normalize(self.unicode_form, text)
        if self.remove_invisible:
            if has_invisible(text):
                text = INVISIBLE_RE.sub("", text)
            if "\u200c" in text or "\u200d" in text:
                text = STRAY_JOINER_RE.sub("", text)
        if self.traditional_to_simplified and chinese:
            if getattr(self, "_t2s", None) is None:
                raise StageNotSetUp(self)
            text = self._t2s.convert(text)
        if self.clean_whitespace:
            text = clean_whitespace(text, self.max_blank_lines)
        return text

    def apply(self, doc: Document) -> str | None:
        # a text without a Han character is not Chinese (unless its meta says so): no share to count
        text = self.normalize(doc.text, bool(doc.meta.get("language") or has_han(doc.text)) and tf.is_chinese(doc))
        if not text.strip():
            return "empty_after_normalization"
        if text != doc.text:
            doc.text = text
        return None
