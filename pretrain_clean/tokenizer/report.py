"""Compression report: how many tokens each tokenizer spends on each evaluation set.

Bytes per token and characters per token are the measures YAYI 2 (Luo et al., 2023, table 2)
uses to compare tokenizers; tokens per 1,000 characters and the ratio of token counts to a
baseline tokenizer make the cost differences direct. Evaluation texts must be held out from
training: every evaluation document's text hash is checked against the ``sample_hashes.txt``
the trainer wrote next to each of our tokenizers. Documents found in a training sample are
left out of the evaluation for every tokenizer (so all are compared on the same texts) and
the report says how many; ``fail_on_overlap`` refuses the report instead.
"""
from __future__ import annotations

import csv
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Sequence

from pretrain_clean.errors import UsageError
from pretrain_clean.pipeline import storage
from pretrain_clean.pipeline.storage import staged_folder as staged_files
from pretrain_clean.tokenizer.load import TokenizerLike
from pretrain_clean.tokenizer.sample import HASHES_FILE, iter_documents, text_hash

COLUMNS = (
    "tokenizer", "eval_set", "vocab_size", "docs", "bytes", "characters", "tokens",
    "bytes_per_token", "chars_per_token", "tokens_per_1k_chars", "ratio_to_baseline", "roundtrip_failures",
)


@dataclass
class Row:
    """One tokenizer on one evaluation set."""

    tokenizer: str
    eval_set: str
    vocab_size: int
    docs: int
    bytes: int
    characters: int
    tokens: int
    bytes_per_token: float
    chars_per_token: float
    tokens_per_1k_chars: float
    ratio_to_baseline: float
    roundtrip_failures: int


def load_eval_sets(evals: dict[str, str | Path]) -> dict[str, list[str]]:
    """Read each evaluation set (any input format :mod:`tokenizer.sample` reads)."""
    out = {}
    for name, path in evals.items():
        texts = [t for _, t in iter_documents([path])]
        if not texts:
            raise ValueError(f"evaluation set {name}={path} has no documents")
        out[name] = texts
    return out


def training_hashes(tokenizer_path: str | Path) -> set[str] | None:
    """Hashes of the training sample of a tokenizer we trained, or None for foreign ones."""
    if storage.is_uri(str(tokenizer_path)):
        f = storage.local_copy(storage.join(storage.parent(str(tokenizer_path)), HASHES_FILE))
    else:
        p = Path(tokenizer_path)
        f = (p if p.is_dir() else p.parent) / HASHES_FILE
    if not f.exists():
        return None
    return set(f.read_text(encoding="utf-8").split())


def check_held_out(evals: dict[str, list[str]], train_hashes: dict[str, set[str]]) -> list[str]:
    """Messages naming each (tokenizer, eval set) whose evaluation documents were trained on."""
    problems = []
    for tok, hashes in train_hashes.items():
        for name, texts in evals.items():
            overlap = sum(1 for t in texts if text_hash(t) in hashes)
            if overlap:
                problems.append(f"{overlap}/{len(texts)} documents of eval set {name!r} are in the training sample of {tok!r}")
    return problems


def held_out(evals: dict[str, list[str]],
             train_hashes: dict[str, set[str]]) -> tuple[dict[str, list[str]], dict[str, int]]:
    """The evaluation sets without documents found in any training sample, and how many each lost.

    >>> held_out({"en": ["a", "b"]}, {"ours": {text_hash("a")}})
    ({'en': ['b']}, {'en': 1})
    """
    seen = set().union(*train_hashes.values()) if train_hashes else set()
    kept = {name: [t for t in texts if text_hash(t) not in seen] for name, texts in evals.items()}
    return kept, {name: len(evals[name]) - len(kept[name]) for name in evals if len(kept[name]) < len(evals[name])}


def measure(tokenizers: Sequence[TokenizerLike], evals: dict[str, list[str]], baseline: str) -> list[Row]:
    """Encode every evaluation set with every tokenizer (batch APIs, all cores)."""
    names = [t.name for t in tokenizers]
    if baseline not in names:
        raise ValueError(f"baseline tokenizer {baseline!r} is not among the tokenizers {names}")
    counts: dict[tuple[str, str], tuple[int, int]] = {}
    for tok in tokenizers:
        for name, texts in evals.items():
            ids = tok.encode_batch(texts)
            failures = sum(1 for t, i in zip(texts, ids) if tok.decode(i) != t)
            counts[tok.name, name] = (sum(len(i) for i in ids), failures)
    rows = []
    for tok in tokenizers:
        for name, texts in evals.items():
            n_bytes = sum(len(t.encode("utf-8")) for t in texts)
            n_chars = sum(len(t) for t in texts)
            tokens, failures = counts[tok.name, name]
            base = counts[baseline, name][0]
            rows.append(Row(
                tokenizer=tok.name, eval_set=name, vocab_size=tok.vocab_size(), docs=len(texts),
                bytes=n_bytes, characters=n_chars, tokens=tokens,
                bytes_per_token=round(n_bytes / tokens, 4), chars_per_token=round(n_chars / tokens, 4),
                tokens_per_1k_chars=round(1000 * tokens / n_chars, 2), ratio_to_baseline=round(tokens / base, 4),
                roundtrip_failures=failures,
            ))
    return rows


