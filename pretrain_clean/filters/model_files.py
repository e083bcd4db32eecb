"""Locating and loading scorer model files, with errors that say which file and why.

Stages keep model paths as plain strings (that is all they pickle): ``bundled:NAME``, an
absolute path, or a URI (``s3://...``); the config loader makes relative paths absolute on the
driver (:mod:`pretrain_clean.paths`), and :func:`resolve` turns each into a local file on the
machine that loads it.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pretrain_clean.errors import EnvironmentProblem
from pretrain_clean.paths import resolve_path
from pretrain_clean.pipeline import storage


class ModelFileError(EnvironmentProblem):
    """A model file is missing or unreadable; the message names the file and the key."""


def resolve(path: str) -> Path:
    """A local file with the content ``path`` names: ``bundled:`` resources of this install,
    a URI fetched once per machine into the cache (how models reach executors without a
    shared filesystem), else the path relative to the current folder."""
    return storage.local_copy(resolve_path(path))


def existing(path: str, key: str) -> Path:
    """``resolve(path)``, or :class:`ModelFileError` naming ``key`` if it is not a file."""
    p = resolve(path)
    if not p.is_file():
        raise ModelFileError(f"{key}: file not found: {p}")
    return p


def load_fasttext(path: str, key: str) -> Any:
    """Load a fastText model, turning fastText's terse failures into a clear error."""
    import fasttext

    p = existing(path, key)
    # fastText's loader prints a deprecation warning on stderr; silence it at the C++ level too.
    fasttext.FastText.eprint = lambda *args, **kwargs: None
    try:
        return fasttext.load_model(str(p))
    except Exception as exc:  # noqa: BLE001 - fastText raises ValueError/RuntimeError/MemoryError
        raise ModelFileError(f"{key}: not a readable fastText model: {p} ({exc})") from exc


def load_kenlm(path: str, key: str) -> Any:
    """Load a KenLM model (ARPA or binary)."""
    import kenlm

    p = existing(path, key)
    try:
        return kenlm.Model(str(p))
    except (OSError, RuntimeError, ValueError) as exc:
        raise ModelFileError(f"{key}: not a readable KenLM model: {p} ({exc})") from exc


def load_sentencepiece(path: str, key: str) -> Any:
    """Load a SentencePiece model."""
    import sentencepiece as spm

    p = existing(path, key)
    sp = spm.SentencePieceProcessor()
    try:
        sp.Load(str(p))
    except (OSError, RuntimeError) as exc:
        raise ModelFileError(f"{key}: not a readable SentencePiece model: {p} ({exc})") from exc
    return sp


def sidecar(model_path: str, suffix: str) -> str:
    """The file next to a KenLM model with ``suffix`` in place of its extension.

    CCNet ships ``en.arpa.bin`` with ``en.sp.model``; we follow the same layout.

    >>> sidecar("models/kenlm/en.arpa.bin", ".sp.model")
    'models/kenlm/en.sp.model'
    >>> sidecar("lm/zh.binary", ".cutoffs.json")
    'lm/zh.cutoffs.json'
    """
    base = model_path
    for ext in (".bin", ".binary", ".arpa", ".klm"):
        if base.endswith(ext):
            base = base[: -len(ext)]
    return base + suffix if base != model_path else os.path.splitext(model_path)[0] + suffix


def load_word_list(path: str | Path) -> frozenset[str]:
    """Words of a one-word-per-line file; blank lines and ``#`` comments are skipped."""
    path = resolve(str(path))
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FileNotFoundError(f"word list {path}: cannot read it ({exc})") from exc
    return frozenset(
        line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")
    )
