"""Decision report: run a config's cascade over the labelled keep/drop set and score each reason.

For every ``stage.reason`` it counts the documents removed (or only flagged, for reasons the
config annotates) and the **precision** of those removals: removed and labelled ``drop`` /
removed. Per language it gives the **retention** of keep-labelled documents (kept / labelled
keep) and the **recall** of drop-labelled ones (removed / labelled drop). Two passes:

* ``configured``: the config as it is (what a user's run would do);
* ``alone``: every reason only flags, so every stage sees every document; a reason's figures
  are then what it would remove on its own (a stage still names only its first failing rule).

The labelled set is ``bundled:labelled/docs.jsonl.gz`` (see its README). Corpus-wide dedup is
not part of the cascade and is not evaluated here (``dedup`` has its own report).
"""
from __future__ import annotations

import csv
import gzip
import io
import json
import math
import pickle
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from pretrain_clean.filters.model_card import read_card
from pretrain_clean.paths import resolve_path
from pretrain_clean.pipeline.cascade import Cascade
from pretrain_clean.pipeline.config import RunSpec, setup_stages
from pretrain_clean.pipeline.document import Document
from pretrain_clean.pipeline.stage import ALL_REASONS, Stage
from pretrain_clean.pipeline.stats import Stats

LABELLED = "bundled:labelled/docs.jsonl.gz"
LABELS = ("keep", "drop")
MIN_PRECISION = 0.9
"""A reason may drop by default only with at least this precision on the labelled set (issue 15)."""
MIN_RETENTION = 0.9
"""The default config must keep at least this share of keep-labelled documents per language."""
DOC_BEGIN, DOC_END = "<!-- evaluate:begin -->", "<!-- evaluate:end -->"


@dataclass
class Labelled:
    """One hand-labelled document."""

    id: str
    label: str
    lang: str
    text: str
    kind: str = ""
    note: str = ""
    source: str = ""


@dataclass
class Decision:
    """What the cascade did with one labelled document."""

    doc: Labelled
    stage: str | None
    reason: str | None
    flags: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def removed(self) -> bool:
        return self.stage is not None


def load_labelled(path: str = LABELLED) -> list[Labelled]:
    """The labelled documents of a ``.jsonl[.gz]`` file; raises naming a bad line."""
    p = Path(resolve_path(path))
    opener = gzip.open if p.suffix == ".gz" else open
    docs = []
    with opener(p, "rt", encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                doc = Labelled(**{k: row[k] for k in ("id", "label", "lang", "text")},
                               **{k: row.get(k, "") for k in ("kind", "note", "source")})
            except (ValueError, KeyError) as exc:
                raise ValueError(f"{p}:{number}: not a labelled document ({exc!r})") from exc
            if doc.label not in LABELS:
                raise ValueError(f"{p}:{number}: label must be keep or drop, got {doc.label!r}")
            docs.append(doc)
    return docs


def decide(spec: RunSpec, docs: list[Labelled], alone: bool = False) -> list[Decision]:
    """Run the cascade of ``spec`` over ``docs`` (``alone``: every reason only flags, and
    demo-sized models score as if allowed to drop)."""
    stages = pickle.loads(pickle.dumps(spec.stages))  # fresh copies: fields only, models load below
    if alone:
        for stage in stages:
            stage.annotate = frozenset({ALL_REASONS})
            if hasattr(stage, "drop_with_demo_model"):
                stage.drop_with_demo_model = True  # nothing is removed in this pass anyway
    setup_stages(stages)
    cascade = Cascade(stages)
    decisions: list[Decision] = []
    size = max(1, spec.run.batch_size)
    for start in range(0, len(docs), size):
        batch = docs[start:start + size]
        outcomes = cascade.run([Document(d.id, d.text, d.source) for d in batch], Stats())
        decisions += [Decision(d, o.stage, o.reason, list(o.doc.meta.get("flags", [])), o.error)
                      for d, o in zip(batch, outcomes)]
    return decisions


@dataclass
class ReasonRow:
    """Figures of one ``stage.reason``."""

    key: str
    action: str
    """``drop`` (removes) or ``flag`` (annotates only)."""
    count: int = 0
    drop_labelled: int = 0
    by_lang: Counter = field(default_factory=Counter)

    @property
    def precision(self) -> float:
        return self.drop_labelled / self.count if self.count else 0.0

    @property
    def precision_low(self) -> float:
        """Lower end of the 95% Wilson interval of :attr:`precision` (small counts are uncertain)."""
        return wilson_low(self.drop_labelled, self.count)


def wilson_low(successes: int, n: int, z: float = 1.96) -> float:
    """Lower bound of the Wilson score interval (Wilson, 1927) for ``successes`` of ``n``.

    >>> round(wilson_low(1, 1), 2), round(wilson_low(9, 10), 2), round(wilson_low(90, 100), 2)
    (0.21, 0.6, 0.83)
    >>> wilson_low(0, 0)
    0.0
    """
    if n == 0:
        return 0.0
    p = successes / n
    centre = p + z * z / (2 * n)
    margin = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, (centre - margin) / (1 + z * z / n))