def write_csv(rows: Sequence[Row], path: Path) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=COLUMNS)
        w.writeheader()
        for r in rows:
            w.writerow(asdict(r))


def _pivot(rows: Sequence[Row], field: str, fmt: str) -> list[str]:
    sets = list(dict.fromkeys(r.eval_set for r in rows))
    toks = list(dict.fromkeys(r.tokenizer for r in rows))
    cell = {(r.tokenizer, r.eval_set): getattr(r, field) for r in rows}
    lines = ["| tokenizer | vocab | " + " | ".join(sets) + " |", "|---|---:|" + "---:|" * len(sets)]
    vocab = {r.tokenizer: r.vocab_size for r in rows}
    for t in toks:
        lines.append(f"| {t} | {vocab[t]:,} | " + " | ".join(format(cell[t, s], fmt) for s in sets) + " |")
    return lines


def write_markdown(rows: Sequence[Row], baseline: str, notes: Sequence[str], path: Path) -> None:
    sets = {r.eval_set: r for r in rows}
    lines = ["# Tokenizer compression report", "",
             "Evaluation sets: " + ", ".join(f"{s} ({r.docs} docs, {r.bytes:,} bytes)" for s, r in sets.items()) + ".", "",
             "## Bytes per token (higher is better)", "", *_pivot(rows, "bytes_per_token", ".2f"), "",
             "## Characters per token", "", *_pivot(rows, "chars_per_token", ".2f"), "",
             "## Tokens per 1,000 characters", "", *_pivot(rows, "tokens_per_1k_chars", ".1f"), "",
             f"## Token count relative to `{baseline}` (lower is better)", "", *_pivot(rows, "ratio_to_baseline", ".3f"), ""]
    failures = [r for r in rows if r.roundtrip_failures]
    lines.append("Round trip decode(encode(x)) == x: " + (
        "exact on every document." if not failures else
        "; ".join(f"{r.tokenizer} failed on {r.roundtrip_failures} docs of {r.eval_set}" for r in failures) + "."))
    lines += ["", *notes, ""]
    path.write_text("\n".join(lines), encoding="utf-8")


def write_chart(rows: Sequence[Row], path: Path) -> None:
    """Grouped bar chart of bytes per token, one group per evaluation set."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sets = list(dict.fromkeys(r.eval_set for r in rows))
    toks = list(dict.fromkeys(r.tokenizer for r in rows))
    cell = {(r.tokenizer, r.eval_set): r.bytes_per_token for r in rows}
    width = 0.8 / len(toks)
    fig, ax = plt.subplots(figsize=(max(6, 1.6 * len(sets) + 2), 4))
    for k, t in enumerate(toks):
        xs = [i + (k - (len(toks) - 1) / 2) * width for i in range(len(sets))]
        ax.bar(xs, [cell[t, s] for s in sets], width, label=t)
    ax.set_xticks(range(len(sets)), sets)
    ax.set_ylabel("UTF-8 bytes per token (higher = better compression)")
    ax.set_title("Tokenizer compression by evaluation set")
    ax.legend(fontsize=8, ncols=min(3, len(toks)))
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def run_report(
    tokenizers: dict[str, str | Path],
    evals: dict[str, str | Path],
    out_dir: str | Path,
    baseline: str | None = None,
    fail_on_overlap: bool = False,
) -> list[Row]:
    """Load tokenizers and eval sets, hold out trained-on documents, write report.md/.csv/.png."""
    from pretrain_clean.tokenizer.load import load_tokenizer

    if not tokenizers or not evals:
        raise UsageError("the report needs at least one tokenizer and one evaluation set")
    loaded = [load_tokenizer(path, name) for name, path in tokenizers.items()]
    texts = load_eval_sets(evals)
    trained = {n: h for n, p in tokenizers.items() if (h := training_hashes(p)) is not None}
    problems = check_held_out(texts, trained)
    if problems and fail_on_overlap:
        raise UsageError("evaluation texts are not held out: " + "; ".join(problems))
    texts, excluded = held_out(texts, trained)
    emptied = [name for name, t in texts.items() if not t]
    if emptied:
        raise UsageError(f"every document of eval set(s) {', '.join(emptied)} is in a training sample; "
                         "evaluate on held-out text")
    baseline = baseline or loaded[0].name
    rows = measure(loaded, texts, baseline)
    notes = [f"Held-out check: evaluation documents hashed against the training samples of "
             f"{', '.join(sorted(trained)) or 'no tokenizer (none of ours)'}: "
             + ("no overlap." if not problems else "; ".join(problems) + ". Excluded from every tokenizer's "
                "evaluation: " + ", ".join(f"{n} documents of {s}" for s, n in excluded.items()) + ".")]
    with staged_files(out_dir) as out:
        write_csv(rows, out / "report.csv")
        write_markdown(rows, baseline, notes, out / "report.md")
        write_chart(rows, out / "report.png")
    return rows
