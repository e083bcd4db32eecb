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
