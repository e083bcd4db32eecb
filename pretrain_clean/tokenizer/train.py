"""Train one tokenizer (spm or bpe) on a deterministic sample of the inputs."""
from __future__ import annotations

import json
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from pretrain_clean.errors import UsageError
from pretrain_clean.pipeline.storage import staged_folder as staged_files
from pretrain_clean.tokenizer.config import TokenizerConfig
from pretrain_clean.tokenizer.sample import HASHES_FILE, SampleInfo, hashes_of, sample_documents, text_hash

KINDS = ("spm", "bpe")


def _recording(texts: Iterable[str], hashes: set[str]) -> Iterator[str]:
    for t in texts:
        hashes.add(text_hash(t))
        yield t


def train_tokenizer(
    kind: str, inputs: Sequence[str | Path], out_dir: str | Path, cfg: TokenizerConfig, vocab_size: int | None = None
) -> dict[str, object]:
    """Sample ``inputs`` and train; write the tokenizer files, ``sample_hashes.txt`` and
    ``train_info.json`` into ``out_dir``; return the info written."""
    if kind not in KINDS:
        raise UsageError(f"--kind must be one of {KINDS}, got {kind!r}")
    with staged_files(out_dir) as staging:  # a killed run never leaves a half-written tokenizer
        return _train_into(kind, inputs, staging, cfg, vocab_size)


def _train_into(
    kind: str, inputs: Sequence[str | Path], out: Path, cfg: TokenizerConfig, vocab_size: int | None
) -> dict[str, object]:
    start = time.perf_counter()
    exclude = hashes_of(cfg.sample.exclude) if cfg.sample.exclude else set()
    info = SampleInfo(0, 0, 0, 0)
    hashes: set[str] = set()
    texts = _recording(sample_documents(inputs, cfg.sample.max_bytes, cfg.sample.seed, exclude, info), hashes)
    if kind == "spm":
        from pretrain_clean.tokenizer.train_spm import train_spm

        opts = replace(cfg.spm, vocab_size=vocab_size or cfg.spm.vocab_size)
        train_spm(texts, out, opts)
    else:
        from pretrain_clean.tokenizer.train_bpe import train_bpe

        opts = replace(cfg.bpe, vocab_size=vocab_size or cfg.bpe.vocab_size)
        train_bpe(texts, out, opts)
    if info.docs == 0:
        raise UsageError(f"no training documents were sampled from {list(map(str, inputs))}")
    (out / HASHES_FILE).write_text("".join(h + "\n" for h in sorted(hashes)), encoding="utf-8")
    result = {
        "kind": kind, "inputs": [str(p) for p in inputs], "options": asdict(opts),
        "sample": asdict(info), "seconds": round(time.perf_counter() - start, 3),
    }
    (out / "train_info.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return result
