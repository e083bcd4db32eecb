"""Toxicity: LDNOOBW word lists with a density threshold, plus an optional fastText classifier.

C4 (Raffel et al., 2020) drops a page on a single LDNOOBW hit, which removes medical,
anatomical and LGBTQ text (Dodge et al., 2021, "Documenting Large Webtext Corpora"). We
count hits and drop on their density instead: ``hits / max(words, min_words)`` above
``max_density``. English terms match on word boundaries (case-insensitive). Chinese terms
match as substrings with ``chinese_words = "char"`` (a Chinese "word" is then one Han
character), or only where a match starts on a jieba word boundary with ``"jieba"``
(``叫做爱心`` is 叫做|爱心: no hit of 做爱; ``卖淫女`` is one word: a hit of 卖淫); words are
then jieba words, as data-juicer's ``flagged_words_filter`` counts them. With the defaults (3 hits per 100
words, at least 50 words counted) a single hit never drops a document.

Single-character Chinese entries (性, 奶, 乳, ...) are skipped: as substrings they hit
可能性, 牛奶, 乳制品. Entries of the Chinese list without a Han character are skipped too.

When ``model_path`` names a fastText model (``jobs/train_toxicity.py``), ``toxicity_score``
is its probability of ``label`` and documents at or above ``max_score`` are dropped.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from itertools import compress, count
from typing import Callable, ClassVar

from pretrain_clean.filters.ascii_fast import ascii_stand_in, split_table
from pretrain_clean.filters.fasttext_text import fasttext_tokens, label_probability
from pretrain_clean.filters.model_card import drops_allowed
from pretrain_clean.filters.model_files import existing, load_fasttext
from pretrain_clean.filters.cjk import HAN, HAN_RE as _HAN_RE, HAN_RUN_RE, has_han as has_han_char
from pretrain_clean.filters.segment import Segmenter, check_unit, segmenter
from pretrain_clean.pipeline.document import Document
from pretrain_clean.pipeline.stage import ModelPath, Stage, StageNotSetUp

_WORD_RE = re.compile(f"[^\\W{HAN}]+")
_ASCII_WORDS = split_table(re.compile(f"[^\\W{HAN}]"))
"""``_WORD_RE``'s tokens of an ASCII text: ``text.translate(_ASCII_WORDS).split()``."""


CASE_ODD = ("\u0130", "\u0131", "\u017f")
"""İ, ı, ſ: the characters an ignore-case regex matches to an ASCII letter (i, i, s) whose
lower case is not that letter (every code point is checked in tests/test_cascade_speed.py)."""


def read_terms(path: Path) -> list[str]:
    """Non-empty, stripped, lower-cased lines of a word list."""
    return [t.strip().lower() for t in path.read_text(encoding="utf-8").splitlines() if t.strip()]


def word_pattern(terms: list[str]) -> re.Pattern[str]:
    """One regex for whole-word (or whole-phrase) matches of ``terms``, longest first.

    >>> [m.group() for m in word_pattern(["ass", "bad word"]).finditer("a bad  word; class ass")]
    ['bad  word', 'ass']
    """
    parts = [r"\s+".join(map(re.escape, t.split())) for t in sorted(set(terms), key=len, reverse=True)]
    return re.compile(r"(?<!\w)(?:" + "|".join(parts) + r")(?!\w)", re.IGNORECASE)


