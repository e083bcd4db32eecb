"""YAYI 2-style byte-level BPE training with Hugging Face ``tokenizers``.

Following the YAYI 2 report (Luo et al., 2023, "YAYI 2: Multilingual Open-Source Large
Language Models", sec. 3): byte-level BPE with no normalization, numbers split into single
digits, common HTML tags and punctuation added as whole tokens, and reserved slots
``<|reserved_N|>`` (200 in YAYI 2) for later use. YAYI 2's vocabulary had 81,920 tokens.
The vocabulary size given here is the final size, special and added tokens included.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Iterable, Iterator

from pretrain_clean.errors import ConfigError
from pretrain_clean.tokenizer.special import BPE_BOS, BPE_EOS, BPE_PAD, reserved_tokens, write_special_map

HTML_TOKENS = (
    "<div>", "</div>", "<p>", "</p>", "<br>", "<br/>", "<br />", "<span>", "</span>", "<a href=\"", "</a>",
    "<li>", "</li>", "<ul>", "</ul>", "<ol>", "</ol>", "<table>", "</table>", "<tr>", "</tr>", "<td>", "</td>",
    "<th>", "</th>", "<h1>", "</h1>", "<h2>", "</h2>", "<h3>", "</h3>", "<img src=\"", "<strong>", "</strong>",
    "<code>", "</code>", "<pre>", "</pre>", "&nbsp;", "&amp;", "&lt;", "&gt;", "&quot;",
)
PUNCT_TOKENS = (
    "，", "。", "、", "；", "：", "？", "！", "“", "”", "‘", "’", "（", "）", "《", "》", "【", "】",
    "「", "」", "『", "』", "…", "……", "——", "—", "～", "－", "％", "＠", "＃", "＆", "＊",
)


@dataclass
class BpeOptions:
    """Trainer settings (see ``configs/tokenizer.toml`` ``[bpe]``)."""

    vocab_size: int = 81920
    reserved: int = 200
    added_tokens: tuple[str, ...] = field(default=HTML_TOKENS + PUNCT_TOKENS)
    min_frequency: int = 2
    batch_size: int = 1000


def special_tokens(opts: BpeOptions) -> list[str]:
    """bos, eos, pad, then the reserved tokens (ids 0, 1, 2, 3...)."""
    return [BPE_BOS, BPE_EOS, BPE_PAD, *reserved_tokens(opts.reserved)]


def check_added_tokens(tokens: Iterable[str]) -> None:
    """Refuse added tokens that the byte-level decoder would garble.

    The decoder maps a token's characters back to bytes through the byte-level alphabet and
    only falls back to the token's own UTF-8 when some character is outside that alphabet; a
    non-ASCII token made only of alphabet characters (e.g. ``"é"``) would decode wrongly.
    """
    from tokenizers.pre_tokenizers import ByteLevel

    alphabet = set(ByteLevel.alphabet())
    for tok in tokens:
        if not tok:
            raise ConfigError("bpe.added_tokens: empty token")
        if not tok.isascii() and all(c in alphabet for c in tok):
            raise ConfigError(f"bpe.added_tokens: {tok!r} is made of byte-level alphabet characters and "
                             "would not decode to itself; remove it")


def _batches(texts: Iterable[str], size: int) -> Iterator[list[str]]:
    it = iter(texts)
    while batch := list(islice(it, size)):
        yield batch


def new_tokenizer() -> "Tokenizer":
    """An untrained byte-level BPE tokenizer: single digits, GPT-2 byte-level regex, no normalizer."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Digits(individual_digits=True), pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)]
    )
    tok.decoder = decoders.ByteLevel()
    return tok


def train_bpe(texts: Iterable[str], out_dir: str | Path, opts: BpeOptions) -> Path:
    """Train on ``texts`` (whole documents, newlines kept); write ``tokenizer.json``."""
    from tokenizers import Tokenizer, pre_tokenizers, trainers

    added = list(dict.fromkeys(opts.added_tokens))
    check_added_tokens(added)
    specials = special_tokens(opts)
    clash = set(added) & set(specials)
    if clash:
        raise ConfigError(f"bpe.added_tokens repeats special tokens: {sorted(clash)}")
    fixed = len(specials) + len(added) + 256
    if opts.vocab_size <= fixed:
        raise ConfigError(f"bpe.vocab_size={opts.vocab_size} must exceed the {fixed} special, added and byte tokens")
    tok = new_tokenizer()
    # Added tokens go in as trainer special tokens so they get fixed ids and count toward
    # vocab_size; afterwards they are marked non-special so decoding always keeps them.
    trainer = trainers.BpeTrainer(
        vocab_size=opts.vocab_size,
        min_frequency=opts.min_frequency,
        special_tokens=specials + added,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(_batches(texts, opts.batch_size), trainer)
    data = json.loads(tok.to_str())
    added_set = set(added)
    for entry in data["added_tokens"]:
        if entry["content"] in added_set:
            entry["special"] = False
    tok = Tokenizer.from_str(json.dumps(data, ensure_ascii=False))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tok.save(str(out / "tokenizer.json"))
    write_special_map(out, bos=BPE_BOS, eos=BPE_EOS, pad=BPE_PAD, unk=None)
    return out / "tokenizer.json"
