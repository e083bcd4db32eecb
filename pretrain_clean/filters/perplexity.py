"""KenLM perplexity per language, CCNet style (``perplexity`` stage).

Wenzek et al., 2020 ("CCNet"): each line is normalized (:func:`filters.ccnet_text.normalize_line`),
cut into SentencePiece pieces, scored by a 5-gram KenLM model of the document's language, and
the document's perplexity is ``10 ** (-sum log10 p / tokens)``. Documents fall in the
``head``/``middle``/``tail`` bucket by the language's 30th and 60th perplexity percentiles
(CCNet's ``PerplexityBucket`` defaults), computed on a sample of the corpus being filtered.

Model layout follows CCNet's: ``en.arpa.bin`` with ``en.sp.model`` (tokenizer) beside it; our
trainer also writes ``en.cutoffs.json`` (percentiles 0..100 of a sample's perplexities).
One deviation: CCNet normalizes the whole document at once, which deletes the newlines with
the other control characters and glues lines together; we normalize and score line by line,
as the model was trained.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any, ClassVar

from pretrain_clean.filters.ccnet_text import doc_log10_score, normalize_text_lines, perplexity
from pretrain_clean.filters.model_card import drops_allowed
from pretrain_clean.filters.model_files import ModelFileError, load_kenlm, load_sentencepiece, resolve, sidecar
from pretrain_clean.pipeline.document import Document
from pretrain_clean.pipeline.stage import ModelPath, Stage, StageNotSetUp

BUCKETS = ("head", "middle", "tail")


def tokenized_lines(text: str, sp: Any | None) -> list[str]:
    """Normalized, non-empty lines of ``text`` as space-joined SentencePiece pieces."""
    lines = normalized_lines(text)
    if sp is None or not lines:
        return lines
    return [joined for joined, _ in piece_lines(sp, lines)]


def normalized_lines(text: str) -> list[str]:
    """CCNet-normalized (:func:`filters.ccnet_text.normalize_line`), non-empty lines of ``text``."""
    return normalize_text_lines(text)


def piece_lines(sp: Any, lines: list[str]) -> list[tuple[str, int]]:
    """Each line as its space-joined SentencePiece pieces and their number.

    One ``encode`` call for all lines, on this thread: sentencepiece's thread pool (its
    default for a list) costs more CPU than it saves for a document's few lines.
    (Encoding to ids and looking pieces up would be cheaper, but an unknown piece must be
    written as its text, not ``<unk>``: the KenLM models were trained on that text.)
    """
    return [(" ".join(pieces), len(pieces)) for pieces in sp.encode(lines, out_type=str, num_threads=1)]


def doc_perplexity(lm: Any, sp: Any | None, text: str) -> float:
    """CCNet document perplexity of ``text`` under KenLM model ``lm`` (``inf`` if no text).

    Same tokens as :func:`tokenized_lines` (what the model was trained on), counted from the
    piece lists instead of re-splitting the joined lines.
    """
    return docs_perplexity(lm, sp, [text])[0]


def docs_perplexity(lm: Any, sp: Any | None, texts: list[str]) -> list[float]:
    """:func:`doc_perplexity` of each of ``texts``, with one tokenizer call for all their lines."""
    doc_lines = [normalized_lines(text) for text in texts]
    lines = [line for one in doc_lines for line in one]
    scored = [(line, len(line.split())) for line in lines] if sp is None else piece_lines(sp, lines)
    values, start = [], 0
    for one in doc_lines:
        end = start + len(one)
        values.append(perplexity(*doc_log10_score((lm.score(joined), n) for joined, n in scored[start:end])))
        start = end
    return values


def bucket(value: float, head_cutoff: float, tail_cutoff: float) -> str:
    """CCNet's bucket: ``head`` below the head cut-off, ``middle`` below the tail one.

    >>> [bucket(v, 100.0, 300.0) for v in (50.0, 100.0, 299.9, 300.0)]
    ['head', 'middle', 'middle', 'tail']
    """
    if value < head_cutoff:
        return "head"
    return "middle" if value < tail_cutoff else "tail"


def read_cutoffs(path: str, head_percentile: int, tail_percentile: int, key: str) -> tuple[float, float]:
    """Head and tail cut-offs from a ``.cutoffs.json`` written by ``jobs/train_kenlm.py``."""
    p = resolve(path)
    try:
        percentiles = json.loads(p.read_text(encoding="utf-8"))["percentiles"]
        return float(percentiles[str(head_percentile)]), float(percentiles[str(tail_percentile)])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelFileError(f"{key}: cannot read percentile cut-offs from {p} ({exc!r})") from exc


@dataclass
class Perplexity(Stage):
    """Write ``perplexity`` and ``perplexity_bucket``; drop above ``max_perplexity`` or by bucket.

    Documents whose ``meta["language"]`` (set by ``language_id``) has no model pass unscored.
    """

    name: ClassVar[str] = "perplexity"
    models: dict[str, ModelPath] = field(
        default_factory=lambda: {"en": "bundled:models/kenlm/en.arpa.bin", "zh": "bundled:models/kenlm/zh.arpa.bin"}
    )
    """Language -> KenLM model (ARPA or binary)."""
    tokenizers: dict[str, str] = field(default_factory=dict)
    """Language -> SentencePiece model; default ``<model>.sp.model`` if it exists; "" = none
    (the model was trained on whitespace tokens)."""
    cutoffs: dict[str, list[float]] = field(default_factory=dict)
    """Language -> [head, tail] perplexity cut-offs; default from ``<model>.cutoffs.json``."""
    head_percentile: int = 30
    """Percentile of the reference perplexities that ends the ``head`` bucket (CCNet: 30)."""
    tail_percentile: int = 60
    """Percentile that starts the ``tail`` bucket (CCNet: 60)."""
    max_perplexity: dict[str, float] = field(default_factory=dict)
    """Language -> drop documents with a higher perplexity (a language left out: no limit)."""
    drop_buckets: list[str] = field(default_factory=list)
    """Buckets to drop, e.g. ["tail"] (CCNet's tail is the least Wikipedia-like 40%)."""
    drop_with_demo_model: bool = False
    """Drop by a model whose card says demo-sized (default: only annotate, see filters.model_card)."""

    def __post_init__(self) -> None:
        unknown = sorted(set(self.drop_buckets) - set(BUCKETS))
        if unknown:
            raise ValueError(f"drop_buckets: unknown bucket(s) {unknown} (known: {', '.join(BUCKETS)})")
        for lang, pair in self.cutoffs.items():
            if len(pair) != 2 or pair[0] > pair[1]:
                raise ValueError(f"cutoffs.{lang}: expected [head, tail] with head <= tail, got {pair}")
        if not 0 <= self.head_percentile <= self.tail_percentile <= 100:
            raise ValueError("head_percentile/tail_percentile: need 0 <= head <= tail <= 100")

    def setup(self) -> None:
        self._lms: dict[str, Any] = {}
        self._sps: dict[str, Any | None] = {}
        self._cutoffs: dict[str, tuple[float, float]] = {}
        self._drops: dict[str, bool] = {}
        asked_to_drop = bool(self.drop_buckets or self.max_perplexity)
        for lang, path in self.models.items():
            self._lms[lang] = load_kenlm(path, f"models.{lang}")
            self._drops[lang] = not asked_to_drop or drops_allowed(self.name, path, self.drop_with_demo_model)
            sp_path = self.tokenizers.get(lang)
            if sp_path is None:
                default = sidecar(path, ".sp.model")
                sp_path = default if resolve(default).is_file() else ""
            self._sps[lang] = load_sentencepiece(sp_path, f"tokenizers.{lang}") if sp_path else None
            if lang in self.cutoffs:
                head, tail = self.cutoffs[lang]
                self._cutoffs[lang] = (float(head), float(tail))
            elif resolve(sidecar(path, ".cutoffs.json")).is_file():
                self._cutoffs[lang] = read_cutoffs(
                    sidecar(path, ".cutoffs.json"), self.head_percentile, self.tail_percentile,
                    f"models.{lang} (cutoffs file)",
                )
        missing = sorted(set(self.models) - set(self._cutoffs)) if self.drop_buckets else []
        if missing:
            raise ModelFileError(
                f"drop_buckets needs cut-offs for {missing}: set cutoffs.<lang> or train with "
                "jobs/train_kenlm.py, which writes <model>.cutoffs.json"
            )

    def score(self, text: str, language: str) -> float | None:
        """Perplexity of ``text`` in ``language``, or ``None`` without a model for it."""
        if not hasattr(self, "_lms"):
            raise StageNotSetUp(self)
        lm = self._lms.get(language)
        return None if lm is None else doc_perplexity(lm, self._sps[language], text)

    def annotates_only(self) -> bool:
        return not self.drop_buckets and not self.max_perplexity

    def apply(self, doc: Document) -> str | None:
        return self.apply_batch([doc])[0]

    def apply_batch(self, docs: list[Document]) -> list[str | None]:
        if not hasattr(self, "_lms"):
            raise StageNotSetUp(self)
        by_language: dict[str, list[int]] = {}
        for i, doc in enumerate(docs):
            if doc.meta.get("language", "") in self._lms:
                by_language.setdefault(doc.meta["language"], []).append(i)
        reasons: list[str | None] = [None] * len(docs)
        for language, todo in by_language.items():
            values = docs_perplexity(self._lms[language], self._sps[language], [docs[i].text for i in todo])
            for i, value in zip(todo, values):
                reasons[i] = self._decide(docs[i], language, value)
        return reasons

    def _decide(self, doc: Document, language: str, value: float) -> str | None:
        if math.isinf(value):  # no text to score
            return None
        doc.meta["perplexity"] = value
        if language in self._cutoffs:
            doc.meta["perplexity_bucket"] = name = bucket(value, *self._cutoffs[language])
            if name in self.drop_buckets and self._drops[language]:
                return f"{name}_bucket"
        limit = self.max_perplexity.get(language)
        if limit is not None and value > limit and self._drops[language]:
            return "high_perplexity"
        return None
