"""Load and validate a tokenizer config (the bundled one: ``tokenizer``); paths resolve against its folder."""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from pretrain_clean.errors import ConfigError
from pretrain_clean.paths import config_file, resolve_path
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


def _build(cls: type, table: dict[str, Any], where: str) -> Any:
    known = {f.name: f for f in fields(cls)}
    kwargs = {}
    for key, value in table.items():
        if key not in known:
            raise ConfigError(f"{where}: unknown key {key!r}; expected one of {sorted(known)}")
        kwargs[key] = tuple(value) if isinstance(value, list) else value
    return cls(**kwargs)


def load_config(path: str | Path | None) -> TokenizerConfig:
    """Read the TOML file at ``path`` (defaults when None); unknown keys are errors naming the table."""
    data: dict[str, Any] = {}
    base_dir: Path | None = None
    if path is not None:
        p = config_file(path)
        base_dir = p.resolve().parent
        try:
            data = tomllib.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"tokenizer config {p} does not exist") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{p}: invalid TOML: {exc}") from exc
    where = str(path or "<defaults>")
    unknown = set(data) - {"sample", "spm", "bpe", "report"}
    if unknown:
        raise ConfigError(f"{where}: unknown table(s) {sorted(unknown)}; expected sample, spm, bpe, report")
    bpe_table = dict(data.get("bpe", {}))
    extra = bpe_table.pop("extra_added_tokens", [])
    bpe_table.setdefault("added_tokens", list(HTML_TOKENS + PUNCT_TOKENS))
    bpe_table["added_tokens"] = list(bpe_table["added_tokens"]) + list(extra)
    sample = _build(SampleOptions, data.get("sample", {}), f"{where} [sample]")
    sample.exclude = tuple(resolve_path(p, base_dir) for p in sample.exclude)
    report = _build(ReportOptions, data.get("report", {}), f"{where} [report]")
    report.tokenizers = {k: resolve_path(v, base_dir) for k, v in report.tokenizers.items()}
    report.evals = {k: resolve_path(v, base_dir) for k, v in report.evals.items()}
    return TokenizerConfig(
        sample=sample,
        spm=_build(SpmOptions, data.get("spm", {}), f"{where} [spm]"),
        bpe=_build(BpeOptions, bpe_table, f"{where} [bpe]"),
        report=report,
    )
