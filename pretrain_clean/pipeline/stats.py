"""Run statistics that add up across parts, engines and dedup.

``Stats`` objects add with ``+`` (datatrove's idea), so per-part results reduce into
one ``stats.json``; :meth:`Stats.check_accounting` enforces
``documents_in == kept + removed + quarantined``.
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field, fields
from typing import Any

MAX_EXAMPLES = 3
EXAMPLE_CHARS = 200


class AccountingError(RuntimeError):
    """Documents went missing: in != kept + removed + quarantined."""


@dataclass
class StageStats:
    """What one stage saw and removed, and the time it took."""

    documents_in: int = 0
    bytes_in: int = 0
    removed: int = 0
    bytes_removed: int = 0
    bytes_out: int = 0
    failed: int = 0
    seconds: float = 0.0

    def __add__(self, other: "StageStats") -> "StageStats":
        return StageStats(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    def to_dict(self) -> dict[str, Any]:
        return {f.name: round(getattr(self, f.name), 6) if f.name == "seconds" else getattr(self, f.name)
                for f in fields(self)}


@dataclass
class Stats:
    """Counts for a part, a run, or a run plus dedup."""

    documents_in: int = 0
    bytes_in: int = 0
    kept: int = 0
    bytes_kept: int = 0
    quarantined: int = 0
    bytes_quarantined: int = 0
    removed: Counter = field(default_factory=Counter)
    quarantine_errors: Counter = field(default_factory=Counter)
    stages: dict[str, StageStats] = field(default_factory=dict)
    examples: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    """Reason -> up to three removed documents: ``{"id", "text"}`` (text cut to 200 chars)."""
    read_seconds: float = 0.0
    write_seconds: float = 0.0
    parts: int = 0
    dedup_seconds: dict[str, float] = field(default_factory=dict)
    """Dedup's passes (wall): ``read_and_hash``, ``exact``, ``minhash``, ``paragraph``, ``write``; on the local
    engine also CPU seconds per step summed over workers (``scan_*_cpu``, ``write_*_cpu``)."""
    flagged: Counter = field(default_factory=Counter)
    """``stage.reason`` -> kept documents flagged by a reason the config only annotates."""
    duplicate_ids: int = 0
    """Documents whose input ``id`` an earlier document already had (see :mod:`pipeline.ids`)."""
    bytes_skipped: int = 0
    """Raw bytes of the records removed while reading (stage ``input``: a WARC request, a PDF, a
    404 page), part of ``bytes_in`` as ``bytes_quarantined`` is; 0 in ``stats.json`` files older
    than the field."""
    bytes_stage_errors: int = 0
    """Text bytes of the documents a stage failed on (quarantined as ``stage_error``), part of
    ``bytes_quarantined``: they were read, so the funnel's readable row keeps them; 0 in
    ``stats.json`` files older than the field."""

    def stage(self, name: str) -> StageStats:
        """The stats of stage ``name``, created in order of first use."""
        if name not in self.stages:
            self.stages[name] = StageStats()
        return self.stages[name]

    def add_example(self, reason: str, doc_id: str, text: str = "") -> None:
        """Remember a removed document for the removals report (the first three per reason)."""
        found = self.examples.setdefault(reason, [])
        if len(found) < MAX_EXAMPLES:
            found.append({"id": doc_id, "text": text[:EXAMPLE_CHARS]})

    def __add__(self, other: "Stats") -> "Stats":
        stages = {name: StageStats() + s for name, s in self.stages.items()}
        for name, s in other.stages.items():
            stages[name] = stages.get(name, StageStats()) + s
        examples = {k: list(v) for k, v in self.examples.items()}
        for reason, ids in other.examples.items():
            merged = examples.setdefault(reason, [])
            merged.extend(ids[: MAX_EXAMPLES - len(merged)])
        return Stats(
            self.documents_in + other.documents_in,
            self.bytes_in + other.bytes_in,
            self.kept + other.kept,
            self.bytes_kept + other.bytes_kept,
            self.quarantined + other.quarantined,
            self.bytes_quarantined + other.bytes_quarantined,
            self.removed + other.removed,
            self.quarantine_errors + other.quarantine_errors,
            stages,
            examples,
            self.read_seconds + other.read_seconds,
            self.write_seconds + other.write_seconds,
            self.parts + other.parts,
            dict(Counter(self.dedup_seconds) + Counter(other.dedup_seconds)),
            self.flagged + other.flagged,
            self.duplicate_ids + other.duplicate_ids,
            self.bytes_skipped + other.bytes_skipped,
            self.bytes_stage_errors + other.bytes_stage_errors,
        )

    @property
    def removed_total(self) -> int:
        return sum(self.removed.values())

    def check_accounting(self, where: str = "run") -> None:
        """Raise :class:`AccountingError` unless every input is kept, removed or quarantined."""
        accounted = self.kept + self.removed_total + self.quarantined
        if accounted != self.documents_in:
            raise AccountingError(
                f"{where}: {self.documents_in} documents in but {self.kept} kept + "
                f"{self.removed_total} removed + {self.quarantined} quarantined = {accounted}"
            )

    def to_dict(self) -> dict[str, Any]:
        """The ``stats.json`` form (stable key names, reasons sorted)."""
        return {
            "documents_in": self.documents_in,
            "bytes_in": self.bytes_in,
            "kept": self.kept,
            "bytes_kept": self.bytes_kept,
            "removed": dict(sorted(self.removed.items())),
            "removed_total": self.removed_total,
            "quarantined": self.quarantined,
            "bytes_quarantined": self.bytes_quarantined,
            "bytes_skipped": self.bytes_skipped,
            "bytes_stage_errors": self.bytes_stage_errors,
            "quarantine_errors": dict(sorted(self.quarantine_errors.items())),
            "stages": {name: s.to_dict() for name, s in self.stages.items()},
            "examples": dict(sorted(self.examples.items())),
            "read_seconds": round(self.read_seconds, 6),
            "write_seconds": round(self.write_seconds, 6),
            "parts": self.parts,
            "dedup_seconds": {k: round(v, 6) for k, v in self.dedup_seconds.items()},
            "flagged": dict(sorted(self.flagged.items())),
            "duplicate_ids": self.duplicate_ids,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Stats":
        stages = {name: StageStats(**s) for name, s in data.get("stages", {}).items()}
        return cls(
            data["documents_in"], data["bytes_in"], data["kept"], data["bytes_kept"],
            data["quarantined"], data["bytes_quarantined"], Counter(data["removed"]),
            Counter(data.get("quarantine_errors", {})), stages,
            {k: list(v) for k, v in data.get("examples", {}).items()},
            data.get("read_seconds", 0.0), data.get("write_seconds", 0.0), data.get("parts", 0),
            dict(data.get("dedup_seconds", {})),
            Counter(data.get("flagged", {})),
            data.get("duplicate_ids", 0),
            data.get("bytes_skipped", 0),
            data.get("bytes_stage_errors", 0),
        )

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> "Stats":
        return cls.from_dict(json.loads(text))
