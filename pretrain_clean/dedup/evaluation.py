"""A labeled near-duplicate set from real documents, and pair-level precision/recall.

Originals are real web documents; each gets edited copies at known word-edit rates
(random substitutions, deletions, insertions). Labels come from the true Jaccard of the
two shingle sets, so borderline pairs are known rather than guessed from the rate.
"""
from __future__ import annotations

import gzip
import json
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pretrain_clean.dedup.features import NearDupHasher
from pretrain_clean.dedup.hashing import jaccard, shingle_set
from pretrain_clean.dedup.minhash import estimate_jaccard

EDIT_RATES = (0.0025, 0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.2, 0.4)


def load_sample_texts(directory: str | Path, min_words: int = 150) -> list[str]:
    """Texts of the ``*.jsonl`` / ``*.json.gz`` / ``*.jsonl.gz`` files under ``directory``."""
    texts = []
    for path in sorted(Path(directory).iterdir()):
        if path.name.endswith((".jsonl", ".json.gz", ".jsonl.gz")):
            opener = gzip.open if path.suffix == ".gz" else open
            with opener(path, "rt", encoding="utf-8") as fh:
                texts += [json.loads(line).get("text", "") for line in fh if line.strip()]
    return [t for t in texts if len(t.split()) >= min_words]


def edit(text: str, rate: float, vocab: list[str], rng: random.Random) -> str:
    """Substitute, delete or insert a random word at about ``rate`` of the positions.

    >>> edit("a b c d", 0.0, ["x"], random.Random(0))
    'a b c d'
    """
    out = []
    for word in text.split():
        if rng.random() < rate:
            op = rng.randrange(3)
            if op == 0:
                out.append(rng.choice(vocab))
            elif op == 2:
                out += [word, rng.choice(vocab)]
        else:
            out.append(word)
    return " ".join(out)


@dataclass
class LabeledSet:
    """Documents and labeled pairs ``(i, j, true_jaccard, edit_rate or None)``."""

    texts: list[str]
    pairs: list[tuple[int, int, float, float | None]]


def build_labeled_set(originals: list[str], seed: int = 0, ngram: int = 5) -> LabeledSet:
    """Originals, one edited copy per rate each, all original-copy and original-original pairs."""
    rng = random.Random(seed)
    vocab = sorted({w for t in originals for w in t.split()})
    texts = list(originals)
    shingles = [shingle_set(t, ngram, ngram) for t in texts]
    pairs: list[tuple[int, int, float, float | None]] = []
    for i, text in enumerate(originals):
        for rate in EDIT_RATES:
            copy = edit(text, rate, vocab, rng)
            texts.append(copy)
            shingles.append(shingle_set(copy, ngram, ngram))
            pairs.append((i, len(texts) - 1, jaccard(shingles[i], shingles[-1]), rate))
    for i in range(len(originals)):
        for j in range(i + 1, len(originals)):
            pairs.append((i, j, jaccard(shingles[i], shingles[j]), None))
    return LabeledSet(texts, pairs)


def detected_pairs(hasher: NearDupHasher, texts: list[str], verify: bool) -> set[tuple[int, int]]:
    """Pairs sharing a band (and, with ``verify``, estimated Jaccard >= threshold)."""
    sigs = hasher.signatures(texts)
    keys, ok = hasher.band_keys(sigs)
    buckets: dict[int, list[int]] = {}
    for doc in np.flatnonzero(ok):
        for key in keys[doc].tolist():
            buckets.setdefault(key, []).append(int(doc))
    found = set()
    for members in buckets.values():
        for a in range(len(members)):
            for b in range(a + 1, len(members)):
                i, j = members[a], members[b]
                if not verify or estimate_jaccard(sigs[i], sigs[j]) >= hasher.cfg.minhash_threshold:
                    found.add((min(i, j), max(i, j)))
    return found


def pair_metrics(labeled: LabeledSet, found: set[tuple[int, int]], threshold: float, margin: float) -> dict[str, float]:
    """Recall over pairs with Jaccard >= threshold + margin; precision over detected
    labeled pairs, strict (a detected pair below the threshold is wrong) and with the
    margin (only pairs below threshold - margin are wrong); recall per Jaccard band."""
    detected = [(i, j, s) for i, j, s, _ in labeled.pairs if (min(i, j), max(i, j)) in found]
    clear = [(i, j) for i, j, s, _ in labeled.pairs if s >= threshold + margin]
    hits = sum(1 for i, j in clear if (min(i, j), max(i, j)) in found)
    out = {
        "pairs": float(len(labeled.pairs)),
        "positives_clear": float(len(clear)),
        "recall_clear": hits / len(clear) if clear else float("nan"),
        "detected": float(len(detected)),
        "precision_strict": sum(s >= threshold for *_, s in detected) / len(detected) if detected else float("nan"),
        "precision_margin": sum(s >= threshold - margin for *_, s in detected) / len(detected)
        if detected
        else float("nan"),
    }
    for lo, hi in ((threshold, threshold + margin), (threshold + margin, 1.01), (threshold - margin, threshold)):
        band = [(i, j) for i, j, s, _ in labeled.pairs if lo <= s < hi]
        if band:
            out[f"detected_rate_{lo:.2f}_{min(hi, 1.0):.2f}"] = sum(
                (min(i, j), max(i, j)) in found for i, j in band
            ) / len(band)
    return out
