"""The ASCII and non-ASCII fast paths of the cascade's stages (issue 14, session 4) give what
the plain computations give: each shortcut against its regex or loop, on every code point or
every ASCII character where a character class is replaced, and at the edges (İ, ı, ſ, NUL).
"""
from __future__ import annotations

import re
import unicodedata

import pytest

from conftest import ROOT, ready
from pretrain_clean.filters import text_features
from pretrain_clean.filters.c4 import C4Lines
from pretrain_clean.filters.normalize import clean_whitespace
from pretrain_clean.filters.toxicity import Toxicity, WordMatcher, word_pattern
from pretrain_clean.pipeline.config import load_config
from pretrain_clean.pipeline.document import Document


def test_one_to_one_lower_casing_keeps_every_character_s_word_class() -> None:
    # toxicity counts words on the lower-cased text when lowering kept its length: sound only
    # if no character that lowers to one character changes word class (checked for all of them)
    from pretrain_clean.filters.toxicity import _WORD_RE
    changed = [cp for cp in range(0x110000) if not 0xD800 <= cp <= 0xDFFF
               and len(low := chr(cp).lower()) == 1 and bool(_WORD_RE.match(chr(cp))) != bool(_WORD_RE.match(low))]
    assert changed == []


@pytest.mark.parametrize("text", ["Straße ÉCOLE fuck", "İstanbul fuck", "ǅemal fuck you", "长江 fuck 很长", "ascii only fuck"])
def test_toxicity_words_are_counted_on_the_text_as_written(text: str) -> None:
    from pretrain_clean.filters.toxicity import _WORD_RE
    tox = ready(Toxicity(wordlists={"en": str(ROOT / "pretrain_clean/resources/wordlists/ldnoobw/en")}, min_words=1))
    assert tox.density(text) == (1, 1 / len(_WORD_RE.findall(text)))


def test_ignore_case_letters_of_the_pii_key_words_lower_case_to_themselves_but_i() -> None:
    # pii.may_hold looks for its key words in the lower-cased text; sound only if an ignore-case
    # match of each of their letters is a character lowering to that letter (İ and ı for i)
    import re
    from pretrain_clean.filters import pii
    letters = {c for k in pii._CONTEXT_WORDS + pii._ACCOUNT_KEYS for c in k if c.isalpha() and ord(c) < 0x250}
    matches = _ignore_case_matches(letters)
    odd = {c: [ch for ch in matches if re.fullmatch(f"(?i:{c})", ch) and ch.lower() != c] for c in sorted(letters)}
    assert {c: v for c, v in odd.items() if v} == {"i": ["\u0130", "\u0131"]}


def _ignore_case_matches(letters: set[str]) -> list[str]:
    """Every code point matching one of ``letters`` ignoring case (one regex call per code point)."""
    any_letter = re.compile(f"(?i:[{re.escape(''.join(sorted(letters)))}])")
    return [chr(cp) for cp in range(0x110000) if not 0xD800 <= cp <= 0xDFFF and any_letter.fullmatch(chr(cp))]


@pytest.mark.parametrize("text", ["Tel: 030 12 34 56", "TELEPHONE 030 12 34 56", "mobİle 0301234567", "Mobıle 0301234567",
                                  "电话：075588886666", "QQ 12345678", "WeChat: abc_defg", "微信号 abcdefg1", "no number here",
                                  "hotel 030 12 34 56", "Call: 030 1234567", "telephone:0301234567", "x_tel 0301234567",
                                  "2tel 030 1234567", "tel2 030 1234567", "Tel", "fax", "FAX 0301234567", "recall 0301234567",
                                  "Téléphone : 01 23 45 67 89", "“Call” 0301234567", "teléfono 0301234567",
                                  "hotelTEL 0301234567", "K tel 0301234567", "Ωtel 0301234567", "telé 0301234567",
                                  "“x” ☎ 0301234567", "“x”—tel 0301234567", "“x” hotel 0301234567", "“x”Ktel 030 1234567"])
