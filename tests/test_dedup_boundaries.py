"""Dedup decisions exactly at their thresholds, on both engines (a flipped ``<`` fails here)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from pretrain_clean.dedup.config import DedupConfig
from pretrain_clean.dedup.decisions import too_short, verified_pairs
from pretrain_clean.dedup.local import run_dedup_local
from tests.test_dedup_local import write_parts

MENU = "Home | About us | Contact | Privacy policy"
MIN_CHARS = 20


def test_verified_pairs_at_the_threshold() -> None:
    a = np.arange(10, dtype=np.uint32).reshape(1, 10)
    b = a.copy()
    b[0, 8:] = 99  # 8 of 10 positions agree: estimate 0.8
    assert verified_pairs(a, b, 0.8).tolist() == [True]  # exactly at: a near-duplicate
    assert verified_pairs(a, b, 0.81).tolist() == [False]
    assert verified_pairs(a, b, 0.79).tolist() == [True]
    assert verified_pairs(np.vstack([a, a]), np.vstack([b, a]), 0.9).tolist() == [False, True]


@pytest.mark.parametrize("length,short", [(MIN_CHARS - 1, True), (MIN_CHARS, False), (MIN_CHARS + 1, False)])
def test_too_short_at_the_threshold(length: int, short: bool) -> None:
    assert too_short("x" * length, MIN_CHARS) is short


def run_engine(engine: str, request: pytest.FixtureRequest, tmp_path: Path, docs: list[tuple[str, str]],
               cfg: DedupConfig) -> tuple[dict, dict]:
    files = write_parts(tmp_path / "in", [docs])
    dirs = [str(tmp_path / engine / d) for d in ("kept", "rej", "work")]
    if engine == "local":
        run_dedup_local(cfg, files, *dirs)
    else:
        from pretrain_clean.dedup.spark import run_dedup_spark

        run_dedup_spark(request.getfixturevalue("spark").sparkContext, cfg, files, *dirs)
    read = lambda d: {r["id"]: r for f in sorted(Path(d).iterdir()) for r in pq.read_table(f).to_pylist()}  # noqa: E731
    return read(dirs[0]), read(dirs[1])


@pytest.mark.parametrize("engine", ["local", pytest.param("spark", marks=pytest.mark.slow)])
def test_shortened_documents_at_min_chars_after(engine: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """The menu line repeats, so it goes after its first document; what is left of each
    later document is one body line of 19, 20 or 21 characters."""
    bodies = {f"len{n}": "b" * (n - 1) + str(n % 10) for n in (MIN_CHARS - 1, MIN_CHARS, MIN_CHARS + 1)}
    docs = [("first", MENU + "\nThe first page keeps its menu line.")]
    docs += [(name, f"{MENU}\n{body}") for name, body in bodies.items()]
    cfg = DedupConfig(exact=False, minhash=False, min_chars_after=MIN_CHARS)
    kept, rejected = run_engine(engine, request, tmp_path, docs, cfg)
    assert sorted(kept) == ["first", "len20", "len21"]
    assert kept["len20"]["text"] == bodies["len20"] and kept["len21"]["text"] == bodies["len21"]
    assert (rejected["len19"]["stage"], rejected["len19"]["reason"]) == ("dedup_paragraph", "too_short_after_dedup")
    assert rejected["len19"]["text"] == docs[1][1]