def reason_rows(decisions: list[Decision], order: list[str] | None = None) -> list[ReasonRow]:
    """One row per reason that fired, by stage in ``order`` (cascade order), then reason."""
    rows: dict[str, ReasonRow] = {}
    for d in decisions:
        hits = [(f, "flag") for f in d.flags]
        if d.removed and d.error is None:
            hits.append((f"{d.stage}.{d.reason}", "drop"))
        for key, action in hits:
            row = rows.setdefault(key, ReasonRow(key, action))
            row.count += 1
            row.drop_labelled += d.doc.label == "drop"
            row.by_lang[d.doc.lang] += 1
    rank = {name: i for i, name in enumerate(order or [])}
    return sorted(rows.values(), key=lambda r: (rank.get(r.key.partition(".")[0], len(rank)), r.key))


@dataclass
class LanguageRow:
    """Retention of keep-labelled and recall of drop-labelled documents in one language."""

    lang: str
    keep: int = 0
    keep_kept: int = 0
    drop: int = 0
    drop_removed: int = 0

    @property
    def retention(self) -> float:
        return self.keep_kept / self.keep if self.keep else 1.0

    @property
    def recall(self) -> float:
        return self.drop_removed / self.drop if self.drop else 0.0


def language_rows(decisions: list[Decision]) -> list[LanguageRow]:
    """Per label language (sorted), then ``all``."""
    rows: dict[str, LanguageRow] = {}
    for d in decisions:
        for lang in (d.doc.lang, "all"):
            row = rows.setdefault(lang, LanguageRow(lang))
            if d.doc.label == "keep":
                row.keep += 1
                row.keep_kept += not d.removed
            else:
                row.drop += 1
                row.drop_removed += d.removed
    return [rows[k] for k in sorted(rows, key=lambda k: (k == "all", k))]


def problems(decisions: list[Decision], min_precision: float = MIN_PRECISION,
             min_retention: float = MIN_RETENTION) -> list[str]:
    """Dropping reasons under ``min_precision`` and languages under ``min_retention``."""
    found = [f"{r.key} drops with precision {r.precision:.2f} < {min_precision} ({r.drop_labelled}/{r.count})"
             for r in reason_rows(decisions) if r.action == "drop" and r.precision < min_precision]
    found += [f"{r.lang}: keep-labelled retention {r.retention:.2f} < {min_retention} ({r.keep_kept}/{r.keep})"
              for r in language_rows(decisions) if r.lang != "all" and r.keep and r.retention < min_retention]
    found += [f"{d.doc.id}: {d.error}" for d in decisions if d.error]
    return found


def _reason_table(rows: list[ReasonRow], langs: list[str], alone: bool) -> list[str]:
    head = "| reason | action | removed | labelled drop | precision (95% low) | " + " | ".join(langs) + " |"
    if alone:
        head = head.replace("| action | removed |", "| default | would remove |")
    out = [head, "|---|---|---:|---:|---:|" + "---:|" * len(langs)]
    for r in rows:
        out.append(f"| `{r.key}` | {r.action} | {r.count} | {r.drop_labelled} | {r.precision:.2f} ({r.precision_low:.2f}) | "
                   + " | ".join(str(r.by_lang.get(lang, 0)) for lang in langs) + " |")
    return out if rows else out + ["| (none) | | | | |" + " |" * len(langs)]


def _demo_model(stage: Stage) -> bool:
    """Whether ``stage`` scores with a demo-sized model and may not drop by it."""
    if getattr(stage, "drop_with_demo_model", True):
        return False
    paths = [getattr(stage, "model_path", None), *dict(getattr(stage, "models", {}) or {}).values()]
    return any(card.demo for p in paths if p and (card := read_card(p)) is not None)


