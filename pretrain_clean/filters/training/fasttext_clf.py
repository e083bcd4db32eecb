"""Train a binary fastText classifier (quality, toxicity) and report held-out precision/recall.

Examples are documents prepared by :func:`filters.fasttext_text.fasttext_tokens` (the scoring
stages use the same function). A stratified ``held_out`` share of each class (by document,
seeded) is kept out of training and scored at probability 0.5 for the report. Training runs
single-threaded with a fixed seed, so a rebuild gives the same model.
Joulin et al., 2016 ("Bag of Tricks for Efficient Text Classification"); the reference-vs-web
quality setup follows GPT-3 (Brown et al., 2020, appendix A) and CCNet's "wiki-likeness".
"""
from __future__ import annotations

import random
import tempfile
from dataclasses import dataclass
from pathlib import Path

from pretrain_clean.filters.fasttext_text import fasttext_tokens, label_probability
from pretrain_clean.filters.model_card import write_card
from pretrain_clean.filters.model_files import load_fasttext
from pretrain_clean.pipeline import storage
from pretrain_clean.tokenizer.text_hashes import text_hash

MAX_NAN_RETRIES = 8
"""fasttext-numpy2 0.10.4 sometimes stops with "Encountered NaN" on identical input, seed
and settings (seen here in about half the runs on small data); runs that finish give
identical models. So we rerun the same training, up to this many times."""


@dataclass
class ClassifierReport:
    """Held-out scores of the positive class at ``threshold``."""

    model: str
    train_positive: int
    train_negative: int
    test_positive: int
    test_negative: int
    precision: float
    recall: float
    threshold: float = 0.5
    attempts: int = 1
    """Training runs needed (see MAX_NAN_RETRIES)."""
    excluded: int = 0
    """Input documents left out because their text hash is in an exclude list."""
    demo: bool = False
    """The card says demo-sized (see :mod:`filters.model_card`)."""

    def summary(self) -> str:
        """One line for the training job's output."""
        f1 = 2 * self.precision * self.recall / (self.precision + self.recall or 1.0)
        return (
            f"held-out: {self.test_positive} positive / {self.test_negative} negative documents; "
            f"precision {self.precision:.3f} recall {self.recall:.3f} F1 {f1:.3f} at p >= {self.threshold} "
            f"({self.attempts} training run(s))"
        )


def _split(texts: list[str], held_out: float, rng: random.Random) -> tuple[list[str], list[str]]:
    order = list(range(len(texts)))
    rng.shuffle(order)
    n_test = int(round(len(texts) * held_out)) if len(texts) > 1 else 0
    test = {i for i in order[:n_test]}
    return [t for i, t in enumerate(texts) if i not in test], [t for i, t in enumerate(texts) if i in test]


def chunks(text: str, chunk_tokens: int) -> list[str]:
    r"""Runs of consecutive lines of ``text`` with at least ``chunk_tokens`` tokens each
    (the last run may be shorter); the whole text when ``chunk_tokens`` is 0.

    >>> chunks("a b\nc d\ne", 3)
    ['a b c d', 'e']
    """
    if chunk_tokens <= 0:
        return [fasttext_tokens(text)]
    out, current = [], []
    for line in text.split("\n"):
        current.extend(fasttext_tokens(line).split())
        if len(current) >= chunk_tokens:
            out.append(" ".join(current))
            current = []
    if current:
        out.append(" ".join(current))
    return out


def precision_recall(scores: list[float], truth: list[bool], threshold: float) -> tuple[float, float]:
    """Precision and recall of ``score >= threshold`` against ``truth`` (0.0 when undefined).

    >>> precision_recall([0.9, 0.8, 0.2, 0.6], [True, False, True, False], 0.5)
    (0.3333333333333333, 0.5)
    """
    tp = sum(s >= threshold and t for s, t in zip(scores, truth))
    predicted = sum(s >= threshold for s in scores)
    actual = sum(truth)
    return (tp / predicted if predicted else 0.0), (tp / actual if actual else 0.0)


def without(texts: list[str], exclude: set[str]) -> list[str]:
    """``texts`` whose text hash is not in ``exclude``.

    >>> without(["a", "b"], {text_hash("a")})
    ['b']
    """
    return [t for t in texts if text_hash(t) not in exclude]


