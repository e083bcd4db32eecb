"""Names of the special tokens our two tokenizers carry, and a helper to find them.

Both trainers also write ``special_tokens_map.json`` next to ``tokenizer.json`` (the file
``transformers`` reads), so downstream code (e.g. tokenized shards) can look the names up
instead of guessing: :func:`special_token_ids`.
"""
from __future__ import annotations

import json
from pathlib import Path

# SentencePiece (Yi style): the usual sentencepiece control pieces, ids 0, 1, 2.
SPM_UNK, SPM_BOS, SPM_EOS = "<unk>", "<s>", "</s>"
# Byte-level BPE (YAYI 2 style): GPT-like names, ids 0, 1, 2.
BPE_BOS, BPE_EOS, BPE_PAD = "<|startoftext|>", "<|endoftext|>", "<|pad|>"

SPECIAL_MAP_FILE = "special_tokens_map.json"


def reserved_tokens(count: int) -> list[str]:
    """``count`` reserved tokens named like YAYI 2's.

    >>> reserved_tokens(2)
    ['<|reserved_0|>', '<|reserved_1|>']
    """
    return [f"<|reserved_{i}|>" for i in range(count)]


def write_special_map(out_dir: Path, bos: str, eos: str, pad: str | None, unk: str | None) -> None:
    """Write ``special_tokens_map.json`` and ``tokenizer_config.json`` (transformers' files)."""
    names = {"bos_token": bos, "eos_token": eos, "pad_token": pad, "unk_token": unk}
    data = {k: v for k, v in names.items() if v is not None}
    (out_dir / SPECIAL_MAP_FILE).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    config = {"tokenizer_class": "PreTrainedTokenizerFast", "add_bos_token": False, "add_eos_token": False,
              "clean_up_tokenization_spaces": False, **data}
    (out_dir / "tokenizer_config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")


def special_token_ids(tokenizer_json: str | Path) -> dict[str, int]:
    """Map ``bos_token``/``eos_token``/``pad_token``/``unk_token`` to ids for a tokenizer.json.

    Reads ``special_tokens_map.json`` beside the file; raises when it is missing or names a
    token the tokenizer does not have.
    """
    from tokenizers import Tokenizer

    path = Path(tokenizer_json)
    map_path = path.parent / SPECIAL_MAP_FILE
    if not map_path.exists():
        raise FileNotFoundError(f"{map_path} not found: the special-token names of {path} are unknown")
    tok = Tokenizer.from_file(str(path))
    out: dict[str, int] = {}
    for role, name in json.loads(map_path.read_text(encoding="utf-8")).items():
        tid = tok.token_to_id(name)
        if tid is None:
            raise ValueError(f"{map_path}: {role}={name!r} is not a token of {path}")
        out[role] = tid
    return out
