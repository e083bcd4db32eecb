"""Each per-group dedup decision (``dedup/decisions.py``) on both engines: the expected outcome,
and the same decision flipped (``!=`` -> ``==``, ``>=`` -> ``>``, ``rank > 1`` -> ``rank >= 1``)
changes both engines' outcome, which shows that neither engine decides on its own."""
from __future__ import annotations

from typing import Any

import pytest

from pretrain_clean.dedup import decisions
from pretrain_clean.dedup.config import DedupConfig
from tests.test_dedup_boundaries import run_engine

ENGINES = ["local", pytest.param("spark", marks=pytest.mark.slow)]
FLIPS = {
    "exact_duplicate": lambda doc, first: doc == first,
    "near_duplicate": lambda node, label: node == label,
    "unit_removed_threshold": lambda count, rank, min_repeats: (count > min_repeats) & (rank > 1),
    "unit_removed_first": lambda count, rank, min_repeats: (count >= min_repeats) & (rank >= 1),
}
WORDS = [f"word{i}" for i in range(300)]


def flip(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    monkeypatch.setattr(decisions, name.removesuffix("_threshold").removesuffix("_first"), FLIPS[name])


def outcome(kept: dict[str, Any], rejected: dict[str, Any]) -> dict[str, str]:
    out = {i: "kept" for i in kept}
    out.update({i: f"{r['stage']}.{r['reason']}" for i, r in rejected.items()})
    return out


@pytest.mark.parametrize("flipped", [False, True])
@pytest.mark.parametrize("engine", ENGINES)
def test_exact_duplicates_keep_the_first(engine: str, flipped: bool, request: pytest.FixtureRequest,
                                         tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    if flipped:
        flip(monkeypatch, "exact_duplicate")
    docs = [("a", "one page of text"), ("b", "another page"), ("a2", "one page of text")]
    cfg = DedupConfig(minhash=False, paragraph=False, min_chars_after=0)
    got = outcome(*run_engine(engine, request, tmp_path, docs, cfg))
    if flipped:  # every first of a group goes, the repeat stays
        assert got == {"a": "dedup_exact.duplicate", "b": "dedup_exact.duplicate", "a2": "kept"}
    else:
        assert got == {"a": "kept", "b": "kept", "a2": "dedup_exact.duplicate"}


@pytest.mark.parametrize("flipped", [False, True])
@pytest.mark.parametrize("engine", ENGINES)
def test_a_near_duplicate_cluster_keeps_its_first_document(engine: str, flipped: bool, request: pytest.FixtureRequest,
                                                           tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    if flipped:
        flip(monkeypatch, "near_duplicate")
    edited = [*WORDS[:150], "changed", *WORDS[151:]]
    docs = [("first", " ".join(WORDS)), ("alone", " ".join(w[::-1] for w in WORDS)), ("near", " ".join(edited))]
    cfg = DedupConfig(exact=False, paragraph=False, min_chars_after=0)
    got = outcome(*run_engine(engine, request, tmp_path, docs, cfg))
    if flipped:  # the label goes; the other member, and a document in no cluster, are kept
        assert got == {"first": "dedup_minhash.near_duplicate", "alone": "kept", "near": "kept"}
    else:
        assert got == {"first": "kept", "alone": "kept", "near": "dedup_minhash.near_duplicate"}


MENU = "Home | About us | Contact | Privacy policy"
FOOTER = "Copyright 2024 Example Company, all rights reserved."


@pytest.mark.parametrize("flip_name", [None, "unit_removed_threshold", "unit_removed_first"])
@pytest.mark.parametrize("engine", ENGINES)
def test_units_repeated_min_repeats_times_go_after_their_first(engine: str, flip_name: str | None,
                                                               request: pytest.FixtureRequest, tmp_path,  # noqa: ANN001
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """MENU occurs 3 times (exactly ``paragraph_min_repeats``), FOOTER twice (one under)."""
    if flip_name:
        flip(monkeypatch, flip_name)
    docs = [(f"d{i}", f"{MENU}\nThe body of page number {i} says something of its own.\n{FOOTER if i < 2 else ''}")
            for i in range(3)]
    cfg = DedupConfig(exact=False, minhash=False, paragraph_min_repeats=3, min_chars_after=0)
    kept, _ = run_engine(engine, request, tmp_path, docs, cfg)
    has_menu = {i: MENU in kept[i]["text"] for i in sorted(kept)}
    has_footer = {i: FOOTER in kept[i]["text"] for i in sorted(kept)}
    if flip_name == "unit_removed_threshold":  # at the threshold is no longer enough
        assert has_menu == {"d0": True, "d1": True, "d2": True}
    elif flip_name == "unit_removed_first":  # the first occurrence goes too
        assert has_menu == {"d0": False, "d1": False, "d2": False}
    else:
        assert has_menu == {"d0": True, "d1": False, "d2": False}
    assert has_footer == {"d0": True, "d1": True, "d2": False}  # twice, one under: stays everywhere
