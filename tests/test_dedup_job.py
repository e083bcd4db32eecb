"""jobs/dedup.py runs dedup alone on an already cleaned corpus."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq

from conftest import ROOT, write_jsonl
from pretrain_clean.paths import CONFIGS
from pretrain_clean.pipeline.clean import CleanOptions, clean
from pretrain_clean.pipeline.config import load_config


def test_dedup_job_on_a_cleaned_corpus(tmp_path: Path) -> None:
    text = "A long enough paragraph about rivers, valleys and the towns along their banks. " * 3
    write_jsonl(tmp_path / "in" / "a.jsonl", [{"id": "a", "text": text}, {"id": "b", "text": text},
                                              {"id": "c", "text": "Something else entirely, " * 10}])
    clean(load_config(CONFIGS / "minimal.toml"), [str(tmp_path / "in")], str(tmp_path / "clean"),
          CleanOptions(show_progress=False))
    result = subprocess.run(
        [sys.executable, str(ROOT / "jobs" / "dedup.py"), "--config", str(CONFIGS / "default.toml"),
         "--input", str(tmp_path / "clean" / "kept"), "--output", str(tmp_path / "dedup")],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    kept = [r["id"] for p in sorted((tmp_path / "dedup" / "kept").glob("*.parquet"))
            for r in pq.read_table(p, columns=["id"]).to_pylist()]
    rejected = [(r["id"], r["stage"], r["reason"]) for p in sorted((tmp_path / "dedup" / "rejected").glob("*.parquet"))
                for r in pq.read_table(p, columns=["id", "stage", "reason"]).to_pylist()]
    assert kept == ["a", "c"]
    assert rejected == [("b", "dedup_exact", "duplicate")]
    assert (tmp_path / "dedup" / "dedup_report.md").exists()
