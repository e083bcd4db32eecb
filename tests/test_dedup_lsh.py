"""LSH parameters (against text-dedup's scipy-based rule) and band keys."""
from __future__ import annotations

import numpy as np
import pytest

from pretrain_clean.dedup.lsh import band_keys, candidate_probability, optimal_param


def _text_dedup_optimal_param(threshold: float, num_perm: int, fp_w: float, fn_w: float) -> tuple[int, int]:
    """text-dedup's ``optimal_param`` (scipy quad), the reference."""
    integrate = pytest.importorskip("scipy.integrate").quad
    best, opt = float("inf"), (0, 0)
    for b in range(1, num_perm + 1):
        for r in range(1, num_perm // b + 1):
            fp = integrate(lambda s: 1 - (1 - s ** float(r)) ** float(b), 0.0, threshold)[0]
            fn = integrate(lambda s: 1 - (1 - (1 - s ** float(r)) ** float(b)), threshold, 1.0)[0]
            error = fp * fp_w + fn * fn_w
            if error < best:
                best, opt = error, (b, r)
    return opt


@pytest.mark.parametrize(
    "threshold,num_perm,fp_w", [(0.8, 128, 0.5), (0.8, 128, 0.2), (0.7, 256, 0.5), (0.9, 64, 0.5), (0.5, 100, 0.3)]
)
def test_optimal_param_matches_text_dedup(threshold: float, num_perm: int, fp_w: float) -> None:
    assert optimal_param(threshold, num_perm, fp_w, 1 - fp_w) == _text_dedup_optimal_param(
        threshold, num_perm, fp_w, 1 - fp_w
    )


def test_s_curve_centres_near_threshold() -> None:
    b, r = optimal_param(0.8, 128, 0.2, 0.8)
    assert b * r <= 128
    assert candidate_probability(0.6, b, r) < 0.1
    assert candidate_probability(0.9, b, r) > 0.99


def test_band_keys_collide_only_on_equal_bands() -> None:
    rng = np.random.default_rng(0)
    sigs = rng.integers(0, 2**32, size=(50, 128), dtype=np.uint32)
    sigs[1, :10] = sigs[0, :10]  # same first band
    keys = band_keys(sigs, 12, 10)
    assert keys[0, 0] == keys[1, 0]
    assert (keys[0, 1:] != keys[1, 1:]).all()
    assert len(np.unique(keys)) == keys.size - 1  # no accidental collisions, bands apart
