"""Yi-style SentencePiece BPE training and its export to a Hugging Face ``tokenizer.json``.

Settings follow the Yi report (Young et al., 2024, "Yi: Open Foundation Models", sec. 2.2):
BPE, digits split into single digits, byte fallback for rare characters, identity
normalization (full-width punctuation kept), no dummy prefix, whitespace kept as is.
Yi used a 64,000 vocabulary; the size and character coverage come from the config.
"""
from __future__ import annotations

import ctypes
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from pretrain_clean.errors import UsageError
from pretrain_clean.tokenizer.special import SPM_BOS, SPM_EOS, SPM_UNK, write_special_map


@dataclass
class SpmOptions:
    """Trainer settings (see ``configs/tokenizer.toml`` ``[spm]``)."""

    vocab_size: int = 64000
    character_coverage: float = 0.9995  # sentencepiece's advice for CJK-rich text
    max_sentencepiece_length: int = 16
    max_sentence_length: int = 65536  # bytes; longer lines are skipped by sentencepiece
    num_threads: int = 0  # 0 = all cores
    user_defined_symbols: tuple[str, ...] = ()


def spm_trainer_args(opts: SpmOptions) -> dict[str, object]:
    """The keyword arguments passed to ``SentencePieceTrainer.train`` (besides input/prefix)."""
    return dict(
        model_type="bpe",
        vocab_size=opts.vocab_size,
        character_coverage=opts.character_coverage,
        split_digits=True,
        byte_fallback=True,
        normalization_rule_name="identity",
        remove_extra_whitespaces=False,
        add_dummy_prefix=False,
        allow_whitespace_only_pieces=True,
        split_by_unicode_script=True,
        split_by_whitespace=True,
        max_sentencepiece_length=opts.max_sentencepiece_length,
        max_sentence_length=opts.max_sentence_length,
        num_threads=opts.num_threads or os.cpu_count() or 1,
        unk_id=0, bos_id=1, eos_id=2, pad_id=-1,
        unk_piece=SPM_UNK, bos_piece=SPM_BOS, eos_piece=SPM_EOS,
        user_defined_symbols=list(opts.user_defined_symbols),
        minloglevel=2,
    )


def release_freed_memory() -> None:
    """Return freed heap pages to the OS (glibc ``malloc_trim``); a no-op elsewhere."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def write_lines(texts: Iterable[str], path: Path) -> int:
    """Write the non-empty lines of ``texts`` (sentencepiece trains on lines); return the count."""
    n = 0
    with open(path, "w", encoding="utf-8") as fh:
        for text in texts:
            kept = [line for line in text.split("\n") if line and not line.isspace()]
            if kept:
                fh.write("\n".join(kept) + "\n")
                n += len(kept)
    return n


def train_spm(texts: Iterable[str], out_dir: str | Path, opts: SpmOptions) -> Path:
    """Train on ``texts``; write ``tokenizer.model``, ``tokenizer.json`` and special-token files."""
    import sentencepiece as spm

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out) as tmp:
        lines = Path(tmp) / "lines.txt"
        if write_lines(texts, lines) == 0:
            raise UsageError("the training sample is empty: no text to train sentencepiece on")
        spm.SentencePieceTrainer.train(input=str(lines), model_prefix=str(out / "tokenizer"), **spm_trainer_args(opts))
    (out / "tokenizer.vocab").unlink(missing_ok=True)
    release_freed_memory()  # the trainer's freed heap would otherwise add to the export's peak
    spm_to_tokenizer_json(out / "tokenizer.model", out / "tokenizer.json", opts.user_defined_symbols)
    write_special_map(out, bos=SPM_BOS, eos=SPM_EOS, pad=None, unk=SPM_UNK)
    return out / "tokenizer.model"


def spm_to_tokenizer_json(
    model_path: str | Path, json_path: str | Path, user_defined: Iterable[str] = ()
) -> None:
    """Convert a SentencePiece BPE model (no dummy prefix, byte fallback) to ``tokenizer.json``.

    Same recipe as transformers' Llama converter: the vocabulary is the piece list; merges are
    every split of a normal piece into two pieces, ranked by the merged piece's score, which
    reproduces sentencepiece's greedy highest-score merging. Tests compare ids with
    sentencepiece itself. ``user_defined`` are the trainer's ``user_defined_symbols`` (the
    Python API cannot tell a user-defined piece from a learned one); they become added tokens,
    except those holding a space, which sentencepiece never matches (it matches pieces after
    turning spaces into ``▁``) and so stay unreachable here too.
    Byte pieces follow the control and user-defined pieces (sentencepiece's
    ``trainer_interface_test.cc`` ``BytePiecesTest``), so their ids are looked up, not assumed.
    """
    import sentencepiece as spm
    from tokenizers import AddedToken, Tokenizer, decoders, models, normalizers

    sp = spm.SentencePieceProcessor(model_file=str(model_path))
    n_bytes = sum(1 for i in range(sp.get_piece_size()) if sp.is_byte(i))
    if n_bytes != 256:
        raise ValueError(f"{model_path}: expected a byte-fallback model (256 byte pieces), found {n_bytes}")
    vocab = {sp.id_to_piece(i): i for i in range(sp.get_piece_size())}
    user = [u for u in dict.fromkeys(user_defined) if u in vocab and " " not in u]
    normal = {
        p: i for p, i in vocab.items()
        if not (sp.is_unknown(i) or sp.is_control(i) or sp.is_byte(i)) and p not in user
    }
    merges: list[tuple[str, str, int]] = []
    for piece, pid in normal.items():
        for k in range(1, len(piece)):
            left, right = piece[:k], piece[k:]
            if left in normal and right in normal:
                merges.append((left, right, pid))
    merges.sort(key=lambda m: (m[2], vocab[m[0]], vocab[m[1]]))
    bpe = models.BPE(
        vocab=vocab, merges=[(a, b) for a, b, _ in merges], unk_token=SPM_UNK, fuse_unk=True, byte_fallback=True
    )
    tok = Tokenizer(bpe)
    tok.normalizer = normalizers.Replace(" ", "\u2581")
    tok.decoder = decoders.Sequence([decoders.Replace("\u2581", " "), decoders.ByteFallback(), decoders.Fuse()])
    specials = [sp.id_to_piece(i) for i in range(sp.get_piece_size()) if sp.is_control(i) or sp.is_unknown(i)]
    tok.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in specials])
    if user:
        tok.add_tokens([AddedToken(u, special=False, normalized=False) for u in user])
    tok.save(str(json_path))
