"""C4 rules (Raffel et al. 2020, "Exploring the Limits of Transfer Learning", Sec. 2.2).

C4 both removes lines and drops pages. Deciding and rewriting are separate stages here:

* ``c4_quality`` decides on the page as C4 would: drop on "lorem ipsum" or a curly brace in
  a line C4 keeps so far, or fewer than ``min_num_sentences`` sentences in the lines it keeps.
  It does not change the text.
* ``c4_lines`` then removes the lines C4 removes (no terminal punctuation, fewer than 3 words,
  a word over 1000 characters, "javascript", cookie/policy phrases; Wikipedia-style
  citations are cut from kept lines) and rejoins the kept lines with newlines.

Together, in this order, they give datatrove's ``C4QualityFilter`` (without its bad-words
part, which downloads its list at run time): same decisions on English text and
the same rewritten text. Both read one line scan, cached per document, so keep their line
keys equal. Chinese documents are skipped by default (C4's terminal punctuation is Latin).
"""
from __future__ import annotations

import re
import unicodedata
from itertools import compress, count as count_from
from dataclasses import dataclass, fields
from typing import ClassVar, NamedTuple

from pretrain_clean import native
from pretrain_clean.pipeline.document import Document
from pretrain_clean.pipeline.stage import Stage
from pretrain_clean.filters import text_features as tf

CITATION_RE = re.compile(r"\[\d*]|\[edit]|\[citation needed]")
END_PUNCTUATION = (".", "?", "!", '"', "'")
POLICY_SUBSTRINGS = (
    "terms of use",
    "privacy policy",
    "cookie policy",
    "uses cookies",
    "use of cookies",
    "use cookies",
)
SENTENCE_END_CHARS = frozenset(
    "!.?։؟۔܀܁܂߹।॥၊။።፧፨᙮᜵᜶᠃᠉᥄᥅᪨᪩᪪᪫᭚᭛᭞᭟᰻᰼᱾᱿‼‽⁇⁈⁉⸮⸼꓿꘎꘏꛳꛷꡶꡷꣎꣏꤯꧈꧉꩝꩞꩟꫰꫱꯫﹒﹖﹗！．？"
    "𐩖𐩗𑁇𑁈𑂾𑂿𑃀𑃁𑅁𑅂𑅃𑇅𑇆𑇍𑇞𑇟𑈸𑈹𑈻𑈼𑊩𑑋𑑌𑗂𑗃𑗉𑗊𑗋𑗌𑗍𑗎𑗏𑗐𑗑𑗒𑗓𑗔𑗕𑗖𑗗𑙁𑙂𑜼𑜽𑜾𑩂𑩃𑪛𑪜𑱁𑱂𖩮𖩯𖫵𖬷𖬸𖭄𛲟𝪈｡。"
)
"""Sentence-final characters of spaCy's rule-based sentencizer (what datatrove counts with)."""
_LOREM, _JAVASCRIPT, _POLICIES = (b"lorem ipsum",), (b"javascript",), tuple(p.encode() for p in POLICY_SUBSTRINGS)
"""What the line pass looks for in lower-cased lines (``_c4.c4_keep`` takes ASCII bytes)."""
_TEXT_LOOKS = tuple(dict.fromkeys("cookie" if "cookie" in p else p for p in ("lorem ipsum", "javascript", *POLICY_SUBSTRINGS)))
"""What the lower-cased text is searched for first: every line phrase holds one of these."""
_c4_keep = native.load("filters._c4", 1).c4_keep


def _is_punct(token: str) -> bool:
    return all(unicodedata.category(ch).startswith("P") for ch in token)


def count_sentences(tokens: list[str], limit: int | None = None) -> int:
    """Sentences in a token list, by the sentencizer rule: a new sentence starts at the first
    non-punctuation token after a sentence-final mark. With ``limit``, counting stops there
    (the page rule only asks whether a page reaches its minimum).

    >>> count_sentences(tf.tokenize("It rains. Mr. Smith stays home! Does he? Yes."))
    4
    >>> count_sentences(tf.tokenize("It rains. Mr. Smith stays home! Does he? Yes."), limit=2)
    2
    """
    if not tokens:
        return 0
    count, resume, size = 1, 0, len(tokens)
    if limit is not None and count >= limit:
        return count
    # only the tokens after a sentence-final mark are looked at (in C: the marks' positions)
    for end in compress(count_from(), map(SENTENCE_END_CHARS.__contains__, tokens)):
        if end < resume:
            continue
        start = end + 1
        while start < size:
            token = tokens[start]
            # a token starting with a letter or digit is never all punctuation (tested over every code point)
            if token in SENTENCE_END_CHARS or (not token[0].isalnum() and _is_punct(token)):
                start += 1
            else:
                break
        if start == size:
            break
        count += 1
        if count == limit:
            break
        resume = start
    return count


