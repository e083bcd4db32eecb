"""Human-readable run reports: the retention funnel (markdown + PNG) and a summary table."""
from __future__ import annotations

from pathlib import Path

from pretrain_clean.pipeline.records import INPUT_STAGE
from pretrain_clean.pipeline.stats import Stats
from pretrain_clean.pipeline import storage


def funnel_rows(stats: Stats) -> list[tuple[str, int, int]]:
    """(step, documents left, bytes left) after reading and after each stage, in order."""
    read_removed = sum(n for r, n in stats.removed.items() if r.split(".", 1)[0] == INPUT_STAGE)
    readable_docs = stats.documents_in - stats.quarantined - read_removed  # "input.*": not text
    readable_bytes = stats.bytes_in - stats.bytes_quarantined
    rows = [("input", stats.documents_in, stats.bytes_in), ("readable", readable_docs, readable_bytes)]
    for name, stage in stats.stages.items():
        docs_left = stage.documents_in - stage.removed - stage.failed
        rows.append((name, docs_left, stage.bytes_out))
    return rows


def funnel_markdown(stats: Stats) -> str:
    rows = funnel_rows(stats)
    docs0, bytes0 = rows[0][1] or 1, rows[0][2] or 1
    lines = [
        "| step | documents left | % of input | bytes left | % of input bytes | removed here (top reasons) |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for name, docs, size in rows:
        reasons = sorted(
            ((r, n) for r, n in stats.removed.items() if r.split(".", 1)[0] == name), key=lambda x: -x[1]
        )[:3]
        why = ", ".join(f"{r.split('.', 1)[1]} {n:,}" for r, n in reasons)
        lines.append(f"| {name} | {docs:,} | {100 * docs / docs0:.1f}% | {size:,} | {100 * size / bytes0:.1f}% | {why} |")
    return "\n".join(lines) + "\n"


def write_funnel(stats: Stats, out_dir: str | Path) -> None:
    """Write ``funnel.md``, ``funnel.png`` (what is left after each step) and ``removals.md``."""
    flagged = "".join(f"| `{r}` | {n:,} |\n" for r, n in sorted(stats.flagged.items(), key=lambda x: (-x[1], x[0])))
    if flagged:
        flagged = ("\n## Flagged (reasons the config only annotates, `meta.flags`; the documents went on)\n\n"
                   "| reason | documents |\n|---|---:|\n" + flagged)
    storage.write_text(storage.join(str(out_dir), "funnel.md"),
                       "# Retention funnel\n\n" + funnel_markdown(stats) + flagged)
    storage.write_text(storage.join(str(out_dir), "removals.md"), removals_markdown(stats))
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = funnel_rows(stats)
    names = [r[0] for r in rows]
    docs_pct = [100 * r[1] / max(rows[0][1], 1) for r in rows]
    bytes_pct = [100 * r[2] / max(rows[0][2], 1) for r in rows]
    fig, ax = plt.subplots(figsize=(max(6, 0.9 * len(names)), 4))
    xs = range(len(names))
    ax.bar([x - 0.2 for x in xs], docs_pct, width=0.4, label="documents")
    ax.bar([x + 0.2 for x in xs], bytes_pct, width=0.4, label="bytes")
    ax.set_xticks(list(xs), names, rotation=35, ha="right")
    ax.set_ylabel("% of input left")
    ax.set_ylim(0, 105)
    ax.set_title("Retention after each step")
    ax.legend()
    fig.tight_layout()
    with storage.open_output(storage.join(str(out_dir), "funnel.png")) as fh:
        fig.savefig(fh, dpi=110, format="png")
    plt.close(fig)


def removals_markdown(stats: Stats) -> str:
    """Per-reason removal counts with example documents, for tuning thresholds."""
    lines = ["# Removals by reason", "",
             "Every document a stage removed, by `stage.reason`, with up to three examples "
             "(all of them are in `rejected/`).", "",
             "| reason | documents | examples (id: first 200 characters) |", "|---|---:|---|"]
    for reason, count in sorted(stats.removed.items(), key=lambda item: (-item[1], item[0])):
        shown = "<br>".join(
            f"`{e['id']}`: " + " ".join(e["text"].split()).replace("|", "\\|") for e in stats.examples.get(reason, [])
        )
        lines.append(f"| `{reason}` | {count:,} | {shown} |")
    return "\n".join(lines) + "\n"


def summary_table(stats: Stats) -> str:
    """A short plain-text summary for the end of a run."""
    lines = [
        f"documents in   {stats.documents_in:>10,}   bytes in   {stats.bytes_in:>14,}",
        f"kept           {stats.kept:>10,}   bytes kept {stats.bytes_kept:>14,}",
        f"removed        {stats.removed_total:>10,}",
        f"quarantined    {stats.quarantined:>10,}",
        "",
        f"{'stage':<22}{'in':>10}{'removed':>10}{'seconds':>10}{'docs/s':>12}",
    ]
    for name, s in stats.stages.items():
        rate = s.documents_in / s.seconds if s.seconds else 0.0
        lines.append(f"{name:<22}{s.documents_in:>10,}{s.removed:>10,}{s.seconds:>10.2f}{rate:>12,.0f}")
    if stats.removed:
        lines += ["", "top removal reasons:"]
        for reason, count in stats.removed.most_common(8):
            lines.append(f"  {reason:<44}{count:>8,}")
    if stats.quarantine_errors:
        lines += ["", "quarantined by kind:"]
        for kind, count in stats.quarantine_errors.most_common():
            lines.append(f"  {kind:<44}{count:>8,}")
    return "\n".join(lines)
