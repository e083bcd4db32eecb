"""``collapse_whitespace`` (dedup/_whitespace.c) is ``" ".join(text.split())`` exactly: every
character ``str.split`` treats as whitespace, every string width (1, 2 and 4 bytes a
character), and the result as compact as Python's own (equal hashes)."""
from __future__ import annotations

import random
import sys

import pytest

from pretrain_clean.dedup._whitespace import collapse_whitespace
from pretrain_clean.dedup.exact import exact_text

WHITESPACE = [chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()]


def test_every_split_whitespace_character_collapses() -> None:
    assert len(WHITESPACE) == 29  # \t..\r, \x1c..\x1f, space, \x85, \xa0, \u1680, \u2000..\u200a, ...
    for ws in WHITESPACE:
        assert collapse_whitespace(f"{ws}a{ws}{ws}b{ws}") == "a b", repr(ws)


@pytest.mark.parametrize("seed", range(5))
def test_collapse_equals_split_join_on_random_strings(seed: int) -> None:
    rng = random.Random(seed)
    alphabet = WHITESPACE + list("ab中é\U0001F600\x00")
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 10)))
        expected = " ".join(text.split())
        got = collapse_whitespace(text)
        assert got == expected and hash(got) == hash(expected), repr(text)


def test_narrower_result_is_compact() -> None:
    # the only wide characters are whitespace: the result is plain ASCII, like Python's
    got = collapse_whitespace("a\u3000b\U0001F600"[:3])
    assert got == "a b" and got.isascii() and sys.getsizeof(got) == sys.getsizeof("a b")


def test_bad_input_and_exact_text_unchanged() -> None:
    with pytest.raises(TypeError, match="str expected"):
        collapse_whitespace(b"a b")  # type: ignore[arg-type]
    assert collapse_whitespace("") == "" and collapse_whitespace(" \n ") == ""
    text = "  The  Ça\u00a0va\n\n  ÉTÉ\u3000中文 "
    assert exact_text(text) == " ".join(text.lower().split()) == "the ça va été 中文"
