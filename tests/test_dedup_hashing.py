"""dedup.hashing.normalize and hash64: the table/int versions equal the regex/numpy ones.

The references are the implementations before the speed-up (three regex passes; the
hash's sign through numpy): every code point and every line of the bundled sample must
normalize identically, so paragraph and exact keys, hence dedup decisions, are unchanged.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pytest
import xxhash

from pretrain_clean.dedup.hashing import hash64, normalize
from pretrain_clean.dedup.paragraph import paragraph_hashes_batch, unit_hashes
from pretrain_clean.filters.training.corpus import read_texts

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample"


def reference_normalize(text: str) -> str:
    text = re.sub(r"[^\w\s]+", "", re.sub(r"\d", "0", text.lower()))
    return re.sub(r"\s+", " ", text).strip()


def reference_hash64(text: str) -> int:
    return int(np.uint64(xxhash.xxh3_64_intdigest(text.encode("utf-8"))).astype(np.int64))


def test_normalize_equals_the_regexes_on_every_code_point() -> None:
    every = "".join(map(chr, range(sys.maxunicode + 1)))
    assert normalize(every) == reference_normalize(every)
    spaced = " a".join(map(chr, range(0, sys.maxunicode + 1, 7)))
    assert normalize(spaced) == reference_normalize(spaced)


@pytest.mark.parametrize("text", ["", "  ", "ΟΔΟΣ ΣΑΣ.", "İstanbul ½ ² ٣ 三", "a\u00a0b\u2028c\x1cd\x85e", "__init__ -- x"])
def test_normalize_equals_the_regexes_on_edge_cases(text: str) -> None:
    assert normalize(text) == reference_normalize(text)


def test_normalize_equals_the_regexes_on_every_sample_line() -> None:
    files = sorted(str(p) for p in SAMPLE.rglob("*") if p.name.endswith((".jsonl", ".json.gz", ".jsonl.gz", ".txt")))
    lines = [line for text in read_texts(files) for line in text.split("\n")]
    assert len(lines) > 8_000
    assert [normalize(x) for x in lines] == [reference_normalize(x) for x in lines]


@pytest.mark.parametrize("text", ["", "abc", "hello world", "你好", "p:" + "x" * 1000])
def test_hash64_is_the_signed_xxh3(text: str) -> None:
    value = hash64(text)
    assert value == reference_hash64(text) and -(2**63) <= value < 2**63
    assert isinstance(value, int)


def test_hash64_sign_boundary() -> None:
    # Find texts on both sides of 2**63 so the wrap is exercised, not assumed.
    signs = {hash64(str(i)) < 0 for i in range(64)}
    assert signs == {True, False}
    assert all(hash64(str(i)) == reference_hash64(str(i)) for i in range(2000))


def _per_document(texts: list[str], min_chars: int) -> list[tuple[int, int, int]]:
    return [(i, u, h) for i, t in enumerate(texts) for u, h in unit_hashes(t, True, False, min_chars, 30)]


def _batched(texts: list[str], min_chars: int) -> list[tuple[int, int, int]]:
    doc, unit, hashes = paragraph_hashes_batch(texts, min_chars)
    return list(zip(doc.tolist(), unit.tolist(), hashes.tolist()))


LINE_EDGES = [
    "", "\n", "\n\n", " \n \n ", "ΟΔΟΣ\nΣΑΣ", "ΑΣ\n'Α", "a \u2028 b\nc\x85d\r\ne", "  x  \n\t y\t", "İ\nİ", "tail \n",
    "same line\n\nsame line", "Menu | Home\nBody text.  \n  Menu | Home",
]  # fmt: skip


@pytest.mark.parametrize("min_chars", [0, 1, 5])
def test_paragraph_hashes_batch_equal_per_document_unit_hashes(min_chars: int) -> None:
    assert _batched(LINE_EDGES, min_chars) == _per_document(LINE_EDGES, min_chars)
    for text in LINE_EDGES:  # alone, too: first and last lines of the joined batch
        assert _batched([text], min_chars) == _per_document([text], min_chars)
    assert _batched([], min_chars) == []


def test_paragraph_hashes_batch_equal_per_document_on_the_sample_and_every_code_point() -> None:
    files = sorted(str(p) for p in SAMPLE.rglob("*") if p.name.endswith((".jsonl", ".json.gz", ".jsonl.gz", ".txt")))
    texts = list(read_texts(files))
    texts.append("\n".join(chr(c) + "a" for c in range(sys.maxunicode + 1) if c != 0x0A))
    assert _batched(texts, 1) == _per_document(texts, 1)
    assert len(texts) > 2000


def test_lower_table_equals_str_lower_on_every_code_point() -> None:
    # normalize_lines lower-cases by table lookup; every code point whose str.lower is not
    # one fixed code point must be marked for the Python fallback.
    from pretrain_clean.dedup.hashing import _SPECIAL, _lines_lookup, _lower_lines_lookup

    table = _lower_lines_lookup()
    lines = _lines_lookup()
    for code in range(sys.maxunicode + 1):
        low = chr(code).lower()
        if len(low) != 1 or code == 0x03A3:
            assert table[code] == _SPECIAL, hex(code)
        else:
            assert table[code] == lines[ord(low)], hex(code)


@pytest.mark.parametrize("texts", [["ΟΔΟΣ ΣΑΣ\nΣ", "İstanbul"], ["plain ascii  \n x ", "café ½"], [" ", "\n"]])
def test_normalize_lines_fallback_and_table_paths_equal_normalize(texts: list[str]) -> None:
    from pretrain_clean.dedup.hashing import normalize_lines

    assert normalize_lines(texts) == [normalize(line) for text in texts for line in text.split("\n")]


def test_lines_lookup_equals_the_normalize_table() -> None:
    from pretrain_clean.dedup.hashing import _DROP, _lines_lookup, _normalize_table

    expected = np.arange(sys.maxunicode + 1, dtype=np.uint32)
    for code, repl in _normalize_table().items():
        expected[code] = _DROP if repl is None else ord(repl)
    expected[ord("\n")] = ord("\n")
    assert np.array_equal(_lines_lookup(), expected)


# --- mutation-testing follow-ups (docs/testing.md): hashes, tokens and shingles at their edges ---

M64 = 1 << 64


def reference_fmix64(k: int) -> int:
    """MurmurHash3's ``fmix64`` on Python ints (smhasher, src/MurmurHash3.cpp, Austin Appleby)."""
    k ^= k >> 33
    k = k * 0xFF51AFD7ED558CCD % M64
    k ^= k >> 33
    k = k * 0xC4CEB9FE1A85EC53 % M64
    return k ^ (k >> 33)