class WordMatcher:
    """Counts whole-word and whole-phrase hits of a term list, as :func:`word_pattern` would.

    Terms made of word tokens are looked up in sets over the document's tokens (one pass,
    no 400-way regex alternation); the few terms with punctuation (``s&m``) use a regex.
    A phrase hit counts once, not also as hits of its words.

    >>> m = WordMatcher(["ass", "bad word", "word", "s&m"])
    >>> m.count("a bad  word; class ass, ASS and s&m. word")
    5
    >>> m.count("bad-word 中ass")  # a hyphen is no phrase gap; a Han neighbour is no word boundary
    1
    """

    def __init__(self, terms: list[str]) -> None:
        token = re.compile(f"^[^\\W{HAN}]+$")
        self.single: set[str] = set()
        self.phrases: dict[str, list[tuple[str, ...]]] = {}
        rest = []
        for term in sorted({t.lower() for t in terms}, key=len, reverse=True):
            words = term.split()
            if not words or not all(token.match(w) for w in words):
                rest.append(term)
            elif len(words) == 1:
                self.single.add(words[0])
            else:
                self.phrases.setdefault(words[0], []).append(tuple(words[1:]))
        self.regex = word_pattern(rest) if rest else None
        self.rest_heads = tuple(t.split()[0] for t in rest)
        """First words of the regex's terms: a text without one (lower-cased) has no regex hit,
        if the heads are ASCII (or caseless) and the text has no character that matches an ASCII letter
        ignoring case but does not lower-case to it (:data:`CASE_ODD`)."""
        self._heads_decide = all(c.isascii() or c.lower() == c == c.upper() for h in self.rest_heads for c in h)
        self._ascii_heads = tuple(h for h in self.rest_heads if h.isascii())
        self._wide_heads = tuple(h for h in self.rest_heads if not h.isascii())
        """Heads of ASCII or caseless characters (🖕 matches only itself, also ignoring case)."""

    def count(self, text: str) -> int:
        return self.count_words(text)[0]

    def count_words(self, text: str) -> tuple[int, int]:
        """:meth:`count`, and the number of words of ``text`` (non-Han word tokens). Token
        spans are found only where a Han character or a phrase's words ask for them."""
        lowered = text.lower()
        stand_in = ascii_stand_in(text)  # lower-casing keeps its stand-in characters and the length
        tokens = stand_in.lower().translate(_ASCII_WORDS).split() if stand_in is not None else _WORD_RE.findall(lowered)
        hits = sum(map(self.single.__contains__, tokens))
        has_han = stand_in is None and has_han_char(lowered)
        # Lower-casing that maps every character to one character keeps each character's
        # word class (every code point is checked in tests/test_cascade_speed.py), so the
        # lowered text has the same words; otherwise (İ -> i + U+0307) count them as written.
        words = len(tokens) if len(lowered) == len(text) else len(_WORD_RE.findall(text))
        spans: list[tuple[int, int]] = []

        def spans_of() -> list[tuple[int, int]]:
            if not spans:
                spans.extend(m.span() for m in _WORD_RE.finditer(lowered))
            return spans

        if has_han and hits:  # a Han character next to a token is a word character
            hits = sum(1 for t, span in zip(tokens, spans_of()) if t in self.single and _bounded(lowered, *span))
        if self.phrases:
            hits += self._phrase_hits(lowered, tokens, spans_of, has_han)
        ascii_in = lowered if stand_in is None else stand_in.lower()  # ASCII heads are found in it alike
        if self.regex is not None and (any(h in ascii_in for h in self._ascii_heads) or (not text.isascii() and (
                any(h in lowered for h in self._wide_heads) or
                not self._heads_decide or any(c in text for c in CASE_ODD)))):
            hits += len(self.regex.findall(text))
        return hits, words

    def _phrase_hits(self, text: str, tokens: list[str], spans_of: Callable[[], list[tuple[int, int]]],
                     has_han: bool) -> int:
        """Phrases matched left to right, a match skipping its words; only tokens that
        start a phrase are visited."""
        hits = nxt = 0
        for i in compress(count(), map(self.phrases.__contains__, tokens)):
            if i < nxt:
                continue
            for rest in self.phrases[tokens[i]]:
                k = len(rest)
                if tuple(tokens[i + 1:i + 1 + k]) != rest:
                    continue
                spans = spans_of()
                if all(text[spans[j][1]:spans[j + 1][0]].isspace() for j in range(i, i + k)) and (
                        not has_han or _bounded(text, spans[i][0], spans[i + k][1])):
                    inner = sum(1 for t in tokens[i:i + k + 1] if t in self.single)
                    hits += 1 - inner  # the words were counted as single hits already
                    nxt = i + k + 1
                    break
        return hits


def _bounded(text: str, start: int, end: int) -> bool:
    """True when ``text[start:end]`` has no word character on either side."""
    before = text[start - 1] if start else " "
    after = text[end] if end < len(text) else " "
    return not (before.isalnum() or before == "_") and not (after.isalnum() or after == "_")


def substring_pattern(terms: list[str], min_chars: int = 2) -> re.Pattern[str] | None:
    """Regex for substring matches of the Chinese ``terms`` with a Han character and at
    least ``min_chars`` characters.

    >>> [m.group() for m in substring_pattern(["性", "做爱", "13."]).finditer("可能性 13. 做爱")]
    ['做爱']
    """
    kept = sorted({t for t in terms if len(t) >= min_chars and _HAN_RE.search(t)}, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, kept)), re.IGNORECASE) if kept else None


