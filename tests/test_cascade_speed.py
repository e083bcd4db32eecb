"""The cascade's speed work changes no decision (issue 14).

* The bundled sample through the default cascade (every stage, bundled models, dedup) keeps
  and removes exactly the documents it did before the speed work: kept count, removals per
  reason and a digest of every document's (key, stage, reason) are pinned in
  ``tests/data/sample_decisions.json``. A deliberate change of a rule's decisions updates
  that file (the failure prints the new values).
* Each shortcut taken for speed gives what the plain computation gives, including where the
  shortcut stops applying (cache eviction, non-ASCII text, long lines).
"""
from __future__ import annotations

import hashlib
import json
import unicodedata
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from conftest import ROOT, ready
from pretrain_clean.filters import ccnet_text, text_features
from pretrain_clean.filters._chunks import ChunkCache
from pretrain_clean.filters.c4 import C4Lines
from pretrain_clean.filters.normalize import clean_whitespace
from pretrain_clean.filters.toxicity import Toxicity, WordMatcher, word_pattern
from pretrain_clean.pipeline.clean import CleanOptions, clean
from pretrain_clean.pipeline.config import load_config
from pretrain_clean.pipeline.document import Document

PINNED = ROOT / "tests" / "data" / "sample_decisions.json"


def sample_texts() -> list[str]:
    """Every text of the bundled sample's JSON-lines files (English and Chinese)."""
    import gzip

    texts = []
    for path in sorted((ROOT / "data" / "sample").rglob("*.json*")):
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as handle:
            texts += [json.loads(line)["text"] for line in handle if line.strip()]
    return texts


def sample_decisions(out: Path) -> dict:
    """Kept count, removals per reason and a digest of every decision of a ``clean`` output."""
    rows = []
    for sub in ("kept", "rejected"):
        for part in sorted((out / sub).glob("*.parquet")):
            table = pq.read_table(part)
            for r in table.select([c for c in ("source", "position", "stage", "reason") if c in table.column_names]).to_pylist():
                source = r["source"].split("data/sample/", 1)[-1]  # the same on every checkout
                rows.append(f"{source}:{r['position']}\t{r.get('stage')}\t{r.get('reason')}")
    saved = json.loads((out / "stats.json").read_text())
    return {"documents": len(rows), "kept": saved["kept"], "removed": dict(sorted(saved["removed"].items())),
            "decisions_sha256": hashlib.sha256("\n".join(sorted(rows)).encode()).hexdigest()}


@pytest.mark.slow
def test_sample_decisions_are_pinned(tmp_path: Path) -> None:
    spec = load_config(ROOT / "pretrain_clean" / "configs" / "default.toml")
    clean(spec, [str(ROOT / "data" / "sample")], str(tmp_path / "out"), CleanOptions(show_progress=False))
    found = sample_decisions(tmp_path / "out")
    assert found == json.loads(PINNED.read_text()), f"decisions changed; if meant, write to {PINNED}:\n{json.dumps(found, indent=1)}"


def test_tokens_are_the_same_with_a_cold_a_warm_and_an_evicted_chunk_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = ["Mr. Smith's dog didn't bark, 3,700 times... U.S. 中文 well-known",
             "(cannot) stop. e-mail me@x.org https://a.b/c). 2024 5th 10:30am",
             "dog dog, dog. Dog didn't"]
    plain = [[t for chunk in text.split() for t in text_features.tokenize_chunk(chunk)] for text in texts]
    monkeypatch.setattr(text_features, "_CHUNKS", ChunkCache(text_features.tokenize_chunk, 65_536))
    assert [text_features.tokenize(t) for t in texts] == plain  # cold
    assert [text_features.tokenize(t) for t in texts] == plain  # warm
    small = ChunkCache(text_features.tokenize_chunk, 3)  # every document overflows it
    monkeypatch.setattr(text_features, "_CHUNKS", small)
    assert [text_features.tokenize(t) for t in texts] == plain
    assert 1 <= len(small) <= 3


