"""fastText quality classifier (``quality_classifier`` stage).

A binary classifier of reference-quality text (``__label__hq``) against raw web text
(``__label__lq``), as in GPT-3's filter (Brown et al., 2020, appendix A) and CCNet-style
"wiki-likeness" scores; trained by ``jobs/train_quality.py``. The stage writes
``quality_score`` (probability of ``label``) and drops documents below ``min_score``.
The bundled model is English only (no licensed reference-quality Chinese text is bundled),
so by default only ``en`` documents are scored; others pass unscored.
A model whose card (:mod:`filters.model_card`) says it is demo-sized only annotates unless
``drop_with_demo_model`` is set: the bundled model is one.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from pretrain_clean.filters.fasttext_text import fasttext_tokens, label_probability
from pretrain_clean.filters.model_card import drops_allowed, read_card
from pretrain_clean.filters.model_files import load_fasttext
from pretrain_clean.pipeline.document import Document
from pretrain_clean.pipeline.stage import ModelPath, Stage, StageNotSetUp


@dataclass
class QualityClassifier(Stage):
    """Write ``quality_score``; drop documents whose score is below ``min_score``."""

    name: ClassVar[str] = "quality_classifier"
    model_path: ModelPath = ModelPath("bundled:models/quality/en.ftz")
    """fastText quality classifier (``bundled:``, a path or a URI)."""
    label: str = "hq"
    """The model's positive label (without ``__label__``)."""
    min_score: float = 0.5
    """The probability of ``label`` at least."""
    languages: list[str] = field(default_factory=lambda: ["en"])
    """Score only documents whose ``meta["language"]`` is listed; empty scores all."""
    drop_with_demo_model: bool = False
    """Drop by a model whose card says demo-sized (default: only annotate)."""

    def setup(self) -> None:
        self._model = load_fasttext(self.model_path, "model_path")
        self._drops = drops_allowed(self.name, self.model_path, self.drop_with_demo_model)
        if f"__label__{self.label}" not in self._model.labels:
            raise ValueError(f"label: {self.label!r} is not a label of {self.model_path} ({self._model.labels})")

    def annotates_only(self) -> bool:
        """True with a demo-sized model (unless ``drop_with_demo_model``): it never drops then,
        so it may run after the dropping stages, or after dedup (``[run]`` settings)."""
        if self.drop_with_demo_model:
            return False
        if "_demo_model" not in self.__dict__:  # the card is read once per stage object
            card = read_card(str(self.model_path))
            self._demo_model = card is not None and card.demo
        return self._demo_model

    def apply(self, doc: Document) -> str | None:
        return self.apply_batch([doc])[0]

    def apply_batch(self, docs: list[Document]) -> list[str | None]:
        if not hasattr(self, "_model"):
            raise StageNotSetUp(self)
        todo = [i for i, d in enumerate(docs) if not self.languages or d.meta.get("language") in self.languages]
        reasons: list[str | None] = [None] * len(docs)
        if todo:
            labels, probs = self._model.predict([fasttext_tokens(docs[i].text) for i in todo], k=-1)
            for i, found, p in zip(todo, labels, probs):
                score = docs[i].meta["quality_score"] = round(label_probability(found, p, f"__label__{self.label}"), 4)
                if score < self.min_score and self._drops:
                    reasons[i] = "low_quality_score"
        return reasons