class LineScan(NamedTuple):
    """Result of C4's line pass over a document."""

    kept: list[tuple[int, str]]
    """(index in ``tf.lines``, line as C4 keeps it: stripped, citations cut)."""
    lorem_ipsum: bool
    """A line that passed the punctuation and length checks says "lorem ipsum"."""
    curly_bracket: bool
    """A line that also passed the javascript check holds a "{"."""


@dataclass
class _C4LineRules(Stage):
    """The line-removal keys shared by ``c4_quality`` and ``c4_lines``."""

    remove_citations: bool = True
    """Cut citation marks (``[1]``, ``[edit]``, ``[citation needed]``) from lines."""
    filter_no_terminal_punct: bool = True
    """Remove lines that do not end in terminal punctuation (C4)."""
    min_words_per_line: int | None = 3
    """Remove lines with fewer words (C4: 3)."""
    max_word_length: int | None = 1000
    """Remove lines with a longer word (C4: 1000 characters)."""
    filter_javascript: bool = True
    """Remove lines that mention "javascript" (C4)."""
    filter_policy: bool = True
    """Remove lines with a policy phrase (``POLICY_SUBSTRINGS``: "terms of use", "privacy policy", cookies, ...)."""
    skip_chinese: bool = True
    """Leave Chinese documents to the Chinese rules (the line rules assume spaces and Latin punctuation)."""

    def _line_key(self) -> tuple:
        return tuple(getattr(self, f.name) for f in fields(_C4LineRules))

    def scan(self, doc: Document) -> LineScan:
        """C4's line pass (datatrove's order of checks), cached per document and keys."""
        return doc.cached(f"c4_scan{self._line_key()}", self._scan)

    def __post_init__(self) -> None:
        if self.max_word_length is not None and self.max_word_length < 0:
            raise ValueError(f"max_word_length: a length >= 0, or none to turn the rule off; got {self.max_word_length}")

    def _scan(self, doc: Document) -> LineScan:
        # A phrase looked for in a lower-cased line is in the lower-cased text too, unless cutting
        # a citation joined it: one look at the text (at C speed in Python) spares most texts the
        # per-line look. The line pass is C (_c4.c), in datatrove's order of checks; CITATION_RE,
        # END_PUNCTUATION and the phrases say what it looks for.
        look = "[" in doc.text
        if not look:
            lower = doc.text.lower()
            look = any(p in lower for p in _TEXT_LOOKS)
        max_word, min_words = self.max_word_length, self.min_words_per_line
        kept, lorem, curly = _c4_keep(
            tf.lines(doc), -1 if max_word is None else max_word, min_words or 0, self.filter_no_terminal_punct,
            self.remove_citations, _LOREM if look else (), _JAVASCRIPT if look and self.filter_javascript else (),
            _POLICIES if look and self.filter_policy else ())
        return LineScan(kept, lorem, curly)


@dataclass
class C4Quality(_C4LineRules):
    """Drop pages C4 drops; leaves the text as is (``c4_lines`` removes the lines)."""

    name: ClassVar[str] = "c4_quality"

    min_num_sentences: int | None = 5
    """Sentences counted in the lines C4 keeps (spaCy-sentencizer rule, regex tokens)."""
    filter_lorem_ipsum: bool = True
    """Drop pages with "lorem ipsum" (C4)."""
    filter_curly_bracket: bool = True
    """Drop pages with a "{" (C4: code)."""

    def apply(self, doc: Document) -> str | None:
        if self.skip_chinese and tf.is_chinese(doc):
            return None
        scan = self.scan(doc)
        if self.filter_lorem_ipsum and scan.lorem_ipsum:
            return "lorem_ipsum"
        if self.filter_curly_bracket and scan.curly_bracket:
            return "curly_bracket"
        if self.min_num_sentences is not None and self.min_num_sentences > 0:
            total, needed = 0, self.min_num_sentences
            for _, line in scan.kept:
                total += count_sentences(tf.tokenize(line), needed - total)
                if total >= needed:
                    break
            else:
                return "too_few_sentences"
        return None


@dataclass
class C4Lines(_C4LineRules):
    """Remove the lines C4 removes; drops a page only if no line is left."""

    name: ClassVar[str] = "c4_lines"

    def apply(self, doc: Document) -> str | None:
        if self.skip_chinese and tf.is_chinese(doc):
            return None
        scan = self.scan(doc)
        text = "\n".join(line for _, line in scan.kept).strip()
        if not text:
            return "no_lines_left"
        if text != doc.text:
            doc.text = text
        return None
