"""Per-document dedup features computed the same way by both engines."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pretrain_clean.dedup.config import DedupConfig
from pretrain_clean.dedup.hashing import shingle_hashes_batch
from pretrain_clean.dedup.lsh import band_keys, optimal_param
from pretrain_clean.dedup.minhash import EMPTY, Permutations, signatures


@dataclass(frozen=True)
class NearDupHasher:
    """Signatures and LSH band keys for batches of texts, per the config."""

    cfg: DedupConfig
    perms: Permutations
    bands: int
    rows: int

    @classmethod
    def from_config(cls, cfg: DedupConfig) -> "NearDupHasher":
        if cfg.bands is not None and cfg.rows is not None:
            bands, rows = cfg.bands, cfg.rows
        else:
            bands, rows = optimal_param(
                cfg.minhash_threshold, cfg.num_perm, cfg.false_positive_weight, cfg.false_negative_weight
            )
        return cls(cfg, Permutations.make(cfg.num_perm, cfg.seed, cfg.minhash_scheme), bands, rows)

    def signatures(self, texts: list[str]) -> np.ndarray:
        """``(len(texts), num_perm)`` uint32 MinHash signatures."""
        hashes, offsets = shingle_hashes_batch(texts, self.cfg.ngram, self.cfg.ngram_cjk, self.cfg.cjk_min_share)
        return signatures(hashes, offsets, self.perms)

    def band_keys(self, sigs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(keys (n, bands) int64, has_shingles (n,) bool)``; documents without shingles
        must not enter LSH (their empty signatures would all collide)."""
        return band_keys(sigs, self.bands, self.rows), (sigs != EMPTY).any(axis=1)

    def params(self) -> dict[str, object]:
        return {
            "threshold": self.cfg.minhash_threshold,
            "num_perm": self.cfg.num_perm,
            "bands": self.bands,
            "rows": self.rows,
            "ngram": self.cfg.ngram,
            "ngram_cjk": self.cfg.ngram_cjk,
            "scheme": self.cfg.minhash_scheme,
            "verify": self.cfg.minhash_verify,
        }