def test_pii_key_word_prefilter_masks_what_the_plain_regexes_mask(text: str) -> None:
    from pretrain_clean.filters import pii
    stage = pii.PiiMask()
    plain = [("phone", m.start("number"), m.end("number")) for m in pii.CONTEXT_PHONE_RE.finditer(text)
             if pii.plausible_phone(m.group("number"))]
    plain += [("account", m.start("account"), m.end("account")) for m in pii.ACCOUNT_RE.finditer(text)]
    assert [s for s in stage.spans(text) if s[0] in ("phone", "account")] == plain


def test_ascii_tables_give_the_regex_answers_on_every_ascii_character() -> None:
    from pretrain_clean.filters import fasttext_text, special_chars, toxicity
    text = "".join(map(chr, range(128))) * 2 + " Don't_stop: 3.5x, OK? "
    assert text.lower().translate(toxicity._ASCII_WORDS).split() == toxicity._WORD_RE.findall(text.lower())
    assert fasttext_text.fasttext_tokens(text) == " ".join(fasttext_text._TOKEN_RE.findall(text.lower()))
    assert len(text.encode().translate(None, special_chars._ASCII_NOT_SPECIAL)) == len(special_chars.SPECIAL_RE.findall(text))


def test_ascii_table_builders_give_the_regex_answers_when_called() -> None:
    """The builders themselves, called here (the modules above build their tables at import):
    word tokens, word and mark tokens, and the bytes a one-character pattern matches or not.
    Bytes of non-ASCII characters are never touched (U+0100 is b"\\xc4\\x80" in UTF-8)."""
    from pretrain_clean.filters.ascii_fast import matched_bytes, split_table, unmatched_bytes

    word, mark = re.compile(r"\w"), re.compile(r"[^\w\s]")
    text = "".join(map(chr, range(128))) * 2 + " Don't_stop: 3.5x, OK? "
    assert text.translate(split_table(word)).split() == re.findall(r"\w+", text)
    assert text.translate(split_table(word, mark)).split() == re.findall(r"\w+|[^\w\s]", text)
    assert "a\x80b\u0100".translate(split_table(word)) == "a\x80b\u0100"  # a table for ASCII only
    assert text.encode().translate(None, unmatched_bytes(mark)).decode() == "".join(mark.findall(text))
    assert text.encode().translate(None, matched_bytes(mark)).decode() == mark.sub("", text)
    assert "\u0100b.".encode().translate(None, unmatched_bytes(word)) == "\u0100b".encode()
    assert "\u0100b.\x80".encode().translate(None, matched_bytes(mark)) == "\u0100b\x80".encode()
    assert len(matched_bytes(mark)) + len(unmatched_bytes(mark)) == 128


@pytest.mark.parametrize("text", ["", "Hi", "It rains. Mr. Smith stays home! Does he? Yes.", "Wow!!! ... \"Really?\" (yes). No",
                                  "end. . . ! ?", "a ! b ? c . d", "。你好！好的？是。", "x. ) ] y"])
def test_sentences_are_counted_as_the_token_by_token_rule_counts_them(text: str) -> None:
    from pretrain_clean.filters.c4 import SENTENCE_END_CHARS, _is_punct, count_sentences
    tokens = text_features.tokenize(text)
    plain, seen_end = (1 if tokens else 0), False
    for tok in tokens:
        if tok in SENTENCE_END_CHARS:
            seen_end = True
        elif seen_end and not _is_punct(tok):
            plain, seen_end = plain + 1, False
    assert count_sentences(tokens) == plain
    for limit in range(1, 6):  # counting stops at the limit, never before it
        assert count_sentences(tokens, limit) == min(plain, limit)


def test_a_token_starting_with_a_letter_or_digit_is_never_all_punctuation() -> None:
    """count_sentences skips the category look for such tokens: no alphanumeric code point is punctuation."""
    assert not [c for c in map(chr, range(0x110000)) if c.isalnum() and unicodedata.category(c).startswith("P")]


@pytest.mark.parametrize("text,kept", [("Enable JavaScript – it is needed.", 0), ("We USE COOKIES — here.", 0),
                                       ("Lorem Ipsum ’dolor’ sit amet.", 1), ("Plain words — and more.", 1)])
def test_c4_phrases_are_found_in_texts_with_non_ascii_punctuation(text: str, kept: int) -> None:
    scan = C4Lines().scan(Document("d", text))
    assert len(scan.kept) == kept
    assert scan.lorem_ipsum == ("Lorem" in text)


