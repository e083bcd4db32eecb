"""A deterministic, streaming text sample for tokenizer training.

Inputs are cleaned-corpus directories (``DIR/kept/*.parquet``), parquet files (column
``text``), JSON lines (``.jsonl``/``.json``, optionally ``.gz``/``.zst``, field ``text``) or
plain ``.txt`` files (one document per non-empty line). The sample is drawn in two streaming
passes: the first counts the bytes, the second keeps each document with probability
``max_bytes / total`` decided by a seeded hash of its position, so the same inputs and seed
always give the same sample and memory never holds more than one record batch.
Documents whose text hash is in ``exclude`` (the evaluation sets) are never sampled.
"""
from __future__ import annotations

import gzip
import hashlib
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

import orjson

from pretrain_clean.errors import UsageError
from pretrain_clean.pipeline import plan, storage
from pretrain_clean.tokenizer.text_hashes import text_hash  # noqa: F401 - re-exported for callers

JSON_SUFFIXES = (".jsonl", ".json", ".jsonl.gz", ".json.gz", ".jsonl.zst", ".json.zst")
SUFFIXES = JSON_SUFFIXES + (".parquet", ".txt", ".txt.gz")
SAMPLE_FILE = "sample.jsonl"
HASHES_FILE = "sample_hashes.txt"


