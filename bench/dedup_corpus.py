"""Generated near-duplicate corpora for the dedup benchmarks, fast enough for 10M documents.

Documents are 180 words (~1.2 KB) drawn Zipf-like from the real sample's vocabulary; 5% are
exact copies and 10% near copies (1% of the words redrawn) of one of the 10,000 documents
before them, so copies of copies accumulate edits. Parts are generated in parallel worker
processes, each from its own seed: part ``p`` regenerates part ``p - 1``'s originals to copy
across the boundary (a copy reaching into the previous part takes the nearest original
there), so the corpus is the same with any number of workers.

Word draws use a 2^20-entry lookup table (probabilities quantized to 1/2^20) and texts are
joined by Arrow (``binary_join``), so a part of 50,000 documents takes about a second.
"""
from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pretrain_clean.dedup.evaluation import load_sample_texts

SAMPLE = str(Path(__file__).resolve().parent.parent / "data" / "sample" / "web_en")  # any working folder
WORDS = 180
WINDOW = 10_000
KINDS_P = (0.85, 0.05, 0.10)
"""Share of originals, exact copies and near copies."""
EDIT_RATE = 0.01
TABLE_BITS = 20
SCHEMA = pa.schema([("id", pa.string()), ("text", pa.string()), ("source", pa.string()),
                    ("position", pa.int64()), ("meta", pa.string())])


@dataclass(frozen=True)
class Corpus:
    vocab: pa.Array
    table: np.ndarray
    """Word ids laid out so a uniform draw from it is a Zipf-like draw over the vocabulary."""
    n: int
    per_part: int
    seed: int


def make_corpus(n: int, per_part: int, seed: int = 0, sample: str = SAMPLE) -> Corpus:
    words = sorted({w for t in load_sample_texts(sample, 1) for w in t.split()})
    probs = 1.0 / np.arange(1, len(words) + 1)
    counts = np.maximum(np.round(probs / probs.sum() * (1 << TABLE_BITS)), 1).astype(np.int64)
    table = np.repeat(np.arange(len(words), dtype=np.int32), counts)
    return Corpus(pa.array(words, pa.string()), table, n, per_part, seed)


def _bounds(c: Corpus, part: int) -> tuple[int, int]:
    lo = part * c.per_part
    return lo, min(lo + c.per_part, c.n)


def _originals(c: Corpus, part: int) -> tuple[np.ndarray, np.ndarray]:
    """Part ``part``'s kinds (0 original, 1 exact copy, 2 near copy) and random word rows."""
    lo, hi = _bounds(c, part)
    rng = np.random.default_rng([c.seed, part])
    kinds = rng.choice(3, size=hi - lo, p=KINDS_P).astype(np.int8)
    if part == 0:
        kinds[: min(10, hi - lo)] = 0
    rows = c.table[rng.integers(0, len(c.table), size=(hi - lo, WORDS))]
    return kinds, rows


def part_words(c: Corpus, part: int) -> tuple[np.ndarray, dict[str, int]]:
    """Word-id rows of part ``part`` with its copies applied, and what it planted."""
    lo, hi = _bounds(c, part)
    kinds, rows = _originals(c, part)
    prev_kinds, prev_rows = _originals(c, part - 1) if part > 0 else (np.zeros(0, np.int8), rows[:0])
    prev_lo = lo - len(prev_kinds)
    # Nearest original at or before each position of the previous part (-1: none).
    prev_orig = np.maximum.accumulate(np.where(prev_kinds == 0, np.arange(len(prev_kinds)), -1)) if len(prev_kinds) else prev_kinds
    rng = np.random.default_rng([c.seed, part, 1])
    copies = np.flatnonzero(kinds != 0)
    sources = lo + copies - 1 - rng.integers(0, np.minimum(WINDOW, lo + copies))
    edits = rng.random((len(copies), WORDS)) < EDIT_RATE
    redraw = c.table[rng.integers(0, len(c.table), size=(len(copies), WORDS))]
    for k, i in enumerate(copies.tolist()):
        s = int(sources[k])
        if s >= lo:
            rows[i] = rows[s - lo]
        elif s >= prev_lo and len(prev_orig) and prev_orig[s - prev_lo] >= 0:
            rows[i] = prev_rows[prev_orig[s - prev_lo]]
        else:  # nothing earlier to copy (corpus start): stays an original
            kinds[i] = 0
            continue
        if kinds[i] == 2:
            rows[i][edits[k]] = redraw[k][edits[k]]
    return rows, {"exact": int((kinds == 1).sum()), "near": int((kinds == 2).sum())}


def write_part(job: tuple[Corpus, int, str]) -> dict[str, int]:
    c, part, directory = job
    lo, hi = _bounds(c, part)
    rows, planted = part_words(c, part)
    flat = c.vocab.take(pa.array(rows.ravel()))
    lists = pa.ListArray.from_arrays(pa.array(np.arange(0, rows.size + 1, WORDS, dtype=np.int32)), flat)
    positions = pa.array(np.arange(lo, hi, dtype=np.int64))
    table = pa.table({
        "id": pc.binary_join_element_wise("g", pc.cast(positions, pa.string()), ""),
        "text": pc.binary_join(lists, " "),
        "source": pa.array(np.full(hi - lo, "gen", dtype=object), pa.string()),
        "position": positions,
        "meta": pa.array(np.full(hi - lo, "{}", dtype=object), pa.string()),
    }, schema=SCHEMA)
    path = Path(directory) / f"part-{part:05d}.parquet"
    pq.write_table(table, str(path) + ".tmp")
    Path(str(path) + ".tmp").rename(path)
    return planted


def generate(directory: Path, n: int, seed: int = 0, per_part: int = 50_000, workers: int = 2) -> dict[str, int]:
    """Write ``n`` documents as ``part-NNNNN.parquet`` files of ``per_part`` rows into
    ``directory``; returns the planted exact and near copies."""
    corpus = make_corpus(n, per_part, seed)
    jobs = [(corpus, p, str(directory)) for p in range(-(-n // per_part))]
    if workers > 1 and len(jobs) > 1:
        with ProcessPoolExecutor(workers, mp_context=get_context("fork")) as pool:
            results = list(pool.map(write_part, jobs))
    else:
        results = [write_part(job) for job in jobs]
    return {key: sum(r[key] for r in results) for key in ("exact", "near")}