def test_fmix64_and_combine_equal_the_murmur3_reference() -> None:
    """The stored hashes (shingles, LSH band keys) must not change between versions: the
    finalizer is MurmurHash3's, and ``combine`` is ``h = h * 0x9E3779B97F4A7C15 + p`` then it."""
    from pretrain_clean.dedup.hashing import combine, fmix64

    rng = np.random.default_rng(5)
    values = [0, 1, 2**63, M64 - 1, *rng.integers(0, 2**63, 20, dtype=np.uint64).tolist()]
    assert fmix64(np.array(values, dtype=np.uint64)).tolist() == [reference_fmix64(v) for v in values]
    assert reference_fmix64(1) != 1 and fmix64(np.array([0], dtype=np.uint64)).tolist() == [0]
    cols = [rng.integers(0, 2**63, 6, dtype=np.uint64) for _ in range(3)]
    expected = []
    for i in range(6):
        h = int(cols[0][i])
        for col in cols[1:]:
            h = (h * 0x9E3779B97F4A7C15 + int(col[i])) % M64
        expected.append(reference_fmix64(h))
    wide, narrow = combine(cols, bits=64), combine(cols)
    assert wide.dtype == np.uint64 and wide.tolist() == expected
    assert narrow.dtype == np.uint32 and narrow.tolist() == [h & 0xFFFFFFFF for h in expected]


