"""ccnet_text.normalize_line: the one-table version equals CCNet's regex passes.

The reference below is ``cc_net/text_normalizer.py``'s ``normalize`` (defaults: lower case,
accents stripped, digits to 0, punctuation map, non-printing characters removed), written
with its regexes as before our translate-table rewrite. Every line of the bundled sample and
every perplexity value of the bundled models must be unchanged.
"""
from __future__ import annotations

import re
import sys
import unicodedata
from pathlib import Path

import pytest

from pretrain_clean.filters.ccnet_text import UNICODE_PUNCT, normalize_line
from pretrain_clean.filters.perplexity import Perplexity
from pretrain_clean.filters.training.corpus import read_texts

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample"

_PUNCT_TABLE = str.maketrans(UNICODE_PUNCT)
_NON_PRINTING_RE = re.compile("[" + "".join(map(chr, [*range(0, 32), *range(127, 160)])) + "]")
_MN_RE = re.compile(
    "[" + "".join(re.escape(chr(c)) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Mn") + "]"
)


def reference_normalize_line(line: str) -> str:
    """CCNet's regex passes, as ``ccnet_text`` ran them before the translate table."""
    line = line.strip()
    if not line:
        return line
    line = line.lower()
    if not line.isascii():
        line = _MN_RE.sub("", unicodedata.normalize("NFD", line))
    line = re.sub(r"\d", "0", line)
    line = line.translate(_PUNCT_TABLE)
    return _NON_PRINTING_RE.sub("", line)


@pytest.fixture(scope="module")
def sample_texts() -> list[str]:
    files = sorted(str(p) for p in SAMPLE.rglob("*") if p.is_file() and p.name.endswith((".jsonl", ".json.gz", ".jsonl.gz", ".txt")))
    return list(read_texts(files))


EDGE_CASES = [
    "", "   ", "Café déjà vu", "  Élan 2024：ＯＫ。 ", "١٢٣ ४५६ １２３", "ﬁ ligature Ǆ", "tab\there\x7f\x85end",
    "e\u0301 n\u0303 a\u20d7", "Ὀδυσσεύς", "Tiếng Việt có dấu", "한국어 텍스트", "—dash–en…", "𝟘𝟙 math digits",
    "İstanbul", "ß straße", "\u200bzero width\u200b", "Kelvin \u212a",
]  # fmt: skip


@pytest.mark.parametrize("line", EDGE_CASES)
def test_normalize_line_equals_ccnet_regexes_on_edge_cases(line: str) -> None:
    assert normalize_line(line) == reference_normalize_line(line)


def test_normalize_line_equals_ccnet_regexes_on_every_sample_line(sample_texts: list[str]) -> None:
    lines = [line for text in sample_texts for line in text.split("\n")]
    assert len(lines) > 8_000
    assert [normalize_line(x) for x in lines] == [reference_normalize_line(x) for x in lines]


def test_normalize_line_equals_ccnet_regexes_on_every_code_point() -> None:
    # Both sides lower-case and decompose the same string, then map character by character,
    # so one line holding every code point checks the whole table.
    line = "a".join(chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) != "Cs")
    assert normalize_line(line) == reference_normalize_line(line)


def test_every_sample_perplexity_is_unchanged(sample_texts: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    stage = Perplexity()
    stage.setup()
    docs = [(t, lang) for t in sample_texts for lang in ("en", "zh")]
    new = [stage.score(t, lang) for t, lang in docs]
    monkeypatch.setattr("pretrain_clean.filters.perplexity.normalized_lines",
                        lambda text: [n for n in map(reference_normalize_line, text.split("\n")) if n])
    old = [stage.score(t, lang) for t, lang in docs]
    assert len(new) > 2_000
    assert new == old


def test_a_batch_scores_as_one_document_at_a_time(sample_texts: list[str]) -> None:
    from pretrain_clean.pipeline.document import Document

    stage = Perplexity()
    stage.setup()
    docs = [Document(str(i), t, meta={"language": ("en", "zh", "fr")[i % 3]}) for i, t in enumerate(sample_texts[:300])]
    docs.append(Document("empty", " \n\x01\n", meta={"language": "en"}))
    stage.apply_batch(docs)
    assert [d.meta.get("perplexity") for d in docs] == [stage.score(d.text, d.meta["language"]) for d in docs[:-1]] + [None]
    assert all("perplexity" not in d.meta for d in docs if d.meta["language"] == "fr")


WHOLE_TEXT_CASES = [
    "ΟΔΟΣ ΣΑΣ\nΣ\nΑΣ\n σ.\nΑΣ'\nb",       # final sigma at line ends
    "e\u0301\n\u0301x\n\u0327\u0301\na\u0327\u0301",  # combining marks at line starts and ends
    " \t x \r\n\x85y\x85\n\u2028z\u2028\n\x01\n\n",  # separators, controls, blank lines
    "Ａ１２\n—start\nend—\n。\n  İ  \n١٢٣",
    "".join(map(chr, range(128))) * 2,                   # ASCII: the bytes table
    "A1\tb 2\r\nC 3\x00\n\x7fz 99\n\n \x0b \n",
]


@pytest.mark.parametrize("text", WHOLE_TEXT_CASES)
def test_whole_text_normalization_equals_line_by_line(text: str) -> None:
    from pretrain_clean.filters.ccnet_text import normalize_text_lines
    assert normalize_text_lines(text) == [n for n in map(normalize_line, text.split("\n")) if n]


def test_whole_text_normalization_equals_line_by_line_on_every_code_point() -> None:
    from pretrain_clean.filters.ccnet_text import normalize_text_lines
    chars = [chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) != "Cs"]
    text = "Σ\n".join(chars)  # every character before a final sigma and at a line start
    assert normalize_text_lines(text) == [n for n in map(normalize_line, text.split("\n")) if n]
