"""The ``[dedup]`` config section: which dedup levels run and their thresholds."""
from __future__ import annotations

from dataclasses import dataclass

SCHEMES = ("affine32", "legacy")


@dataclass
class DedupConfig:
    """Corpus-wide dedup settings (exact document, MinHash LSH, paragraph/sentence).

    Defaults follow common practice: word 5-grams, 128 permutations and a Jaccard
    threshold of 0.8 (text-dedup / Lee et al. 2022 "Deduplicating Training Data Makes
    Language Models Better" use 5-grams, 0.8 with 9,000 perms split 20x450 — we use
    the cheaper 128 with bands/rows chosen by :func:`dedup.lsh.optimal_param`);
    paragraph dedup follows CCNet (Wenzek et al. 2020), which removes every repeated
    paragraph after its first occurrence.
    """

    exact: bool = True
    """Drop documents whose normalized text equals an earlier document's."""
    minhash: bool = True
    """Drop near-duplicates found by MinHash LSH, keeping the first of each cluster."""
    paragraph: bool = True
    """Remove repeated paragraphs (lines) after their first occurrence (CCNet)."""
    sentence: bool = False
    """Also remove repeated sentences after their first occurrence."""

    minhash_threshold: float = 0.8
    """Jaccard similarity of n-gram sets at which two documents are near-duplicates."""
    num_perm: int = 128
    """MinHash permutations per signature (datasketch's ``num_perm``)."""
    ngram: int = 5
    """Word n-gram size for space-delimited text."""
    ngram_cjk: int = 5
    """Character n-gram size for Chinese/Japanese text (no spaces between words)."""
    cjk_min_share: float = 0.5
    """A document whose tokens are at least this share CJK characters uses ``ngram_cjk``."""
    bands: int | None = None
    """LSH bands; ``None`` picks bands and rows from the threshold (text-dedup's rule)."""
    rows: int | None = None
    """LSH rows per band; set with ``bands`` (both or neither)."""
    false_positive_weight: float = 0.2
    """Weights of the areas :func:`dedup.lsh.optimal_param` minimizes (text-dedup uses
    0.5/0.5). Verification removes false candidates, so we weight misses more: at 0.8 and
    128 perms this gives 12 bands x 10 rows (candidate probability 0.93 at Jaccard 0.85,
    0.99 at 0.9) instead of 9 x 13 (0.69 and 0.93)."""
    false_negative_weight: float = 0.8
    """Weight of missed pairs in that minimization (see ``false_positive_weight``)."""
    minhash_scheme: str = "affine32"
    """Permutation family, bit-identical to datasketch's scheme of the same name."""
    minhash_verify: bool = True
    """Keep only candidate pairs whose signature-estimated Jaccard reaches the threshold."""
    seed: int = 1
    """Seed of the permutations (datasketch's ``seed``)."""

    paragraph_min_repeats: int = 2
    """A paragraph/sentence occurring at least this many times in the corpus is kept only
    at its first occurrence (2 = CCNet: any repeat is removed)."""
    paragraph_min_chars: int = 1
    """Normalized paragraphs shorter than this are never removed (blank lines)."""
    sentence_min_chars: int = 30
    """Normalized sentences shorter than this are never removed ("Yes.", "Thanks!")."""
    min_chars_after: int = 100
    """A document that paragraph/sentence dedup shortened is dropped below this length."""

    num_buckets: int = 64
    """On-disk buckets the local engine spills hash keys into (bounds memory per sort)."""
    batch_size: int = 2048
    """Documents per signature batch."""
    spark_driver_bytes: int = 256 << 20
    """Spark engine: an input whose features (signatures, band keys, paragraph hashes; an
    estimate from the parquet metadata) fit this many bytes is decided on the driver in two
    Spark jobs instead of a dozen (``dedup.spark_driver``); 0: always distributed."""

    def __post_init__(self) -> None:
        if not 0.0 < self.minhash_threshold < 1.0:
            raise ValueError(f"minhash_threshold: must be in (0, 1), got {self.minhash_threshold}")
        for key in ("num_perm", "ngram", "ngram_cjk", "paragraph_min_repeats", "num_buckets", "batch_size"):
            if getattr(self, key) < 1:
                raise ValueError(f"{key}: must be >= 1, got {getattr(self, key)}")
        if self.spark_driver_bytes < 0:
            raise ValueError(f"spark_driver_bytes: must be >= 0, got {self.spark_driver_bytes}")
        if self.paragraph_min_repeats < 2:
            raise ValueError("paragraph_min_repeats: must be >= 2 (1 would remove unique paragraphs)")
        if self.minhash_scheme not in SCHEMES:
            raise ValueError(f"minhash_scheme: must be one of {SCHEMES}, got {self.minhash_scheme!r}")
        if (self.bands is None) != (self.rows is None):
            raise ValueError("bands, rows: set both or neither (neither picks them from the threshold)")
        if self.bands is not None and self.rows is not None and self.bands * self.rows > self.num_perm:
            raise ValueError(f"bands*rows = {self.bands * self.rows} exceeds num_perm = {self.num_perm}")