def _unit(seed: int, key: str) -> float:
    """Uniform number in [0, 1) from ``seed`` and ``key``."""
    digest = hashlib.blake2b(f"{seed}\x00{key}".encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2.0**64


def _wanted(name: str) -> bool:
    return name.lower().endswith(SUFFIXES)


def expand_inputs(paths: Iterable[str | Path]) -> list[Path]:
    """Files to read, in a fixed order: ``DIR/kept/*`` for a cleaned-corpus dir, every
    supported file under any other directory, or the file itself, through the pipeline's one
    lister (:func:`pretrain_clean.pipeline.plan.expand_inputs`); files under URIs are fetched
    into the local cache (:func:`pipeline.storage.local_copy`; remote files first)."""
    names = [str(p) for p in paths]
    remote = [n for n in names if storage.is_uri(n)]
    local = [n for n in names if not storage.is_uri(n)]
    options = dict(wanted=_wanted, kinds=", ".join(SUFFIXES), corpus_dirs=True)
    files = [storage.local_copy(f) for f in plan.expand_inputs(remote, **options)] if remote else []
    return files + ([Path(f) for f in plan.expand_inputs(local, **options)] if local else [])


def _open_text(path: Path) -> io.TextIOBase:
    name = path.name.lower()
    if name.endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8")
    if name.endswith(".zst"):
        import zstandard

        return io.TextIOWrapper(zstandard.ZstdDecompressor().stream_reader(open(path, "rb")), encoding="utf-8")
    return open(path, encoding="utf-8")


def iter_file(path: Path) -> Iterator[str]:
    """Yield the document texts of one file (streaming)."""
    name = path.name.lower()
    if name.endswith(".parquet"):
        import pyarrow.parquet as pq

        pf = pq.ParquetFile(path)
        if "text" not in pf.schema_arrow.names:
            raise UsageError(f"{path}: parquet file has no 'text' column (columns: {pf.schema_arrow.names})")
        for batch in pf.iter_batches(columns=["text"], batch_size=1024):
            for text in batch.column(0).to_pylist():
                if text:
                    yield text
        return
    with _open_text(path) as fh:
        if name.endswith(JSON_SUFFIXES):
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    text = orjson.loads(line)["text"]
                except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
                    raise UsageError(f"{path}:{lineno}: expected a JSON object with a 'text' field ({exc})") from exc
                if text:
                    yield text
        else:
            for line in fh:
                line = line.rstrip("\n")
                if line.strip():
                    yield line


def iter_documents(paths: Iterable[str | Path]) -> Iterator[tuple[str, str]]:
    """Yield ``(key, text)`` for every document; ``key`` is ``file name:index``, stable across runs."""
    for path in expand_inputs(paths):
        for i, text in enumerate(iter_file(path)):
            yield f"{path.name}:{i}", text


def hashes_of(paths: Iterable[str | Path]) -> set[str]:
    """Text hashes of all documents in ``paths`` (e.g. the evaluation sets)."""
    return {text_hash(t) for _, t in iter_documents(paths)}


def _plain_text_bytes(paths: Iterable[str | Path]) -> float:
    """Total size of the inputs when all are uncompressed json/txt files (an upper bound of
    their text bytes: JSON escapes only add bytes); infinity otherwise."""
    files = expand_inputs(paths)
    if any(f.name.lower().endswith((".gz", ".zst", ".parquet")) for f in files):
        return float("inf")
    return sum(f.stat().st_size for f in files)


@dataclass
class SampleInfo:
    """What a sample holds."""

    docs: int
    bytes: int
    corpus_bytes: int
    excluded_docs: int


def sample_documents(
    paths: Iterable[str | Path],
    max_bytes: int | None,
    seed: int = 0,
    exclude: set[str] | None = None,
    info: SampleInfo | None = None,
) -> Iterator[str]:
    """Yield a deterministic sample of about ``max_bytes`` UTF-8 bytes of documents (all when None).

    ``info``, when given, is filled with the corpus and sample sizes as the sample is read.
    """
    paths = list(paths)
    exclude = exclude or set()
    info = info if info is not None else SampleInfo(0, 0, 0, 0)
    fraction = 1.0
    if max_bytes is not None and _plain_text_bytes(paths) <= max_bytes:
        max_bytes = None  # the texts cannot exceed their uncompressed files: take everything, one pass
    if max_bytes is not None:  # pass 1: sizes only, to set the keep fraction
        total = 0
        for _, text in iter_documents(paths):
            n = len(text.encode("utf-8"))
            info.corpus_bytes += n
            if exclude and text_hash(text) in exclude:
                info.excluded_docs += 1
            else:
                total += n
        fraction = min(1.0, max_bytes / total) if total else 1.0
    for key, text in iter_documents(paths):  # pass 2: select
        if max_bytes is None:
            info.corpus_bytes += len(text.encode("utf-8"))
            if exclude and text_hash(text) in exclude:
                info.excluded_docs += 1
                continue
        elif info.bytes >= max_bytes:
            return
        elif (fraction < 1.0 and _unit(seed, key) >= fraction) or (exclude and text_hash(text) in exclude):
            continue
        info.docs += 1
        info.bytes += len(text.encode("utf-8"))
        yield text


def write_sample(
    paths: Iterable[str | Path],
    out_dir: str | Path,
    max_bytes: int | None,
    seed: int = 0,
    exclude_paths: Iterable[str | Path] = (),
) -> SampleInfo:
    """Write ``out_dir/sample.jsonl`` and ``out_dir/sample_hashes.txt`` (sorted text hashes)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    exclude_paths = list(exclude_paths)
    exclude = hashes_of(exclude_paths) if exclude_paths else set()
    info = SampleInfo(0, 0, 0, 0)
    hashes: set[str] = set()
    with open(out / SAMPLE_FILE, "w", encoding="utf-8") as fh:
        for text in sample_documents(paths, max_bytes, seed, exclude, info):
            fh.write(json.dumps({"text": text}, ensure_ascii=False) + "\n")
            hashes.add(text_hash(text))
    (out / HASHES_FILE).write_text("".join(h + "\n" for h in sorted(hashes)), encoding="utf-8")
    return info


def read_sample(out_dir: str | Path) -> Iterator[str]:
    """Yield the texts of a sample written by :func:`write_sample`."""
    with open(Path(out_dir) / SAMPLE_FILE, encoding="utf-8") as fh:
        for line in fh:
            yield json.loads(line)["text"]