def train_classifier(
    positive: list[str],
    negative: list[str],
    output: str,
    labels: tuple[str, str],
    sources: dict[str, list[str]] | None = None,
    exclude: set[str] | None = None,
    demo: list[str] | None = None,
    held_out: float = 0.2,
    seed: int = 0,
    epoch: int = 25,
    lr: float = 0.5,
    dim: int = 32,
    word_ngrams: int = 2,
    bucket: int = 200_000,
    quantize_cutoff: int = 20_000,
    chunk_tokens: int = 100,
) -> ClassifierReport:
    """Train on ``positive``/``negative`` texts; ``labels`` are (positive, negative) label names.

    Training documents are cut into examples of about ``chunk_tokens`` tokens at line
    boundaries (0: whole documents): a small corpus then gives enough gradient steps.
    An output ending in ``.ftz`` is quantized (keeping the ``quantize_cutoff`` most important
    words and n-grams), which makes it a few hundred KB instead of tens of MB.
    Documents whose text hash is in ``exclude`` are left out; the model card
    (:mod:`filters.model_card`) records ``sources``, counts, held-out figures and ``demo`` marks.
    """
    import fasttext

    n_in = len(positive) + len(negative)
    if exclude:
        positive, negative = without(positive, exclude), without(negative, exclude)
    excluded = n_in - len(positive) - len(negative)
    if not positive or not negative:
        raise ValueError(f"need positive and negative documents (got {len(positive)} and {len(negative)}"
                         + (f"; {excluded} left out as evaluation documents, see --exclude" if excluded else "") + ")")
    rng = random.Random(seed)
    pos_train, pos_test = _split(positive, held_out, rng)
    neg_train, neg_test = _split(negative, held_out, rng)
    examples = [(labels[0], c) for t in pos_train for c in chunks(t, chunk_tokens)]
    examples += [(labels[1], c) for t in neg_train for c in chunks(t, chunk_tokens)]
    rng.shuffle(examples)
    out = Path(output)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="train_fasttext_") as tmp:
        train_file = Path(tmp) / "train.txt"
        with train_file.open("w", encoding="utf-8") as fh:
            for label, text in examples:
                fh.write(f"__label__{label} {text}\n")
        for attempt in range(MAX_NAN_RETRIES + 1):
            try:
                model = fasttext.train_supervised(
                    input=str(train_file), epoch=epoch, lr=lr * 0.5**attempt, dim=dim, wordNgrams=word_ngrams,
                    bucket=bucket, minCount=1, loss="softmax", thread=1, seed=seed, verbose=0,
                )  # fmt: skip
                attempts = attempt + 1
                break
            except RuntimeError as exc:  # "Encountered NaN.": diverged; retry at half the rate
                if "NaN" not in str(exc) or attempt == MAX_NAN_RETRIES:
                    raise RuntimeError(
                        f"fastText training hit NaN {attempt + 1} times, down to lr {lr * 0.5**attempt:g}: {exc}"
                    ) from exc
        if out.suffix == ".ftz":
            model.quantize(input=str(train_file), qnorm=True, retrain=False, cutoff=quantize_cutoff)
        tmp_out = storage.staging_path(out)
        model.save_model(str(tmp_out))
        storage.publish_file(tmp_out, out)
    saved = load_fasttext(str(out), "output")
    test = pos_test + neg_test
    truth = [True] * len(pos_test) + [False] * len(neg_test)
    scores = [positive_probability(saved, t, labels[0]) for t in test]
    precision, recall = precision_recall(scores, truth, 0.5)
    held_out = {"positive_documents": len(pos_test), "negative_documents": len(neg_test), "threshold": 0.5,
                "precision": round(precision, 4), "recall": round(recall, 4)}
    card = write_card(str(out), "fasttext_classifier", {labels[0]: pos_train, labels[1]: neg_train},
                      sources or {}, held_out, excluded, demo)
    return ClassifierReport(
        str(out), len(pos_train), len(neg_train), len(pos_test), len(neg_test), precision, recall,
        attempts=attempts, excluded=excluded, demo=card.demo,
    )


def positive_probability(model: object, text: str, label: str) -> float:
    """Probability the model gives ``__label__<label>`` for ``text``."""
    found, probs = model.predict(fasttext_tokens(text), k=-1)  # type: ignore[attr-defined]
    return label_probability(found, probs, f"__label__{label}")
