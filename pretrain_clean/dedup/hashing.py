"""Pure text helpers: normalization, tokens, n-gram shingle hashes, stable 64-bit hashes.

Shingles are word n-grams for space-delimited text and character n-grams for Chinese and
Japanese (each CJK character is a token). Hashes are computed for a whole batch at once:
tokens are hashed by pandas' C siphash, n-grams are combined with numpy.
"""
from __future__ import annotations

import re
import string
import sys
from functools import lru_cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import xxhash

from pretrain_clean.filters.cjk import CJK_RE2 as _CJK_CLASS
_PUNCT = string.punctuation + "“”‘’‚„…–—«»‹›、。，．！？：；（）【】《》〈〉「」『』·•¡¿"
_PUNCT_RE = re.compile(r"[^\w\s]+")
_DIGIT_RE = re.compile(r"\d")
_ONE_SPACE_RE = re.compile(r"\s")
_SPACES_RE = re.compile("  +")

_MIX = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xFF51AFD7ED558CCD)
_M2 = np.uint64(0xC4CEB9FE1A85EC53)
_S33 = np.uint64(33)


@lru_cache(maxsize=1)
def _normalize_table() -> dict[int, str | None]:
    """``str.translate`` table doing :data:`_DIGIT_RE` (digits to 0), :data:`_PUNCT_RE`
    (drop what is neither a word character nor whitespace) and mapping every whitespace
    character to a space; each maps single characters, so the table is found by running
    the regexes over every code point."""
    every = "".join(map(chr, range(sys.maxunicode + 1)))
    table: dict[int, str | None] = {ord(c): "0" for c in _DIGIT_RE.findall(every) if c != "0"}
    table.update((ord(c), None) for c in "".join(_PUNCT_RE.findall(every)))
    table.update((ord(c), " ") for c in _ONE_SPACE_RE.findall(every) if c != " ")
    return table


def normalize(text: str) -> str:
    """Lowercase, digits to 0, punctuation dropped, whitespace collapsed (CCNet's rule).

    One translate table replaces the digit and punctuation regexes and turns every
    whitespace character into a space; only runs of spaces are then collapsed (equality
    with the regexes is tested on every code point).

    >>> normalize("  Hello, World!  Call 555-1234.\\n")
    'hello world call 0000000'
    """
    return _SPACES_RE.sub(" ", text.lower().translate(_normalize_table())).strip(" ")


_DROP = np.uint32(0xFFFFFFFF)


@lru_cache(maxsize=1)
def _lines_lookup() -> np.ndarray:
    """:func:`_normalize_table` as a code point -> code point array (:data:`_DROP` for
    deleted characters) that leaves ``\\n`` alone, so line breaks survive. Built from the
    same regexes without the table's dict (~1M entries, ~100 MB, which forked workers
    would each copy as they touch it)."""
    every = "".join(map(chr, range(sys.maxunicode + 1)))

    def codes(chars: list[str]) -> np.ndarray:
        return np.frombuffer("".join(chars).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)

    lookup = np.arange(sys.maxunicode + 1, dtype=np.uint32)
    lookup[codes(_DIGIT_RE.findall(every))] = ord("0")
    lookup[codes(_PUNCT_RE.findall(every))] = _DROP
    lookup[codes(_ONE_SPACE_RE.findall(every))] = ord(" ")
    lookup[ord("\n")] = ord("\n")
    return lookup


_SPECIAL = np.uint32(0xFFFFFFFE)


