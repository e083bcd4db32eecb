"""Model cards: what a trained scorer model is, written beside it by the training jobs.

``<model>.card.json`` (same folder, the model's extension replaced, as the KenLM sidecars)
records the training documents per class and their sources, held-out figures, the date, and
``<model>.hashes.txt``: the text hash (:func:`tokenizer.sample.text_hash`) of every training
document, so anyone can check that a model never saw a given document.

A card is **demo-sized** when the model saw fewer than :data:`MIN_TRAINING_DOCUMENTS` documents
in a class (or in all, for a language model), or when its trainer marked it so (``--demo``:
e.g. trained on the very data the demo then cleans). A stage asked to drop with a demo-sized
model only annotates (the score stays in ``meta``) and warns once, unless its config sets
``drop_with_demo_model = true`` (:func:`drops_allowed`). A model without a card (a CCNet model,
``lid.176.bin``, your own) is taken as the user's choice and drops as configured.
"""
from __future__ import annotations

import datetime as _dt
import json
import multiprocessing
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pretrain_clean.filters.model_files import ModelFileError, resolve, sidecar

CARD_SUFFIX = ".card.json"
HASHES_SUFFIX = ".hashes.txt"
MIN_TRAINING_DOCUMENTS = 10_000
"""Fewer training documents per class than this makes a model demo-sized. GPT-3's quality
classifier and CCNet's language models saw millions; 10,000 documents per class is the least
we would let drop a user's data unreviewed."""


class DemoModelWarning(UserWarning):
    """A stage was asked to drop with a demo-sized model and only annotates."""


_WARNED: set[tuple[str, str]] = set()
"""(stage, model file) pairs this process has warned about: one warning each."""


@dataclass
class ModelCard:
    """The facts about one trained model (the JSON beside it)."""

    model: str
    """File name of the model (the card sits in the same folder)."""
    kind: str
    """``fasttext_classifier`` or ``kenlm``."""
    created: str
    """Date of training (ISO, UTC)."""
    training_documents: dict[str, int]
    """Class (``hq``/``lq``, ``toxic``/``clean``; ``all`` for a language model) -> documents."""
    sources: dict[str, list[str]]
    """Class -> the input paths its documents came from."""
    held_out: dict[str, Any] = field(default_factory=dict)
    """Held-out figures: precision/recall and test documents (classifiers); the cut-off sample
    size and percentiles (KenLM)."""
    excluded_documents: int = 0
    """Input documents left out because they are in an evaluation set (by text hash)."""
    text_hashes: str = ""
    """File name of the training documents' text hashes (same folder)."""
    demo_reasons: list[str] = field(default_factory=list)
    """Why the model is demo-sized; empty for a model fit to drop data."""

    @property
    def demo(self) -> bool:
        return bool(self.demo_reasons)


def card_path(model_path: str) -> str:
    """``<model>.card.json`` beside ``model_path`` (a local path or a URI, kept as a string:
    ``Path`` would fold ``s3://`` into ``s3:/``).

    >>> card_path("models/quality/en.ftz"), card_path("s3://bucket/lm/en.arpa.bin")
    ('models/quality/en.card.json', 's3://bucket/lm/en.card.json')
    """
    return sidecar(str(model_path), CARD_SUFFIX)


def demo_reasons(training_documents: dict[str, int], marked: list[str] | None = None) -> list[str]:
    """Why a model with these training counts (and trainer's marks) is demo-sized.

    >>> demo_reasons({"hq": 12000, "lq": 50000})
    []
    >>> demo_reasons({"hq": 9999, "lq": 50000}, ["trained on the data the demo cleans"])
    ['hq: 9,999 training documents (< 10,000)', 'trained on the data the demo cleans']
    """
    reasons = [f"{cls}: {n:,} training documents (< {MIN_TRAINING_DOCUMENTS:,})"
               for cls, n in training_documents.items() if n < MIN_TRAINING_DOCUMENTS]
    return reasons + list(marked or [])


def write_card(model_path: str, kind: str, training: dict[str, list[str]], sources: dict[str, list[str]],
               held_out: dict[str, Any], excluded: int = 0, marked: list[str] | None = None) -> ModelCard:
    """Write the card and the hashes file beside ``model_path``; ``training`` maps class -> texts."""
    from pretrain_clean.tokenizer.text_hashes import text_hash

    model = Path(model_path)
    counts = {cls: len(texts) for cls, texts in training.items()}
    hashes = Path(sidecar(str(model), HASHES_SUFFIX))
    hashes.write_text("".join(f"{cls}\t{text_hash(t)}\n" for cls, texts in training.items() for t in texts),
                      encoding="utf-8")
    card = ModelCard(
        model=model.name, kind=kind, created=_dt.datetime.now(_dt.timezone.utc).date().isoformat(),
        training_documents=counts, sources=sources, held_out=held_out, excluded_documents=excluded,
        text_hashes=hashes.name, demo_reasons=demo_reasons(counts, marked),
    )
    Path(card_path(str(model))).write_text(json.dumps(asdict(card), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return card


def read_card(model_path: str) -> ModelCard | None:
    """The card beside ``model_path``, or ``None`` if it has none."""
    path = resolve(card_path(str(model_path)))  # a URI's card is fetched like its model
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return ModelCard(**data)
    except (OSError, ValueError, TypeError) as exc:
        raise ModelFileError(f"model card {path}: unreadable ({exc}); retrain the model or delete the card") from exc


def drops_allowed(stage: str, model_path: str, drop_with_demo_model: bool) -> bool:
    """Whether ``stage`` may drop documents by ``model_path``'s scores (else: annotate only).

    False when the card says the model is demo-sized and the config did not set
    ``drop_with_demo_model = true``; then one :class:`DemoModelWarning` per model, from the
    main process (the driver loads every model before the workers start).
    """
    card = read_card(model_path)
    if card is None or not card.demo or drop_with_demo_model:
        return True
    key = (stage, str(resolve(str(model_path))))
    if key in _WARNED or _in_worker_process():
        return False  # warned already, or a worker process: the driver warns for the run
    _WARNED.add(key)
    warnings.warn(
        f"{stage}: {model_path} is demo-sized ({'; '.join(card.demo_reasons)}): scores are written "
        f"to meta but no document is dropped by them; train on real reference data (docs/scorers.md) "
        f"or set stages.{stage}.drop_with_demo_model = true",
        DemoModelWarning, stacklevel=2,
    )
    return False


def _in_worker_process() -> bool:
    """Whether this process was started by a pool (multiprocessing, or datatrove's ``multiprocess``)."""
    if multiprocessing.parent_process() is not None:
        return True
    try:
        import multiprocess
    except ImportError:
        return False
    return multiprocess.parent_process() is not None


LABELLED_HASHES = "bundled:labelled/hashes.txt"
"""The labelled evaluation set (``pretrain-clean evaluate``): never trained on by default."""


def excluded_hashes(paths: list[str]) -> set[str]:
    """Text hashes to keep out of training: one hash per line (a ``hashes.txt``), last column."""
    found: set[str] = set()
    for raw in paths:
        path = resolve(raw)
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise FileNotFoundError(f"exclude list {path}: cannot read it ({exc})") from exc
        found.update(line.split("\t")[-1].strip() for line in lines if line.strip())
    return found