def test_chunk_cache_equals_split_and_tokenize_chunk_on_every_whitespace_and_width() -> None:
    """The C chunk cache finds chunks as ``str.split()`` does (all 29 whitespace characters),
    in 1-, 2- and 4-byte strings, and a chunk seen in a narrow text is found in a wide one."""
    import random
    import sys

    spaces = [chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()]
    alphabet = spaces + list("ab.,'中é\U0001F600-")
    rng = random.Random(0)
    calls: list[str] = []

    def tokenize_chunk(chunk: str) -> list[str]:  # a list: the cache keeps it as a tuple
        calls.append(chunk)
        return list(chunk) if len(chunk) % 2 else [chunk]

    for size in (1, 2, 7, 10_000):
        cache = ChunkCache(tokenize_chunk, size)
        for _ in range(3000):
            text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 14)))
            expected = [t for chunk in text.split() for t in tokenize_chunk(chunk)]
            assert cache.tokens(text) == expected, repr(text)
        assert len(cache) <= size
    cache = ChunkCache(tokenize_chunk, 100)
    calls.clear()
    assert cache.tokens("ab ab") == ["ab", "ab"] and calls == ["ab"]  # the second is a hit
    assert cache.tokens("\U0001F600 ab") == ["\U0001F600", "ab"] and calls == ["ab", "\U0001F600"]
    cache.clear()
    assert len(cache) == 0 and cache.tokens("ab") == ["ab"] and calls[-1] == "ab"


def test_chunk_cache_errors_pass_through() -> None:
    def broken(chunk: str) -> list[str]:
        raise ValueError(f"no {chunk}")

    with pytest.raises(ValueError, match="no x"):
        ChunkCache(broken, 10).tokens("x")
    with pytest.raises(TypeError, match="str expected"):
        ChunkCache(text_features.tokenize_chunk, 10).tokens(b"x")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_chunks >= 1"):
        ChunkCache(text_features.tokenize_chunk, 0)


def test_an_equal_text_keeps_the_cached_features_and_a_new_one_clears_them() -> None:
    doc = Document("a", "one two")
    assert text_features.words(doc) == ["one", "two"]
    doc.text = "one" + " two"  # equal, another object
    assert "words" in doc._cache
    doc.text = "one three"
    assert "words" not in doc._cache and text_features.words(doc) == ["one", "three"]


def test_the_lazy_fold_table_is_ccnet_s_per_character_fold() -> None:
    chars = "Éé٣੧…—，」\x00\x85aZ0 ́ﬁ"
    assert "".join(map(ccnet_text._fold_char, chars)) == chars.translate(ccnet_text._FOLD)
    assert ccnet_text.normalize_line("Ça  ١٢٣ «x»") == "ca  000 \"x\""
    assert unicodedata.category("\u0301") == "Mn" and ccnet_text.normalize_line("e\u0301") == "e"


@pytest.mark.parametrize("text, hits", [
    ("S&M and G-Spot here", 2),          # ASCII, upper case: the regex still runs
    ("s&m. g-spots", 1),                 # whole words only
    ("ſ&m", 1),                          # non-ASCII: the regex runs as before (IGNORECASE folds ſ to s)
    ("a plain text without them", 0),
])
def test_rare_terms_are_found_as_the_plain_regex_finds_them(text: str, hits: int) -> None:
    matcher = WordMatcher(["s&m", "g-spot"])
    assert matcher.count(text) == hits == len(word_pattern(["s&m", "g-spot"]).findall(text))


