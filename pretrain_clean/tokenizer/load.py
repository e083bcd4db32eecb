"""Load any tokenizer file into one encode/decode interface.

Accepted: a Hugging Face ``tokenizer.json`` (or a directory holding one), a SentencePiece
``.model``, or a tiktoken ranks file (``.tiktoken``; read offline with
``tiktoken.load.load_tiktoken_bpe``). A ranks file carries no split pattern, so the pattern is
chosen from the file name (gpt2/r50k, cl100k, qwen) or passed explicitly.
Batch encoders use every core (``tokenizers`` threads, sentencepiece ``num_threads``,
tiktoken ``num_threads``).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol

from pretrain_clean.errors import MissingInput, UsageError
from pretrain_clean.pipeline import storage

# Split patterns, copied from tiktoken_ext/openai_public.py (tiktoken 0.14, MIT) and Qwen's
# tokenization_qwen.py (Tongyi Qianwen license text not needed: a regular expression).
PATTERNS: dict[str, str] = {
    "gpt2": r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s""",
    "cl100k": r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s""",
    "qwen": r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+""",
}
PATTERN_ALIASES = {"gpt2": "gpt2", "r50k": "gpt2", "p50k": "gpt2", "cl100k": "cl100k", "qwen": "qwen"}


class TokenizerLike(Protocol):
    """What the report and benchmarks need from a tokenizer."""

    name: str

    def vocab_size(self) -> int: ...
    def encode(self, text: str) -> list[int]: ...
    def encode_batch(self, texts: list[str]) -> list[list[int]]: ...
    def decode(self, ids: list[int]) -> str: ...


def _threads() -> int:
    return os.cpu_count() or 1


class HFTokenizer:
    """A ``tokenizer.json`` through the ``tokenizers`` library (no special tokens added)."""

    def __init__(self, path: Path, name: str) -> None:
        from tokenizers import Tokenizer

        self.name, self.path = name, path
        self.tok = Tokenizer.from_file(str(path))

    def vocab_size(self) -> int:
        return self.tok.get_vocab_size(with_added_tokens=True)

    def encode(self, text: str) -> list[int]:
        return self.tok.encode(text, add_special_tokens=False).ids

    def encode_batch(self, texts: list[str]) -> list[list[int]]:
        fast = getattr(self.tok, "encode_batch_fast", self.tok.encode_batch)
        return [e.ids for e in fast(texts, add_special_tokens=False)]

    def decode(self, ids: list[int]) -> str:
        return self.tok.decode(ids, skip_special_tokens=False)


class SpmTokenizer:
    """A SentencePiece ``.model``."""

    def __init__(self, path: Path, name: str) -> None:
        import sentencepiece as spm

        self.name, self.path = name, path
        self.sp = spm.SentencePieceProcessor(model_file=str(path))

    def vocab_size(self) -> int:
        return self.sp.get_piece_size()

    def encode(self, text: str) -> list[int]:
        return self.sp.encode(text)

    def encode_batch(self, texts: list[str]) -> list[list[int]]:
        return self.sp.encode(texts, num_threads=_threads())

    def decode(self, ids: list[int]) -> str:
        return self.sp.decode(ids)


class TiktokenTokenizer:
    """A tiktoken ranks file, loaded offline; ``<|endoftext|>`` gets the next free id."""

    def __init__(self, path: Path, name: str, pattern: str | None = None) -> None:
        import tiktoken
        from tiktoken.load import load_tiktoken_bpe

        self.name, self.path = name, path
        pat = PATTERNS[pattern] if pattern in PATTERNS else pattern or PATTERNS[pattern_for(path)]
        ranks = load_tiktoken_bpe(str(path))
        self.enc = tiktoken.Encoding(
            name=f"local:{path.name}", pat_str=pat, mergeable_ranks=ranks, special_tokens={"<|endoftext|>": len(ranks)}
        )

    def vocab_size(self) -> int:
        return self.enc.n_vocab

    def encode(self, text: str) -> list[int]:
        return self.enc.encode_ordinary(text)

    def encode_batch(self, texts: list[str]) -> list[list[int]]:
        return self.enc.encode_ordinary_batch(texts, num_threads=_threads())

    def decode(self, ids: list[int]) -> str:
        return self.enc.decode(ids, errors="strict")


def pattern_for(path: Path) -> str:
    """Pattern name for a ranks file from its name.

    >>> pattern_for(Path("data/tokenizers/cl100k_base.tiktoken"))
    'cl100k'
    """
    stem = path.name.lower()
    for key, name in PATTERN_ALIASES.items():
        if key in stem:
            return name
    raise UsageError(f"{path}: cannot tell the split pattern of this tiktoken file from its name; "
                     f"name it after one of {sorted(PATTERN_ALIASES)} or pass pattern=")


def load_tokenizer(path: str | Path, name: str | None = None, pattern: str | None = None) -> TokenizerLike:
    """Load ``path`` (tokenizer.json, a directory holding one, .model, or .tiktoken); a URI
    names a file, fetched once into the local cache (:func:`pipeline.storage.local_copy`)."""
    p = storage.local_copy(str(path))
    name = name or p.stem
    if p.is_dir():
        if (p / "tokenizer.json").exists():
            return HFTokenizer(p / "tokenizer.json", name)
        if (p / "tokenizer.model").exists():
            return SpmTokenizer(p / "tokenizer.model", name)
        raise MissingInput(f"{p}: directory holds neither tokenizer.json nor tokenizer.model")
    if not p.exists():
        raise MissingInput(f"tokenizer file {p} does not exist")
    suffix = p.suffix.lower()
    if suffix == ".json":
        return HFTokenizer(p, name)
    if suffix == ".model":
        return SpmTokenizer(p, name)
    if suffix == ".tiktoken":
        return TiktokenTokenizer(p, name, pattern)
    raise UsageError(f"{p}: unknown tokenizer type {suffix!r}; expected tokenizer.json, .model or .tiktoken")
