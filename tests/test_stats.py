"""Run statistics: they add, they round-trip through stats.json, and the accounting check
fails on both sides (a document lost, a document counted twice)."""
from __future__ import annotations

import json
from collections import Counter

import pytest

from pretrain_clean.pipeline.stats import EXAMPLE_CHARS, MAX_EXAMPLES, AccountingError, StageStats, Stats


def part(kept: int = 3, removed: int = 2, quarantined: int = 1) -> Stats:
    stats = Stats(documents_in=kept + removed + quarantined, bytes_in=100, kept=kept, bytes_kept=60,
                  quarantined=quarantined, bytes_quarantined=5, read_seconds=0.5, write_seconds=0.25, parts=1)
    stats.removed["gopher_quality.too_few_words"] = removed
    stats.quarantine_errors["malformed_json"] = quarantined
    record = stats.stage("gopher_quality")
    record.documents_in, record.removed, record.bytes_in, record.bytes_out = 5, removed, 90, 60
    return stats


def test_accounting_passes_when_every_document_is_accounted() -> None:
    part().check_accounting()
    Stats().check_accounting()


@pytest.mark.parametrize("field,delta", [("kept", -1), ("kept", 1), ("quarantined", -1), ("quarantined", 1),
                                         ("documents_in", 1), ("documents_in", -1)])
def test_accounting_fails_on_either_side(field: str, delta: int) -> None:
    stats = part()
    setattr(stats, field, getattr(stats, field) + delta)
    with pytest.raises(AccountingError) as error:
        stats.check_accounting("part-00003")
    accounted = stats.kept + stats.removed_total + stats.quarantined
    assert str(error.value) == (
        f"part-00003: {stats.documents_in} documents in but {stats.kept} kept + 2 removed + "
        f"{stats.quarantined} quarantined = {accounted}"
    )


@pytest.mark.parametrize("delta", [-1, 1])
def test_accounting_counts_removed_documents(delta: int) -> None:
    stats = part()
    stats.removed["c4_quality.too_few_sentences"] += delta
    with pytest.raises(AccountingError, match=r"^run: "):
        stats.check_accounting()


def test_removed_total_sums_every_reason() -> None:
    stats = Stats()
    assert stats.removed_total == 0
    stats.removed.update({"a.x": 2, "b.y": 3})
    assert stats.removed_total == 5


def test_stats_add_field_by_field() -> None:
    a, b = part(3, 2, 1), part(4, 5, 2)
    b.stage("c4_quality").removed = 7
    total = a + b
    assert (total.documents_in, total.kept, total.quarantined, total.removed_total) == (17, 7, 3, 7)
    assert (total.bytes_in, total.bytes_kept, total.bytes_quarantined) == (200, 120, 10)
    assert (total.read_seconds, total.write_seconds, total.parts) == (1.0, 0.5, 2)
    assert total.removed == Counter({"gopher_quality.too_few_words": 7})
    assert total.quarantine_errors == Counter({"malformed_json": 3})
    assert list(total.stages) == ["gopher_quality", "c4_quality"]
    assert total.stages["gopher_quality"] == StageStats(10, 180, 7, 0, 120, 0, 0.0)
    assert total.stages["c4_quality"].removed == 7
    total.check_accounting()
    # adding never changes the operands
    assert a.stages["gopher_quality"].documents_in == 5 and a.kept == 3


def test_stage_stats_add_every_field() -> None:
    one = StageStats(1, 2, 3, 4, 5, 6, 0.5)
    assert one + StageStats(10, 20, 30, 40, 50, 60, 1.5) == StageStats(11, 22, 33, 44, 55, 66, 2.0)


def test_stage_is_created_once_in_order_of_first_use() -> None:
    stats = Stats()
    first = stats.stage("b")
    stats.stage("a")
    assert stats.stage("b") is first
    assert list(stats.stages) == ["b", "a"]


@pytest.mark.parametrize("given", [MAX_EXAMPLES - 1, MAX_EXAMPLES, MAX_EXAMPLES + 1])
def test_examples_keep_the_first_three_per_reason(given: int) -> None:
    stats = Stats()
    for i in range(given):
        stats.add_example("x.y", f"d{i}", "t" * (EXAMPLE_CHARS + 1))
    found = stats.examples["x.y"]
    assert [e["id"] for e in found] == [f"d{i}" for i in range(min(given, MAX_EXAMPLES))]
    assert all(len(e["text"]) == EXAMPLE_CHARS for e in found)
    assert MAX_EXAMPLES == 3 and EXAMPLE_CHARS == 200


def test_examples_add_up_to_three_across_parts() -> None:
    a, b = Stats(), Stats()
    for i in range(2):
        a.add_example("x.y", f"a{i}")
        b.add_example("x.y", f"b{i}")
    b.add_example("z.w", "b-only")
    assert b.examples["z.w"] == [{"id": "b-only", "text": ""}]
    total = a + b
    assert [e["id"] for e in total.examples["x.y"]] == ["a0", "a1", "b0"]
    assert [e["id"] for e in total.examples["z.w"]] == ["b-only"]
    assert [e["id"] for e in a.examples["x.y"]] == ["a0", "a1"]  # operand untouched
    assert a.add_example("x.y", "a2") is None and len(a.examples["x.y"]) == 3