@pytest.mark.parametrize("text,kept", [("We use cookies on this site.", 0), ("We use [1]cookies on this site.", 0),
                                       ("Privacy [edit]policy applies here.", 0), ("A plain line with words.", 1)])
def test_policy_lines_are_removed_also_where_a_cut_citation_joins_the_phrase(text: str, kept: int) -> None:
    assert len(C4Lines().scan(Document("d", text)).kept) == kept


@pytest.mark.parametrize("min_words", [-1, 0, 1, 2, 3, 4])
@pytest.mark.parametrize("line", ["", "one.", "one two.", "one two three.", "one two three four.", "a [1] b.", "a[1] b."])
def test_c4_min_words_per_line_at_and_around_the_word_count(min_words: int, line: str) -> None:
    scan = C4Lines(min_words_per_line=min_words).scan(Document("d", line))
    assert bool(scan.kept) == (bool(line) and not len(line.split()) < min_words)


@pytest.mark.parametrize("text", ["Über große Flüsse\n\nund Seen", "İstanbul’s rivers — and lakes", "The river 长江很长\n\nflows on"])
def test_coherence_terms_without_the_han_scan_are_the_plain_terms(text: str) -> None:
    from pretrain_clean.filters.coherence import _HAN_RUN_RE, _WORD_RE, term_list
    plain = [w.lower() for w in _WORD_RE.findall(_HAN_RUN_RE.sub(" ", text))]
    plain += [run[i:i + 2] for run in _HAN_RUN_RE.findall(text) for i in range(len(run) - 1)]
    assert term_list(text, may_have_han=_HAN_RUN_RE.search(text) is not None) == plain == term_list(text)


def _every_inert_non_ascii_char() -> list[str]:
    """Every assigned non-ASCII character that is neither a word nor a space character, a
    surrogate, a private-use and an unassigned one."""
    import re
    other = re.compile(r"[^\w\s]")
    return [chr(cp) for cp in range(0x80, 0x110000) if other.fullmatch(chr(cp))
            and unicodedata.category(chr(cp)) not in ("Cn", "Co", "Cs")] + ["\ud800", "\ue000", "\U000e0fff"]


def test_the_ascii_stand_in_gives_the_plain_answers_for_every_punctuation_or_symbol_character() -> None:
    # every non-ASCII character that is neither a word nor a space character (surrogates too)
    from pretrain_clean.filters import ascii_fast, coherence, special_chars, toxicity
    text = "Word cd_x9".join(_every_inert_non_ascii_char()) + "Word"
    assert ascii_fast.ascii_stand_in(text) is not None
    assert coherence.term_list(text) == [w.lower() for w in coherence._WORD_RE.findall(text)]
    assert special_chars.special_char_ratio(text) == len(special_chars.SPECIAL_RE.findall(text)) / text_features.visible_length(text)
    from pretrain_clean.filters import fasttext_text
    assert fasttext_text.fasttext_tokens(text, 10**9) == " ".join(fasttext_text._TOKEN_RE.findall(text.lower()))
    with_nul = "a\x00b “c” \x00"  # a text holding the stand-in itself takes the regex
    assert fasttext_text.fasttext_tokens(with_nul) == " ".join(fasttext_text._TOKEN_RE.findall(with_nul))
    for cut in (0, 1, 2, 3, 1000, 12345):
        assert fasttext_text.fasttext_tokens(text, cut) == " ".join(fasttext_text._TOKEN_RE.findall(text.lower())[:cut])
    matcher = WordMatcher(["word", "cd", "x9"])
    assert matcher.count_words(text) == (len([w for w in toxicity._WORD_RE.findall(text.lower()) if w in matcher.single]),
                                         len(toxicity._WORD_RE.findall(text)))


@pytest.mark.parametrize("text", ["café ok", "a\u00a0b", "长江 river", "x\u3000y", "İi", "ǅ1 ²³ ½"])
def test_texts_with_non_ascii_letters_digits_or_spaces_have_no_stand_in(text: str) -> None:
    from pretrain_clean.filters import ascii_fast, cjk, coherence, special_chars
    assert ascii_fast.ascii_stand_in(text) is None
    assert cjk.has_han(text) == (cjk.HAN_RE.search(text) is not None)
    assert coherence.term_list(text) == coherence.term_list(text, may_have_han=True)
    assert special_chars.special_char_ratio(text) == len(special_chars.SPECIAL_RE.findall(text)) / text_features.visible_length(text)


