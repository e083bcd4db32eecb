"""Re-read a shard directory and check it against its manifest, tokenizer and input texts.

Checks: the manifest is complete; each shard exists, has the recorded sha256, rows, documents
and tokens; every list length equals ``num_tokens``; every id is below ``vocab_size``; every
document ends with EOS (starts with BOS if configured); totals add up and equal the input row
count; and a seeded sample of documents decodes back to its source text exactly (looked up by
id in the input parquet recorded in the manifest).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from tokenizers import Tokenizer

from pretrain_clean.pipeline import storage
from pretrain_clean.tokenizer.manifest import read_manifest, sha256_file
from pretrain_clean.tokenizer.packing import unpack_documents


def shard_documents(table: pa.Table, layout: str) -> tuple[list[str], list[np.ndarray]]:
    """Document ids and token arrays of one shard table, in either layout."""
    if layout == "packed":
        return unpack_documents(table)
    col = table.column("input_ids").combine_chunks()
    values = col.flatten().to_numpy()
    offsets = col.offsets.to_numpy()
    offsets = offsets - offsets[0]
    docs = [values[offsets[i]:offsets[i + 1]] for i in range(len(col))]
    return table.column("id").to_pylist(), docs


def check_shard(path: str, entry: dict[str, Any], manifest: dict[str, Any],
                want: set[int], first_doc: int) -> tuple[list[str], dict[str, np.ndarray]]:
    """Problems found in one shard, and the sampled documents (global index in ``want``)."""
    name = entry["file"]
    problems: list[str] = []
    if not storage.is_file(path):
        return [f"{name}: listed in manifest.json but missing"], {}
    if entry.get("sha256") and sha256_file(path) != entry["sha256"]:
        problems.append(f"{name}: sha256 differs from manifest.json (file changed or corrupted)")
    try:
        table = storage.parquet_file(path).read()
    except Exception as exc:  # pyarrow raises several types for damaged files
        return problems + [f"{name}: unreadable parquet ({exc})"], {}
    layout, vocab = manifest["layout"], manifest["vocab_size"]
    if table.num_rows != entry.get("rows", table.num_rows):
        problems.append(f"{name}: {table.num_rows} rows, manifest says {entry['rows']}")
    lengths = pc.list_value_length(table.column("input_ids")).to_numpy(zero_copy_only=False)
    if not np.array_equal(lengths, table.column("num_tokens").to_numpy()):
        problems.append(f"{name}: input_ids lengths differ from num_tokens")
    try:
        doc_ids, docs = shard_documents(table, layout)
    except ValueError as exc:
        return problems + [f"{name}: bad document boundaries ({exc})"], {}
    tokens = int(lengths.sum())
    if tokens != entry["tokens"]:
        problems.append(f"{name}: {tokens} tokens, manifest says {entry['tokens']}")
    if len(docs) != entry["documents"]:
        problems.append(f"{name}: {len(docs)} documents, manifest says {entry['documents']}")
    values = pc.list_flatten(table.column("input_ids")).to_numpy()
    if len(values) and int(values.max()) >= vocab:
        problems.append(f"{name}: token id {int(values.max())} >= vocab_size {vocab}")
    seq_len = manifest["config"].get("seq_len")
    if layout == "packed" and len(lengths) and (lengths.max() > seq_len or (lengths[:-1] != seq_len).any()):
        problems.append(f"{name}: packed rows must hold seq_len={seq_len} tokens (the last may be shorter)")
    eos, bos = manifest["eos_id"], manifest.get("bos_id")
    bad_eos = sum(1 for d in docs if len(d) == 0 or d[-1] != eos)
    if bad_eos:
        problems.append(f"{name}: {bad_eos} documents do not end with EOS id {eos}")
    if bos is not None and (bad := sum(1 for d in docs if len(d) == 0 or d[0] != bos)):
        problems.append(f"{name}: {bad} documents do not start with BOS id {bos}")
    sample = {doc_ids[i - first_doc]: docs[i - first_doc] for i in want
              if first_doc <= i < first_doc + len(docs)}
    return problems, sample


def source_texts(manifest: dict[str, Any], ids: set[str]) -> tuple[list[str], dict[str, list[str]]]:
    """Texts of ``ids`` from the input parquet the manifest records (and problems found there)."""
    problems: list[str] = []
    texts: dict[str, list[str]] = {}
    root = manifest["input_dir"]
    for entry in manifest["inputs"]:
        path = storage.join(root, entry["file"])
        if not storage.is_file(path):
            problems.append(f"input {path}: missing, cannot check decoded text")
            continue
        if sha256_file(path) != entry["sha256"]:
            problems.append(f"input {path}: changed since the shards were written")
            continue
        table = storage.parquet_file(path).read(columns=["id", "text"])
        mask = pc.is_in(table.column("id").cast(pa.string()), value_set=pa.array(sorted(ids), pa.string()))
        for doc_id, text in zip(*table.filter(mask).to_pydict().values()):
            texts.setdefault(doc_id, []).append(text)
    return problems, texts


def verify_shards(out_dir: str | Path, sample: int = 64, seed: int = 0,
                  tokenizer: str | Path | None = None) -> list[str]:
    """Every problem found in ``out_dir`` (empty when everything checks out)."""
    out = storage.absolute(str(out_dir))
    manifest = read_manifest(out)
    if manifest is None:
        return [f"{out}: no manifest.json; run pretrain-clean shards first"]
    problems: list[str] = []
    if not manifest.get("complete"):
        problems.append(f"{out}: manifest.json says the run is incomplete; rerun pretrain-clean shards to finish it")
    tok_name = str(tokenizer or manifest["tokenizer_path"])
    tok_path = storage.local_copy(tok_name)
    tok = None
    if not tok_path.is_file():
        problems.append(f"tokenizer {tok_name}: missing; pass --tokenizer PATH to decode the sample")
    elif sha256_file(tok_path) != manifest["tokenizer_sha256"]:
        problems.append(f"tokenizer {tok_name}: sha256 differs from manifest.json tokenizer_sha256")
    else:
        tok = Tokenizer.from_file(str(tok_path))
        if tok.get_vocab_size(with_added_tokens=True) != manifest["vocab_size"]:
            problems.append(f"tokenizer {tok_name}: vocab size differs from manifest.json vocab_size")
    listed = {s["file"] for s in manifest["shards"]}
    stray = sorted(n for p in storage.list_files(out, ".parquet")
                   if (n := storage.basename(p)).startswith("part-") and n not in listed)
    if stray:
        problems.append(f"{out}: shards not in manifest.json: {', '.join(stray)}")
    n_docs = sum(s["documents"] for s in manifest["shards"])
    rng = np.random.default_rng(seed)
    want = set(rng.choice(n_docs, size=min(sample, n_docs), replace=False).tolist()) if n_docs else set()
    sampled: dict[str, np.ndarray] = {}
    first = 0
    for entry in manifest["shards"]:
        found, docs = check_shard(storage.join(out, entry["file"]), entry, manifest, want, first)
        problems += found
        sampled.update(docs)
        first += entry["documents"]
    if manifest.get("total_tokens") != sum(s["tokens"] for s in manifest["shards"]):
        problems.append("manifest.json: total_tokens is not the sum over shards")
    if manifest.get("total_documents") != n_docs:
        problems.append("manifest.json: total_documents is not the sum over shards")
    input_rows = sum(i["rows"] for i in manifest["inputs"])
    if n_docs != input_rows:
        problems.append(f"manifest.json: {n_docs} documents in shards but {input_rows} input rows")
    if tok is not None and sampled:
        problems += decode_problems(tok, manifest, sampled)
    return problems


def decode_problems(tok: Tokenizer, manifest: dict[str, Any], sampled: dict[str, np.ndarray]) -> list[str]:
    """Problems where a sampled document does not decode to its source text exactly."""
    found, texts = source_texts(manifest, set(sampled))
    lo = 1 if manifest.get("bos_id") is not None else 0
    for doc_id, ids in sorted(sampled.items()):
        decoded = tok.decode(ids[lo:-1].tolist(), skip_special_tokens=False)
        if doc_id not in texts:
            found.append(f"document {doc_id!r}: id not found in the input parquet")
        elif decoded not in texts[doc_id]:
            text = texts[doc_id][0]
            at = next((i for i, (a, b) in enumerate(zip(decoded, text)) if a != b), min(len(decoded), len(text)))
            found.append(f"document {doc_id!r}: decoded text differs from the source at character {at} "
                         f"(decoded {decoded[at:at + 20]!r}, source {text[at:at + 20]!r})")
    return found