@pytest.mark.parametrize("raw, signed", [(0, 0), (2**63 - 1, 2**63 - 1), (2**63, -(2**63)), (M64 - 1, -1)])
def test_hash64_wraps_exactly_at_2_pow_63(monkeypatch: pytest.MonkeyPatch, raw: int, signed: int) -> None:
    """Spark's ``long`` holds [-2**63, 2**63): the unsigned xxh3 value 2**63 is the first to wrap."""
    from pretrain_clean.dedup import hashing

    monkeypatch.setattr(hashing.xxhash, "xxh3_64_intdigest", lambda data: raw)
    assert hashing.hash64("any") == signed


def test_tokenize_batch_counts_every_text_also_those_without_tokens() -> None:
    from pretrain_clean.dedup.hashing import tokenize_batch

    ids, vocab, lengths, cjk = tokenize_batch(["你好 a", "!!! ...", ""])
    assert lengths.tolist() == [3, 0, 0] and cjk.tolist() == [2, 0, 0]
    assert [vocab.to_pylist()[i] for i in ids] == ["你", "好", "a"]


def _shingles(texts: list[str], n: int, n_cjk: int) -> list[list[int]]:
    from pretrain_clean.dedup.hashing import shingle_hashes_batch

    hashes, offsets = shingle_hashes_batch(texts, n, n_cjk, 0.5)
    assert hashes.dtype == np.uint32 and offsets[0] == 0 and len(offsets) == len(texts) + 1
    return [hashes[offsets[i]:offsets[i + 1]].tolist() for i in range(len(texts))]


def test_shingle_counts_around_n() -> None:
    """0 tokens: no shingle; fewer than n: one (all its tokens); n: one; n + 1: two."""
    texts = ["", "!!!", "a", "a b", "a b c", "a b c d", "spam spam spam"]
    assert [len(s) for s in _shingles(texts, 3, 3)] == [0, 0, 1, 1, 1, 2, 1]
    assert _shingles(["", " "], 3, 3) == [[], []]  # no token in the whole batch
    assert _shingles([], 3, 3) == []  # an empty part: no text at all


def test_a_text_shorter_than_n_is_one_shingle_of_all_its_tokens() -> None:
    assert _shingles(["a b"], 5, 5) == _shingles(["a b"], 2, 2)
    assert _shingles(["a"], 5, 5) == _shingles(["a"], 1, 1)
    assert _shingles(["a b"], 5, 5) != _shingles(["b a"], 5, 5) != _shingles(["a"], 5, 5)


def test_a_batch_gives_each_text_the_shingles_it_gets_alone() -> None:
    """Word n-grams (n = 2) and CJK character n-grams (n = 3) in one batch, short texts last."""
    texts = ["the cat sat on the mat", "我们今天去北京看朋友", "", "a b", "你好", "!!!", "x"]
    assert _shingles(texts, 2, 3) == [_shingles([t], 2, 3)[0] for t in texts]
    assert [len(s) for s in _shingles(texts, 2, 3)] == [5, 8, 0, 1, 1, 0, 1]


@pytest.mark.parametrize("text, n", [("ab 你 cd ef", 2), ("ab 你好 cd", 3), ("ab 你好吗", 3)])
def test_cjk_n_from_a_cjk_share_of_one_half_inclusive(text: str, n: int) -> None:
    """A quarter, exactly a half and three quarters of the tokens CJK, ``cjk_min_share = 0.5``:
    n = 2 for words under the share, n = 3 for CJK at or over it (the shingle count tells)."""
    assert len(_shingles([text], 2, 3)[0]) == 4 - n + 1  # each text has 4 tokens


def test_jaccard_of_empty_sets() -> None:
    from pretrain_clean.dedup.hashing import jaccard

    assert jaccard(set(), set()) == 1.0  # two empty texts are the same text
    assert jaccard(set(), {1}) == jaccard({1}, set()) == 0.0
    assert jaccard({1, 2}, {2, 3}) == 1 / 3