def test_phrases_are_counted_only_from_their_first_word_and_once() -> None:
    matcher = WordMatcher(["two girls one cup", "girls", "cup"])
    # the phrase counts once (its words no longer count alone); a broken phrase counts its words
    assert matcher.count("two girls one cup, two girls  one cup and two girls one mug") == 2 + 1
    for text in ("two girls one\ncup", "two girls one-cup", "cup two girls one cup girls"):
        assert matcher.count(text) == len(word_pattern(["two girls one cup", "girls", "cup"]).findall(text)), text
    tox = ready(Toxicity(wordlists={"en": str(ROOT / "pretrain_clean/resources/wordlists/ldnoobw/en")}))
    assert tox.density("İİ fuck") == (1, 1 / 50)  # non-ASCII: words counted on the text as written


@pytest.mark.parametrize("text", ["a b", "a  b", "a \tb", "a\t b", "\u3000a", "a\u00a0 \u3000b", " a ", "a \n b"])
def test_space_runs_become_one_space(text: str) -> None:
    import re
    plain = re.sub("[ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+", " ", text)
    plain = "\n".join(line.strip(" ") for line in plain.split("\n")).strip()
    assert clean_whitespace(text) == plain


@pytest.mark.parametrize("word_chars, kept", [(9, True), (10, True), (11, False)])
def test_c4_word_length_limit_at_and_around_it(word_chars: int, kept: bool) -> None:
    line = "a " + "x" * word_chars + " b c."
    doc = Document("d", line + "\nKeep this one line here.")
    C4Lines(max_word_length=10, skip_chinese=False).apply(doc)
    assert (line in doc.text) is kept


def test_workers_fork_only_while_no_other_thread_runs() -> None:
    import sys
    import threading

    from pretrain_clean.pipeline.local_engine import start_method

    if sys.platform != "linux":
        assert start_method() == "forkserver"
        return
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    alone = threading.active_count() == 1
    other.start()
    try:
        assert start_method() == "forkserver"  # e.g. fsspec's I/O thread: forking it is unsafe
    finally:
        stop.set()
        other.join()
    assert start_method() == ("fork" if alone else "forkserver")


def test_word_totals_from_chunk_counts_equal_counting_every_word() -> None:
    """``non_symbol_words`` and ``alpha_word_count`` are summed from per-chunk counts kept by the
    C chunk cache; they equal counting the document's words one by one (sample texts, cold
    and warm cache, and a cache so small every document overflows it)."""
    from collections import Counter

    from pretrain_clean.filters.punctuation import PUNCTUATION_SET

    texts = sample_texts()
    punct = frozenset(PUNCTUATION_SET)

    def plain(text: str) -> tuple[int, int, int]:
        counts = Counter(text_features.tokenize(text))
        content = {w: c for w, c in counts.items() if not punct.issuperset(w)}
        return (sum(content.values()), sum(c * len(w) for w, c in content.items()),
                sum(c for w, c in counts.items() if w.isalpha() or any(ch.isalpha() for ch in w)))

    expected = [plain(t) for t in texts]
    for cache in (text_features._CHUNKS, ChunkCache(text_features.tokenize_chunk, 5, text_features.count_words)):
        for _ in range(2):
            found = []
            for text in texts:
                words, totals = cache.tokens_counted(text)
                assert words == text_features.tokenize(text)
                found.append(totals)
            assert found == expected
    doc = Document("d", texts[0])
    assert (*text_features.non_symbol_words(doc), text_features.alpha_word_count(doc)) == expected[0]


def test_chunk_cache_counts_must_keep_one_width() -> None:
    widths = iter([(1, 2), (1, 2, 3)])
    cache = ChunkCache(lambda chunk: [chunk], 10, lambda tokens: next(widths))
    assert cache.tokens_counted("a") == (["a"], (1, 2))
    with pytest.raises(ValueError, match="returned 3 numbers, expected 2"):
        cache.tokens_counted("b")
    with pytest.raises(ValueError, match="no count_tokens"):
        ChunkCache(lambda chunk: [chunk], 10).tokens_counted("a")
    assert ChunkCache(lambda chunk: [chunk], 10, lambda tokens: (len(tokens),)).tokens_counted("a b  c") == (
        ["a", "b", "c"], (3,))
