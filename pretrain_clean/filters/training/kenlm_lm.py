"""Train a CCNet-style KenLM model: normalize, SentencePiece, ``lmplz``, ``build_binary``.

Writes ``MODEL`` (KenLM binary, or ARPA when ``MODEL`` ends in ``.arpa``), ``<model>.sp.model``
(the tokenizer the scorer must use) and ``<model>.cutoffs.json`` (perplexity percentiles
0..100 on a sample, from which the ``perplexity`` stage takes its head/tail cut-offs).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import numpy as np

from pretrain_clean.filters.ccnet_text import normalize_line
from pretrain_clean.filters.model_card import write_card
from pretrain_clean.filters.model_files import load_kenlm, load_sentencepiece, sidecar
from pretrain_clean.pipeline import storage
from pretrain_clean.filters.perplexity import doc_perplexity, tokenized_lines

BUILD_HINT = "build it once with `bash scripts/build_kenlm.sh` (cached in build/kenlm/bin/)"


def find_kenlm_tool(name: str) -> Path:
    """Path of KenLM's ``lmplz``/``build_binary``: ``$KENLM_BIN``, ./build/kenlm/bin/, then PATH."""
    candidates = []
    if os.environ.get("KENLM_BIN"):
        candidates.append(Path(os.environ["KENLM_BIN"]) / name)
    candidates.append(Path.cwd() / "build" / "kenlm" / "bin" / name)
    on_path = shutil.which(name)
    if on_path:
        candidates.append(Path(on_path))
    for path in candidates:
        if path.is_file() and os.access(path, os.X_OK):
            return path
    raise FileNotFoundError(f"KenLM's {name} not found ($KENLM_BIN, build/kenlm/bin/, PATH); {BUILD_HINT}")


@dataclass
class KenlmReport:
    """What training produced: files, sizes, and the sample's percentile cut-offs."""

    model: str
    tokenizer: str
    cutoffs: str
    train_documents: int
    train_lines: int
    sample_documents: int
    percentiles: dict[str, float]


def _normalized_lines(texts: Iterable[str]) -> list[str]:
    return [n for text in texts for n in (normalize_line(line) for line in text.split("\n")) if n]


def train_sentencepiece(lines: list[str], prefix: Path, vocab_size: int, seed: int = 0) -> Path:
    """Unigram SentencePiece model on normalized lines (CCNet's tokenizer kind)."""
    import sentencepiece as spm

    spm.set_random_generator_seed(seed)
    corpus = prefix.with_suffix(".txt")
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    spm.SentencePieceTrainer.train(
        input=str(corpus), model_prefix=str(prefix), vocab_size=vocab_size, model_type="unigram",
        character_coverage=0.9995, hard_vocab_limit=False, input_sentence_size=2_000_000,
        shuffle_input_sentence=True, seed_sentencepiece_size=200_000, minloglevel=2,
        num_threads=1,
    )  # fmt: skip
    return prefix.with_suffix(".model")


def train_kenlm(
    inputs: list[str],
    output: str,
    order: int = 5,
    vocab_size: int = 8000,
    cutoff_texts: list[str] | None = None,
    held_out: float = 0.1,
    memory: str = "20%",
    prune: list[int] | None = None,
    texts: list[str] | None = None,
    exclude: set[str] | None = None,
    demo: list[str] | None = None,
) -> KenlmReport:
    """Train on the documents of ``inputs`` (or ``texts``); see the module docstring.

    ``prune`` is lmplz's ``--prune`` (count thresholds per order, e.g. ``[0, 0, 1]`` drops
    singleton 3-grams and longer), which keeps small-corpus models small.
    Cut-offs come from ``cutoff_texts`` (a sample of the corpus to filter, as CCNet does) or,
    without one, from every ``1/held_out``-th input document, which is then left out of training.
    """
    from pretrain_clean.filters.training.corpus import read_texts

    from pretrain_clean.filters.training.fasttext_clf import without

    docs = texts if texts is not None else list(read_texts(inputs))
    n_in = len(docs)
    docs = without(docs, exclude) if exclude else docs
    if not docs:
        raise ValueError(f"no documents in {inputs}")
    if cutoff_texts is None:
        step = max(2, round(1 / held_out)) if held_out > 0 else 0
        sample = docs[::step] if step else []
        train = [d for i, d in enumerate(docs) if not step or i % step] or docs
    else:
        sample, train = cutoff_texts, docs
    lmplz, build_binary = find_kenlm_tool("lmplz"), find_kenlm_tool("build_binary")
    out = Path(output)
    out.parent.mkdir(parents=True, exist_ok=True)
    sp_path = Path(sidecar(output, ".sp.model"))
    with tempfile.TemporaryDirectory(prefix="train_kenlm_") as tmp_dir:
        tmp = Path(tmp_dir)
        lines = _normalized_lines(train)
        if not lines:
            raise ValueError(f"no text lines left after normalization in {inputs}")
        sp_model = train_sentencepiece(lines, tmp / "sp", vocab_size)
        shutil.copyfile(sp_model, sp_path)
        sp = load_sentencepiece(str(sp_path), "tokenizer")
        corpus = tmp / "corpus.txt"
        with corpus.open("w", encoding="utf-8") as fh:
            for pieces in sp.encode(lines, out_type=str):
                fh.write(" ".join(pieces) + "\n")
        arpa = out if out.suffix == ".arpa" else tmp / "model.arpa"
        _run([str(lmplz), "-o", str(order), "--discount_fallback", "-S", memory, "-T", str(tmp),
              "--text", str(corpus), "--arpa", str(arpa),
              *(["--prune", *map(str, prune)] if prune else [])])  # fmt: skip
        if arpa != out:
            tmp_out = storage.staging_path(out)
            # trie with 8-bit quantized probabilities/backoffs: several times smaller than probing
            _run([str(build_binary), "-q", "8", "-b", "8", "trie", str(arpa), str(tmp_out)])
            storage.publish_file(tmp_out, out)
    lm = load_kenlm(str(out), "output")
    values = [doc_perplexity(lm, sp, t) for t in sample if tokenized_lines(t, None)]
    percentiles: dict[str, float] = {}
    if values:
        qs = np.percentile(np.array(values, dtype=np.float64), np.arange(101))
        percentiles = {str(i): round(float(q), 1) for i, q in enumerate(qs)}
    cutoffs_path = Path(sidecar(output, ".cutoffs.json"))
    if percentiles:
        cutoffs_path.write_text(
            json.dumps({"sample_documents": len(values), "percentiles": percentiles}, indent=1) + "\n",
            encoding="utf-8",
        )
    else:
        cutoffs_path.unlink(missing_ok=True)
    held = {"cutoff_sample_documents": len(values),
            **{f"p{q}": percentiles[str(q)] for q in (30, 60) if str(q) in percentiles}}
    write_card(str(out), "kenlm", {"all": train}, {"all": list(inputs)}, held, n_in - len(docs), demo)
    return KenlmReport(str(out), str(sp_path), str(cutoffs_path), len(train), len(lines), len(values), percentiles)


def _run(cmd: list[str]) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{Path(cmd[0]).name} failed ({proc.returncode}): {proc.stderr[-2000:]}")
