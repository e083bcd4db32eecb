"""What a dedup run did: counts per level, a cluster-size histogram, example clusters."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from pretrain_clean.pipeline import storage

STATUS_KEPT, STATUS_EXACT, STATUS_NEAR, STATUS_SHORT = 0, 1, 2, 3
REASONS = {
    STATUS_EXACT: ("dedup_exact", "duplicate"),
    STATUS_NEAR: ("dedup_minhash", "near_duplicate"),
    STATUS_SHORT: ("dedup_paragraph", "too_short_after_dedup"),
}
"""Document status -> (stage, reason) written to the rejected parquet."""

EXAMPLE_CLUSTERS = 3
EXAMPLE_MEMBERS = 5
"""The report's example clusters: the largest few, their first members (both engines)."""


def output_names(input_files: list[str]) -> list[tuple[str, str]]:
    """``(kept name, rejected name)`` per input part: ``part-NNNNN.parquet`` keeps its
    name; the rejected part is ``dedup-NNNNN.parquet``.

    >>> output_names(["/x/part-00003.parquet", "/y/other.parquet"])
    [('part-00003.parquet', 'dedup-00003.parquet'), ('other.parquet', 'dedup-other.parquet')]
    """
    names = []
    for path in input_files:
        name = Path(path).name
        suffix = name[len("part-") :] if name.startswith("part-") else name
        names.append((name, f"dedup-{suffix}"))
    if len({n for n, _ in names}) != len(names):
        raise ValueError("input_files: two inputs share a file name; their outputs would collide")
    return names


@dataclass
class DedupResult:
    """Totals of one dedup run; ``removed`` maps ``"stage.reason"`` to a count."""

    documents_in: int = 0
    kept: int = 0
    removed: dict[str, int] = field(default_factory=dict)
    bytes_in: int = 0
    bytes_kept: int = 0
    units_removed: int = 0
    """Paragraphs/sentences removed from kept documents."""
    seconds: dict[str, float] = field(default_factory=dict)
    report: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def size_histogram(sizes: np.ndarray) -> dict[str, int]:
    """Cluster sizes (>= 2) binned: 2, 3, 4, 5-9, 10-99, 100+.

    >>> size_histogram(np.array([1, 2, 2, 7, 150]))
    {'2': 2, '5-9': 1, '100+': 1}
    """
    bins = [(2, 2, "2"), (3, 3, "3"), (4, 4, "4"), (5, 9, "5-9"), (10, 99, "10-99"), (100, None, "100+")]
    out = {}
    for lo, hi, name in bins:
        count = int(((sizes >= lo) & (sizes <= (hi if hi is not None else np.inf))).sum())
        if count:
            out[name] = count
    return out


def write_report(result: DedupResult, work_dir: str) -> tuple[str, str]:
    """Write ``dedup_report.json`` and ``.md`` next to ``work_dir`` (a path or a URI; each
    written, then published)."""
    base = storage.parent(storage.absolute(work_dir))
    json_path, md_path = storage.join(base, "dedup_report.json"), storage.join(base, "dedup_report.md")
    storage.write_text(json_path, json.dumps(result.to_json(), indent=2, ensure_ascii=False))
    storage.write_text(md_path, markdown(result))
    return json_path, md_path


def markdown(result: DedupResult) -> str:
    """A human-readable summary of ``result``."""
    lines = [
        "# Dedup report",
        "",
        f"- documents in: {result.documents_in:,}; kept: {result.kept:,}",
        f"- bytes in: {result.bytes_in:,}; bytes kept: {result.bytes_kept:,}",
        f"- paragraphs/sentences removed from kept documents: {result.units_removed:,}",
        "",
        "| removed (stage.reason) | documents |",
        "|---|---:|",
    ]
    lines += [f"| {k} | {v:,} |" for k, v in sorted(result.removed.items())]
    lines += ["", "| step | seconds |", "|---|---:|"]
    lines += [f"| {k} | {v:.2f} |" for k, v in result.seconds.items()]
    hist = result.report.get("cluster_sizes", {})
    lines += ["", "## Near-duplicate cluster sizes", "", "| size | clusters |", "|---|---:|"]
    lines += [f"| {k} | {v:,} |" for k, v in hist.items()]
    for cluster in result.report.get("example_clusters", []):
        lines += ["", f"### Cluster of {cluster['size']} (kept: `{cluster['kept']}`)", ""]
        lines += [f"- `{m['id']}`: {m['text']!r}" for m in cluster["members"]]
    params = result.report.get("params")
    if params:
        lines += ["", f"LSH parameters: {json.dumps(params)}"]
    return "\n".join(lines) + "\n"