def configured_action(spec: RunSpec, key: str, configured: list[ReasonRow]) -> str:
    """What the config does with ``stage.reason``: ``drop``/``flag`` as seen in the configured
    pass, else ``flag`` if the stage annotates it, ``score only`` if its model is demo-sized,
    else ``not reached`` (earlier stages removed the documents it would remove)."""
    for r in configured:
        if r.key == key:
            return r.action
    stage_name, _, reason = key.partition(".")
    for stage in spec.stages:
        if stage.name == stage_name:
            if stage.flags_only(reason):
                return "flag"
            if _demo_model(stage):
                return "score only (demo model)"
    return "not reached"


def markdown(spec: RunSpec, configured: list[Decision], alone: list[Decision], config_name: str) -> str:
    """The report: totals per language, reasons as configured, reasons alone."""
    langs = [r.lang for r in language_rows(configured) if r.lang != "all"]
    counts = Counter((d.doc.lang, d.doc.label) for d in configured)
    out = [f"Config `{config_name}` on the labelled set ({len(configured)} documents: "
           + ", ".join(f"{lang} {counts[lang, 'keep']} keep / {counts[lang, 'drop']} drop" for lang in langs)
           + "). Precision = removed and labelled drop / removed (in brackets: the lower end of its 95% "
           "Wilson interval, low when few documents were removed); retention = kept / labelled keep; "
           "recall = removed / labelled drop. Reproduce: `pretrain-clean evaluate --config "
           f"{config_name} --output out/evaluate`.", "",
           "| language | keep-labelled | kept (retention) | drop-labelled | removed (recall) |",
           "|---|---:|---:|---:|---:|"]
    for r in language_rows(configured):
        retention = f"{r.keep_kept} ({r.retention:.2f})" if r.keep else "-"
        recall = f"{r.drop_removed} ({r.recall:.2f})" if r.drop else "-"
        out.append(f"| {r.lang} | {r.keep} | {retention} | {r.drop} | {recall} |")
    order = [s.name for s in spec.stages]
    configured_rows = reason_rows(configured, order)
    out += ["", "Per reason, as configured (`flag`: the config only annotates it in `meta.flags`, and "
            "later stages still see the document):", "", *_reason_table(configured_rows, langs, False)]
    alone_rows = reason_rows(alone, order)
    for r in alone_rows:
        r.action = configured_action(spec, r.key, configured_rows)
    out += ["", "Each reason alone (every reason only flags, so every stage sees every document; scorers "
            "with a demo-sized model score as if allowed to drop; `default`: what the config does "
            "with the reason):", "", *_reason_table(alone_rows, langs, True)]
    return "\n".join(out) + "\n"


def reasons_csv(configured: list[Decision], alone: list[Decision]) -> str:
    """``pass,reason,action,count,drop_labelled,precision,<lang counts>``."""
    langs = sorted({d.doc.lang for d in configured})
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["pass", "reason", "action", "count", "drop_labelled", "precision", "precision_low95", *langs])
    for name, decisions in (("configured", configured), ("alone", alone)):
        for r in reason_rows(decisions):
            writer.writerow([name, r.key, r.action if name == "configured" else "flag", r.count,
                             r.drop_labelled, f"{r.precision:.4f}", f"{r.precision_low:.4f}",
                             *(r.by_lang.get(lang, 0) for lang in langs)])
    writer.writerow([])
    writer.writerow(["language", "keep", "keep_kept", "retention", "drop", "drop_removed", "recall"])
    for r in language_rows(configured):
        writer.writerow([r.lang, r.keep, r.keep_kept, f"{r.retention:.4f}", r.drop, r.drop_removed, f"{r.recall:.4f}"])
    return buf.getvalue()


def documents_csv(configured: list[Decision]) -> str:
    """One row per labelled document: its label and what the config did with it."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["id", "lang", "label", "kind", "outcome", "reason", "flags", "note"])
    for d in configured:
        outcome = "error" if d.error else ("removed" if d.removed else "kept")
        reason = d.error or (f"{d.stage}.{d.reason}" if d.removed else "")
        writer.writerow([d.doc.id, d.doc.lang, d.doc.label, d.doc.kind, outcome, reason, " ".join(d.flags), d.doc.note])
    return buf.getvalue()


def update_doc(path: str, report: str) -> None:
    """Replace the text between the evaluate markers of ``path`` with ``report``."""
    p = Path(path)
    text = p.read_text(encoding="utf-8")
    begin, end = text.find(DOC_BEGIN), text.find(DOC_END)
    if begin < 0 or end < begin:
        raise ValueError(f"{p}: no {DOC_BEGIN} ... {DOC_END} markers to write the table between")
    p.write_text(text[: begin + len(DOC_BEGIN)] + "\n" + report + text[end:], encoding="utf-8")
