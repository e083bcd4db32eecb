"""Load and validate ``configs/tokenizer.toml``."""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from tokenizer.train_bpe import HTML_TOKENS, PUNCT_TOKENS, BpeOptions
from tokenizer.train_spm import SpmOptions


@dataclass
class SampleOptions:
    """How the training sample is drawn (see :mod:`tokenizer.sample`)."""

    max_bytes: int | None = 1_000_000_000
    seed: int = 0
    exclude: tuple[str, ...] = ("data/eval",)


@dataclass
class ReportOptions:
    """Report defaults: baseline name, reference tokenizers, evaluation sets."""

    baseline: str | None = None
    tokenizers: dict[str, str] = field(default_factory=dict)
    evals: dict[str, str] = field(default_factory=dict)


@dataclass
class TokenizerConfig:
    sample: SampleOptions
    spm: SpmOptions
    bpe: BpeOptions
    report: ReportOptions


def _build(cls: type, table: dict[str, Any], where: str) -> Any:
    known = {f.name: f for f in fields(cls)}
    kwargs = {}
    for key, value in table.items():
        if key not in known:
            raise ValueError(f"{where}: unknown key {key!r}; expected one of {sorted(known)}")
        kwargs[key] = tuple(value) if isinstance(value, list) else value
    return cls(**kwargs)


def load_config(path: str | Path | None) -> TokenizerConfig:
    """Read the TOML file at ``path`` (defaults when None); unknown keys are errors naming the table."""
    data: dict[str, Any] = {}
    if path is not None:
        p = Path(path)
        try:
            data = tomllib.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise FileNotFoundError(f"tokenizer config {p} does not exist") from None
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"{p}: invalid TOML: {exc}") from exc
    where = str(path or "<defaults>")
    unknown = set(data) - {"sample", "spm", "bpe", "report"}
    if unknown:
        raise ValueError(f"{where}: unknown table(s) {sorted(unknown)}; expected sample, spm, bpe, report")
    bpe_table = dict(data.get("bpe", {}))
    extra = bpe_table.pop("extra_added_tokens", [])
    bpe_table.setdefault("added_tokens", list(HTML_TOKENS + PUNCT_TOKENS))
    bpe_table["added_tokens"] = list(bpe_table["added_tokens"]) + list(extra)
    return TokenizerConfig(
        sample=_build(SampleOptions, data.get("sample", {}), f"{where} [sample]"),
        spm=_build(SpmOptions, data.get("spm", {}), f"{where} [spm]"),
        bpe=_build(BpeOptions, bpe_table, f"{where} [bpe]"),
        report=_build(ReportOptions, data.get("report", {}), f"{where} [report]"),
    )
