"""Toxicity: LDNOOBW word lists with a density threshold, plus an optional fastText classifier.

C4 (Raffel et al., 2020) drops a page on a single LDNOOBW hit, which removes medical,
anatomical and LGBTQ text (Dodge et al., 2021, "Documenting Large Webtext Corpora"). We
count hits and drop on their density instead: ``hits / max(words, min_words)`` above
``max_density``. English terms match on word boundaries (case-insensitive); Chinese terms
match as substrings, and a Chinese "word" is one Han character. With the defaults (3 hits per
100 words, at least 50 words counted) a single hit never drops a document.

Single-character Chinese entries (性, 奶, 乳, ...) are skipped: as substrings they hit
可能性, 牛奶, 乳制品. Entries of the Chinese list without a Han character are skipped too.

When ``model_path`` names a fastText model (``jobs/train_toxicity.py``), ``toxicity_score``
is its probability of ``label`` and documents at or above ``max_score`` are dropped.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from filters.fasttext_text import fasttext_tokens, label_probability
from filters.model_files import existing, load_fasttext
from filters.text_features import HAN
from pipeline.document import Document
from pipeline.stage import ModelPath, Stage

_HAN_RE = re.compile(f"[{HAN}]")
_WORD_RE = re.compile(f"[^\\W{HAN}]+")


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


def substring_pattern(terms: list[str], min_chars: int = 2) -> re.Pattern[str] | None:
    """Regex for substring matches of the Chinese ``terms`` with a Han character and at
    least ``min_chars`` characters.

    >>> [m.group() for m in substring_pattern(["性", "做爱", "13."]).finditer("可能性 13. 做爱")]
    ['做爱']
    """
    kept = sorted({t for t in terms if len(t) >= min_chars and _HAN_RE.search(t)}, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, kept)), re.IGNORECASE) if kept else None


@dataclass
class Toxicity(Stage):
    """Write ``toxic_hits``/``toxic_density`` (and ``toxicity_score``); drop toxic documents."""

    name: ClassVar[str] = "toxicity"
    wordlists: dict[str, str] = field(
        default_factory=lambda: {"en": "data/wordlists/ldnoobw/en", "zh": "data/wordlists/ldnoobw/zh"}
    )
    """Language -> word list (one term a line); ``zh``/``ja`` lists match as substrings."""
    max_density: float = 0.03
    min_words: int = 50
    model_path: ModelPath | None = None
    label: str = "toxic"
    max_score: float = 0.5

    SUBSTRING_LANGUAGES: ClassVar[frozenset[str]] = frozenset({"zh", "ja"})

    def setup(self) -> None:
        word_terms: list[str] = []
        sub_terms: list[str] = []
        for lang, path in self.wordlists.items():
            terms = read_terms(existing(path, f"wordlists.{lang}"))
            (sub_terms if lang in self.SUBSTRING_LANGUAGES else word_terms).extend(terms)
        self._words = word_pattern(word_terms) if word_terms else None
        self._substrings = substring_pattern(sub_terms)
        self._model = load_fasttext(self.model_path, "model_path") if self.model_path else None

    def density(self, text: str) -> tuple[int, float]:
        """Word-list hits in ``text`` and their density (see the module docstring)."""
        if not hasattr(self, "_words"):
            self.setup()
        hits = len(self._words.findall(text)) if self._words else 0
        han = 0
        if self._substrings is not None and _HAN_RE.search(text):
            hits += len(self._substrings.findall(text))
            han = len(_HAN_RE.findall(text))
        words = len(_WORD_RE.findall(text)) + han
        return hits, hits / max(words, self.min_words, 1)

    def apply(self, doc: Document) -> str | None:
        return self.apply_batch([doc])[0]

    def apply_batch(self, docs: list[Document]) -> list[str | None]:
        if not hasattr(self, "_words"):
            self.setup()
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
                if reasons[i] is None and score >= self.max_score:
                    reasons[i] = "toxic_classifier"
        return reasons