def test_stats_json_round_trip_and_stable_keys() -> None:
    stats = part()
    stats.removed["a_first.reason"] = 0
    stats.add_example("gopher_quality.too_few_words", "d1", "short")
    stats.stage("gopher_quality").seconds = 0.1234567891
    stats.read_seconds, stats.write_seconds = 1.23456789, 2.25000049
    data = json.loads(stats.to_json())
    stable = ["documents_in", "bytes_in", "kept", "bytes_kept", "removed", "removed_total", "quarantined",
              "bytes_quarantined", "quarantine_errors", "stages", "examples", "read_seconds", "write_seconds", "parts"]
    assert [key for key in data if key in stable] == stable  # new keys may join, these stay in order
    assert list(data["removed"]) == ["a_first.reason", "gopher_quality.too_few_words"]
    assert data["removed_total"] == 2
    assert data["stages"]["gopher_quality"] == {"documents_in": 5, "bytes_in": 90, "removed": 2, "bytes_removed": 0,
                                                "bytes_out": 60, "failed": 0, "seconds": 0.123457}
    assert (data["read_seconds"], data["write_seconds"]) == (1.234568, 2.25)
    back = Stats.from_json(stats.to_json())
    assert back.to_dict() == stats.to_dict()
    assert (back.read_seconds, back.write_seconds, back.parts) == (1.234568, 2.25, 1)
    assert back.examples == {"gopher_quality.too_few_words": [{"id": "d1", "text": "short"}]}
    assert stats.to_json().startswith('{\n  "documents_in": 6')


def test_stats_json_keeps_non_ascii_reasons_readable() -> None:
    stats = Stats()
    stats.add_example("chinese_quality.too_few_chars", "d", "短文本")
    assert "短文本" in stats.to_json()


def test_from_dict_accepts_the_older_files_without_optional_keys() -> None:
    data = part().to_dict()
    for key in ("quarantine_errors", "examples", "read_seconds", "write_seconds", "parts", "stages"):
        del data[key]
    back = Stats.from_dict(data)
    assert (back.quarantine_errors, back.examples, back.stages) == (Counter(), {}, {})
    assert (back.read_seconds, back.write_seconds, back.parts) == (0.0, 0.0, 0)
    assert back.kept == 3 and back.removed_total == 2


def with_newer_fields(stats: Stats, seconds: dict[str, float], flagged: int, duplicates: int) -> Stats:
    """``stats`` with the fields stats.json gained later: dedup pass times, flags, duplicate ids."""
    stats.dedup_seconds = dict(seconds)
    stats.flagged["toxicity.toxic_words"] = flagged
    stats.duplicate_ids = duplicates
    return stats


def test_newer_fields_add_up() -> None:
    a = with_newer_fields(part(), {"exact": 1.5, "write": 0.25}, 2, 1)
    b = with_newer_fields(part(), {"exact": 0.5, "minhash": 2.0}, 3, 4)
    b.flagged["pii_mask.found"] = 1
    total = a + b
    assert total.dedup_seconds == {"exact": 2.0, "write": 0.25, "minhash": 2.0}
    assert total.flagged == Counter({"toxicity.toxic_words": 5, "pii_mask.found": 1})
    assert total.duplicate_ids == 5
    assert (a.dedup_seconds, a.duplicate_ids) == ({"exact": 1.5, "write": 0.25}, 1)  # operands unchanged


def test_newer_fields_round_trip_through_stats_json() -> None:
    stats = with_newer_fields(part(), {"read_and_hash": 1.23456789, "exact": 0.5}, 2, 3)
    data = json.loads(stats.to_json())
    assert data["dedup_seconds"] == {"read_and_hash": 1.234568, "exact": 0.5}
    assert data["flagged"] == {"toxicity.toxic_words": 2}
    assert data["duplicate_ids"] == 3
    back = Stats.from_json(stats.to_json())
    assert back.dedup_seconds == {"read_and_hash": 1.234568, "exact": 0.5}
    assert back.flagged == Counter({"toxicity.toxic_words": 2}) and isinstance(back.flagged, Counter)
    assert back.duplicate_ids == 3
    back.flagged["toxicity.toxic_words"] += 1  # a Counter that keeps counting
    assert back.flagged["toxicity.toxic_words"] == 3


def test_from_dict_accepts_files_written_before_the_newer_fields() -> None:
    data = part().to_dict()
    for key in ("dedup_seconds", "flagged", "duplicate_ids"):
        del data[key]
    back = Stats.from_dict(data)
    assert (back.dedup_seconds, back.flagged, back.duplicate_ids) == ({}, Counter(), 0)
    back.flagged["x.y"] += 1  # still a Counter
    assert back.flagged == Counter({"x.y": 1})


def test_bytes_skipped_adds_round_trips_and_defaults_to_zero() -> None:
    a, b = part(), part()
    a.bytes_skipped, b.bytes_skipped = 40, 2
    assert (a + b).bytes_skipped == 42 and a.bytes_skipped == 40
    data = json.loads(a.to_json())
    assert data["bytes_skipped"] == 40
    assert Stats.from_json(a.to_json()).bytes_skipped == 40
    del data["bytes_skipped"]  # a part marker written before the field
    assert Stats.from_dict(data).bytes_skipped == 0


def test_summary_and_funnel_show_the_bytes_skipped_while_reading() -> None:
    from pretrain_clean.pipeline.report import funnel_rows, summary_table

    stats = part()  # 6 in, 100 bytes in, 1 quarantined (5 bytes)
    stats.documents_in += 2
    stats.removed["input.http_error_page"] = 2
    stats.bytes_in += 30
    stats.bytes_skipped = 30
    assert funnel_rows(stats)[:2] == [("input", 8, 130), ("readable", 5, 95)]
    lines = summary_table(stats).splitlines()
    assert lines[3] == "  while reading         2   bytes                  30"
    assert lines[4] == "quarantined             1   bytes                   5"