@lru_cache(maxsize=1)
def _lower_lines_lookup() -> np.ndarray:
    """:func:`_lines_lookup` of each code point's lower case, where ``str.lower`` maps it
    to one code point whatever surrounds it; :data:`_SPECIAL` for the rest (multi-character
    lower cases such as U+0130, and the capital sigma, whose lower case depends on its
    neighbours), which the caller lower-cases in Python."""
    lookup = np.arange(sys.maxunicode + 1, dtype=np.uint32)
    step = 1 << 12
    for lo in range(0, sys.maxunicode + 1, step):
        block = "".join(map(chr, range(lo, lo + step)))
        low = block.lower()
        if len(low) == len(block):  # one code point each: compare as arrays
            lookup[lo : lo + step] = np.frombuffer(low.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        else:
            lookup[lo : lo + step] = [ord(c.lower()) if len(c.lower()) == 1 else _SPECIAL for c in block]
    lookup[0x03A3] = _SPECIAL
    special = lookup == _SPECIAL
    lookup = _lines_lookup()[np.where(special, 0, lookup)]
    lookup[special] = _SPECIAL
    return lookup


def _fold_lines(codes: np.ndarray) -> np.ndarray:
    """Runs of spaces to one, then spaces next to a line break or at either end dropped
    (``codes`` already folded: every whitespace is a space or ``\\n``)."""
    space = codes == ord(" ")
    codes = codes[~(space & np.concatenate([[False], space[:-1]]))]
    space = codes == ord(" ")
    newline = codes == ord("\n")
    drop = space & (np.concatenate([[True], newline[:-1]]) | np.concatenate([newline[1:], [True]]))
    return codes[~drop]


def normalize_lines(texts: list[str]) -> list[str]:
    """:func:`normalize` of every line (split on ``\\n``) of every text, in order.

    The texts are joined and folded as one array of code points with numpy: lower case,
    digits, punctuation and whitespace in one table lookup (``str.translate`` goes
    character by character through a dict for non-ASCII text), then runs of spaces. Text
    with a code point whose lower case is not one fixed code point is lower-cased by
    Python first; a line break stops its context (final sigma) as a string end does, so
    each line comes out as it does alone.

    >>> normalize_lines(["Hello,  World!\\n  Call 555 ", "", "x", "ΟΔΟΣ ΣΑΣ"])
    ['hello world', 'call 000', '', 'x', 'οδος σας']
    """
    if not texts:
        return []
    joined = "\n".join(texts)
    codes = _lower_lines_lookup()[np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)]
    if (codes == _SPECIAL).any():
        codes = _lines_lookup()[np.frombuffer(joined.lower().encode("utf-32-le", "surrogatepass"), dtype=np.uint32)]
    codes = _fold_lines(codes[codes != _DROP])
    return codes.tobytes().decode("utf-32-le", "surrogatepass").split("\n")


def hash64(text: str) -> int:
    """A stable signed 64-bit hash (xxh3) of ``text``, usable as a Spark ``long``.

    >>> hash64("abc") == hash64("abc"), hash64("abc") == hash64("abd")
    (True, False)
    """
    h = xxhash.xxh3_64_intdigest(text.encode("utf-8"))
    return h - (1 << 64) if h >= 1 << 63 else h


def tokenize_batch(texts: list[str]) -> tuple[np.ndarray, pa.Array, np.ndarray, np.ndarray]:
    """Tokenize many texts at once with Arrow's C++ string kernels.

    Tokens are whitespace-separated chunks, lowercased, with leading and trailing
    punctuation trimmed; every CJK character is a token of its own. Returns
    ``(ids, vocab, lengths, cjk_counts)``: text i's tokens are ``vocab[ids[j]]`` for its
    ``lengths[i]`` consecutive entries of ``ids``; ``cjk_counts[i]`` of them are CJK.
    """
    low = pc.utf8_lower(pa.array(texts, type=pa.large_string()))
    has_cjk = pc.match_substring_regex(low, pattern=f"[{_CJK_CLASS}]")
    if pc.any(has_cjk).as_py():
        spaced = pc.replace_substring_regex(
            low.filter(has_cjk), pattern=f"([{_CJK_CLASS}])", replacement=r" \1 "
        )
        low = pc.replace_with_mask(low, has_cjk, spaced)
    lists = pc.utf8_split_whitespace(low)
    offsets = lists.offsets.to_numpy()
    encoded = lists.flatten().dictionary_encode()
    vocab = pc.utf8_trim(encoded.dictionary, characters=_PUNCT)
    nonempty = pc.greater(pc.utf8_length(vocab), 0).to_numpy(zero_copy_only=False)
    ids = encoded.indices.to_numpy()
    lengths = np.diff(offsets).astype(np.int64)
    doc = None
    if not nonempty.all():  # tokens that were only punctuation
        doc = np.repeat(np.arange(len(texts)), lengths)
        keep = nonempty[ids]
        ids, doc = ids[keep], doc[keep]
        lengths = np.bincount(doc, minlength=len(texts)).astype(np.int64)
    vocab_cjk = pc.match_substring_regex(vocab, pattern=f"^[{_CJK_CLASS}]$").to_numpy(zero_copy_only=False)
    if vocab_cjk.any():
        doc = np.repeat(np.arange(len(texts)), lengths) if doc is None else doc
        cjk_counts = np.bincount(doc, weights=vocab_cjk[ids], minlength=len(texts)).astype(np.int64)
    else:
        cjk_counts = np.zeros(len(texts), dtype=np.int64)
    return ids, vocab, lengths, cjk_counts