def test_the_non_ascii_prechecks_of_normalize_match_what_the_regexes_match_on_every_code_point() -> None:
    from pretrain_clean.filters import normalize as n
    chars = [chr(cp) for cp in range(0x80, 0x110000)]
    assert [c for c in chars if n.LINE_BREAK_RE.fullmatch(c)] == [c for c in chars if n.WIDE_LINE_BREAK_RE.fullmatch(c)]
    spaces = re.compile(n._SPACES)
    assert [c for c in chars if spaces.fullmatch(c)] == [c for c in chars if n.WIDE_SPACE_RE.fullmatch(c)]
    # a mojibake hint is made of non-ASCII characters only, or is ESC
    ascii_in_hints = [chr(cp) for cp in range(128) if n.MOJIBAKE_HINT_RE.search("\u00c3" + chr(cp))
                      or n.MOJIBAKE_HINT_RE.match(chr(cp)) or n.MOJIBAKE_HINT_RE.match(chr(cp) + "\u0080")]
    assert ascii_in_hints == ["\x1b"]
    text = "".join(chars[::7]) + "".join(map(chr, range(128)))
    assert n.has_invisible(text) and all(n.has_invisible(f"“x”{c}") == bool(n.INVISIBLE_RE.search(c)) for c in map(chr, range(0x3000)))


@pytest.mark.parametrize("text", ["“a”\u00a0 b", "“a”\u2028b", "“a”  b\tc", "“a” b", "“a”\r\nb\x85c", "“a”\u3000\u3000b"])
def test_clean_whitespace_of_non_ascii_text_equals_the_plain_passes(text: str) -> None:
    import re as plain_re
    from pretrain_clean.filters import normalize as n
    plain = n.SPACE_RE.sub(" ", n.LINE_BREAK_RE.sub("\n", text))
    plain = plain_re.sub(r"\n{3,}", "\n\n", "\n".join(line.strip(" ") for line in plain.split("\n"))).strip()
    assert clean_whitespace(text) == plain


def test_only_i_dotted_i_dotless_and_long_s_match_an_ascii_letter_ignoring_case_without_lowering_to_it() -> None:
    import string
    from pretrain_clean.filters.toxicity import CASE_ODD
    matches = [ch for ch in _ignore_case_matches(set(string.ascii_lowercase)) if ord(ch) >= 128]
    odd = sorted({ch for c in string.ascii_lowercase for ch in matches if ch.lower() != c and re.fullmatch(f"(?i:{c})", ch)})
    assert odd == sorted(CASE_ODD)


@pytest.mark.parametrize("text", ["s&m “ok”", "S&M", "ſ&m", "a S&amp;M", "“no hit” here", "İ s&m", "“x” 🖕 y", "🖕", "x 🖕"])
def test_rare_terms_of_non_ascii_text_are_counted_as_the_plain_regex_counts_them(text: str) -> None:
    matcher = WordMatcher(["s&m", "ass", "🖕"])
    assert matcher.count(text) == len(word_pattern(["s&m", "ass", "🖕"]).findall(text))


def test_the_caseless_heads_of_the_bundled_rare_terms_match_only_themselves_ignoring_case() -> None:
    tox = ready(Toxicity())
    assert tox._words._heads_decide
    for char in {c for h in tox._words.rest_heads for c in h if not c.isascii()}:
        assert [chr(cp) for cp in range(0x110000) if not 0xD800 <= cp <= 0xDFFF
                and re.fullmatch(f"(?i:{re.escape(char)})", chr(cp))] == [char]


def test_a_worker_s_set_up_objects_are_frozen_out_of_the_collector() -> None:
    import gc

    from pretrain_clean.pipeline import worker
    spec = load_config("minimal")
    gc.unfreeze()
    before = gc.get_threshold()
    worker._CASCADES.clear()
    try:
        worker.worker_cascade(spec)
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == (worker.YOUNG_COLLECTION_THRESHOLD, *before[1:])  # young objects: collected less often
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
