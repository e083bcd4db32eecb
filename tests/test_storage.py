"""Inputs given as fsspec URIs (here the in-memory filesystem) read like local files."""
from __future__ import annotations

import gzip
import json
from pathlib import Path

import fsspec
import pyarrow.parquet as pq
import pytest

from conftest import ROOT
from pretrain_clean.paths import CONFIGS
from pretrain_clean.pipeline.clean import CleanOptions, clean
from pretrain_clean.pipeline.config import load_config
from pretrain_clean.pipeline.plan import UsageError, expand_inputs


@pytest.fixture()
def memory_corpus():
    fs = fsspec.filesystem("memory")
    fs.pipe("/corpus/a.jsonl", b'{"id": "a1", "text": "first document"}\n{"text": broken}\n')
    fs.pipe("/corpus/sub/b.jsonl.gz", gzip.compress(json.dumps({"text": "second document"}).encode() + b"\n"))
    fs.pipe("/corpus/notes.md", b"not an input format")  # (.txt is one since issue 10)
    yield "memory://corpus"
    fs.rm("/corpus", recursive=True)


def test_uris_expand_like_local_paths(memory_corpus: str) -> None:
    assert expand_inputs([memory_corpus]) == ["memory:///corpus/a.jsonl", "memory:///corpus/sub/b.jsonl.gz"]
    assert expand_inputs([f"{memory_corpus}/*.jsonl"]) == ["memory:///corpus/a.jsonl"]
    with pytest.raises(UsageError, match="input not found: memory://nowhere"):
        expand_inputs(["memory://nowhere"])


def test_clean_reads_uri_inputs(memory_corpus: str, tmp_path: Path) -> None:
    spec = load_config(CONFIGS / "minimal.toml")
    stats = clean(spec, [memory_corpus], str(tmp_path / "out"), CleanOptions(show_progress=False))
    assert (stats.documents_in, stats.kept, stats.quarantined) == (3, 2, 1)
    kept = []
    for part in sorted((tmp_path / "out" / "kept").glob("*.parquet")):
        kept += pq.read_table(part, columns=["id", "source"]).to_pylist()
    assert kept == [{"id": "a1", "source": "a.jsonl"}, {"id": "sub/b.jsonl.gz:1", "source": "sub/b.jsonl.gz"}]