def tokens(text: str) -> list[str]:
    """The tokens of one text (see :func:`tokenize_batch`).

    >>> tokens("Hello, World! 你好，世界 don't (ok) café")
    ['hello', 'world', '你', '好', '世', '界', "don't", 'ok', 'café']
    """
    ids, vocab, _, _ = tokenize_batch([text])
    words = vocab.to_pylist()
    return [words[i] for i in ids]


def fmix64(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finalizer (an avalanching bijection), elementwise."""
    h = h ^ (h >> _S33)
    h = h * _M1
    h = h ^ (h >> _S33)
    h = h * _M2
    return h ^ (h >> _S33)


def token_hashes(vocab: pa.Array) -> np.ndarray:
    """64-bit hashes of strings (pandas' siphash with its fixed key: stable across runs)."""
    if len(vocab) == 0:
        return np.zeros(0, dtype=np.uint64)
    values = np.asarray(vocab.to_numpy(zero_copy_only=False), dtype=object)
    return pd.util.hash_array(values, categorize=False).astype(np.uint64, copy=False)


def combine(parts: list[np.ndarray], bits: int = 32) -> np.ndarray:
    """Order-sensitive hash of aligned columns of 64-bit hashes (uint32 or uint64)."""
    with np.errstate(over="ignore"):
        h = np.array(parts[0], dtype=np.uint64)
        for p in parts[1:]:
            h = h * _MIX + p
        h = fmix64(h)
    return h if bits == 64 else (h & np.uint64(0xFFFFFFFF)).astype(np.uint32)


def shingle_hashes_batch(
    texts: list[str], ngram: int, ngram_cjk: int, cjk_min_share: float
) -> tuple[np.ndarray, np.ndarray]:
    """32-bit shingle hashes of many texts: ``(hashes, offsets)``, text i owns
    ``hashes[offsets[i]:offsets[i+1]]`` (duplicates kept; MinHash ignores them).

    >>> h, o = shingle_hashes_batch(["a b c d", "", "a b c"], 3, 3, 0.5)
    >>> np.diff(o).tolist(), bool(h[0] == h[2])
    ([2, 0, 1], True)
    """
    ids, vocab, lengths, cjk_counts = tokenize_batch(texts)
    words = token_hashes(vocab)[ids]
    ns = np.where((lengths > 0) & (cjk_counts >= cjk_min_share * lengths), ngram_cjk, ngram)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    # Each text yields max(len - n + 1, 1) shingles (0 when empty).
    counts = np.where(lengths == 0, 0, np.maximum(lengths - ns + 1, 1))
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    out = np.zeros(int(offsets[-1]), dtype=np.uint32)
    for n in np.unique(ns):
        long_docs = (ns == n) & (lengths >= n)
        if long_docs.any():
            # Positions i of the flat token array whose n-gram stays inside its text.
            pos = _ranges(starts[long_docs], counts[long_docs])
            dest = _ranges(offsets[:-1][long_docs], counts[long_docs])
            # The n-gram at every flat position (views, no gathers), then the wanted ones.
            stop = len(words) - int(n) + 1
            out[dest] = combine([words[k : stop + k] for k in range(int(n))])[pos]
        for i in np.flatnonzero((ns == n) & (lengths > 0) & (lengths < n)):
            seg = words[starts[i] : starts[i] + lengths[i]]
            out[offsets[i]] = combine([seg[k : k + 1] for k in range(len(seg))])[0]
    return out, offsets


def _ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Concatenated ``arange(s, s + c)`` for each pair, vectorized.

    >>> _ranges(np.array([0, 10]), np.array([2, 3])).tolist()
    [0, 1, 10, 11, 12]
    """
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    ends = np.cumsum(counts)
    base = np.repeat(starts - (ends - counts), counts)
    return base + np.arange(total, dtype=np.int64)


def shingle_set(text: str, ngram: int = 5, ngram_cjk: int = 5, cjk_min_share: float = 0.5) -> set[int]:
    """The set of a text's shingle hashes (for true Jaccard in tests and evaluation)."""
    h, _ = shingle_hashes_batch([text], ngram, ngram_cjk, cjk_min_share)
    return set(h.tolist())


def jaccard(a: set[int], b: set[int]) -> float:
    """Jaccard similarity of two sets; two empty sets count as identical.

    >>> jaccard({1, 2, 3}, {2, 3, 4})
    0.5
    """
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)
