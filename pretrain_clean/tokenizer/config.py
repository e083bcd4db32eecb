"""Load and validate a tokenizer config (the bundled one: ``tokenizer``); paths resolve against its folder."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pretrain_clean.errors import ConfigError
from pretrain_clean.paths import resolve_path
from pretrain_clean.pipeline.config import build_dataclass, read_toml
from pretrain_clean.tokenizer.train_bpe import HTML_TOKENS, PUNCT_TOKENS, BpeOptions
from pretrain_clean.tokenizer.train_spm import SpmOptions


@dataclass
class SampleOptions:
    """How the training sample is drawn (see :mod:`tokenizer.sample`)."""

    max_bytes: int | None = 1_000_000_000
    seed: int = 0
    exclude: tuple[str, ...] = ("bundled:eval/*.jsonl",)


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


def load_config(path: str | Path | None) -> TokenizerConfig:
    """Read the TOML file at ``path`` (defaults when None); unknown keys are errors naming the table."""
    data: dict[str, Any] = {}
    base_dir: Path | str | None = None
    if path is not None:
        data, base_dir = read_toml(path)
    where = str(path or "<defaults>")
    unknown = set(data) - {"sample", "spm", "bpe", "report"}
    if unknown:
        raise ConfigError(f"{where}: unknown table(s) {sorted(unknown)}; expected sample, spm, bpe, report")
    bpe_table = dict(data.get("bpe", {}))
    extra = bpe_table.pop("extra_added_tokens", [])
    bpe_table.setdefault("added_tokens", list(HTML_TOKENS + PUNCT_TOKENS))
    bpe_table["added_tokens"] = list(bpe_table["added_tokens"]) + list(extra)
    sample = build_dataclass(SampleOptions, data.get("sample", {}), f"{where} [sample]", base_dir or ".")
    sample.exclude = tuple(resolve_path(p, base_dir) for p in sample.exclude)
    report = build_dataclass(ReportOptions, data.get("report", {}), f"{where} [report]", base_dir or ".")
    report.tokenizers = {k: resolve_path(v, base_dir) for k, v in report.tokenizers.items()}
    report.evals = {k: resolve_path(v, base_dir) for k, v in report.evals.items()}
    return TokenizerConfig(
        sample=sample,
        spm=build_dataclass(SpmOptions, data.get("spm", {}), f"{where} [spm]", base_dir or "."),
        bpe=build_dataclass(BpeOptions, bpe_table, f"{where} [bpe]", base_dir or "."),
        report=report,
    )