def han_word_bounds(text: str, cut: Segmenter) -> tuple[set[int], int]:
    """Offsets where a Han word starts or ends, and the number of Han words.

    >>> han_word_bounds("他叫做爱心 ok", segmenter("jieba"))
    ({0, 1, 3, 5}, 3)
    """
    bounds: set[int] = set()
    n = 0
    for run in HAN_RUN_RE.finditer(text):
        pos = run.start()
        bounds.add(pos)
        for word in cut(run.group()):
            pos += len(word)
            bounds.add(pos)
            n += 1
    return bounds, n


@dataclass
class Toxicity(Stage):
    """Write ``toxic_hits``/``toxic_density`` (and ``toxicity_score``); drop toxic documents."""

    name: ClassVar[str] = "toxicity"
    wordlists: dict[str, ModelPath] = field(
        default_factory=lambda: {"en": "bundled:wordlists/ldnoobw/en", "zh": "bundled:wordlists/ldnoobw/zh"}
    )
    """Language -> word list (one term a line); ``zh``/``ja`` lists match as substrings."""
    max_density: float = 0.03
    """Word-list hits per word at most."""
    min_words: int = 50
    """Hits are divided by at least this many words, so one hit in a short text is no high density."""
    model_path: ModelPath | None = None
    """Optional fastText toxicity classifier; none: word lists only."""
    label: str = "toxic"
    """The classifier's toxic label (without ``__label__``)."""
    max_score: float = 0.5
    """Documents whose probability of ``label`` is this or more are dropped."""
    drop_with_demo_model: bool = False
    """Drop by a model whose card says demo-sized (default: only annotate, see filters.model_card)."""
    chinese_words: str = "char"
    """Chinese word unit: "char" (substring hits, a word per Han character) or "jieba"."""

    def __post_init__(self) -> None:
        check_unit(self.chinese_words)

    SUBSTRING_LANGUAGES: ClassVar[frozenset[str]] = frozenset({"zh", "ja"})

    def setup(self) -> None:
        word_terms: list[str] = []
        sub_terms: list[str] = []
        for lang, path in self.wordlists.items():
            terms = read_terms(existing(path, f"wordlists.{lang}"))
            (sub_terms if lang in self.SUBSTRING_LANGUAGES else word_terms).extend(terms)
        self._words = WordMatcher(word_terms) if word_terms else None
        self._substrings = substring_pattern(sub_terms)
        self._model = load_fasttext(self.model_path, "model_path") if self.model_path else None
        self._model_drops = bool(self.model_path) and drops_allowed(self.name, self.model_path, self.drop_with_demo_model)
        self._cut = segmenter(self.chinese_words)

    def density(self, text: str) -> tuple[int, float]:
        """Word-list hits in ``text`` and their density (see the module docstring)."""
        if not hasattr(self, "_words"):
            raise StageNotSetUp(self)
        hits, words = self._words.count_words(text) if self._words else (0, len(_WORD_RE.findall(text)))
        han = 0
        if self._substrings is not None and has_han_char(text):
            if self.chinese_words == "char":
                hits += len(self._substrings.findall(text))
                han = len(_HAN_RE.findall(text))
            else:
                bounds, han = han_word_bounds(text, self._cut)
                hits += sum(1 for m in self._substrings.finditer(text) if m.start() in bounds)
        return hits, hits / max(words + han, self.min_words, 1)

    def apply(self, doc: Document) -> str | None:
        return self.apply_batch([doc])[0]

    def apply_batch(self, docs: list[Document]) -> list[str | None]:
        if not hasattr(self, "_words"):
            raise StageNotSetUp(self)
        reasons: list[str | None] = []
        for doc in docs:
            hits, density = self.density(doc.text)
            doc.meta["toxic_hits"] = hits
            doc.meta["toxic_density"] = round(density, 4)
            reasons.append("toxic_words" if density > self.max_density else None)
        if self._model is not None:
            labels, probs = self._model.predict([fasttext_tokens(d.text) for d in docs], k=-1)
            for i, (doc, found, p) in enumerate(zip(docs, labels, probs)):
                score = doc.meta["toxicity_score"] = round(label_probability(found, p, f"__label__{self.label}"), 4)
                if reasons[i] is None and score >= self.max_score and self._model_drops:
                    reasons[i] = "toxic_classifier"
        return reasons
