"""Tokenize the cleaned corpus into balanced, resumable parquet shards with a manifest.

Two phases, both restartable:

1. **encode**: each input file ``DIR/kept/part-*.parquet`` is read in batches, encoded with the
   tokenizer's batch API (all cores, Rust threads), EOS appended (BOS prepended if configured),
   and spooled to ``OUT/_work/spool-NNNNN.arrow`` (Arrow IPC, written then renamed).
2. **shard**: a plan is computed from the token counts alone: documents in input order (or
   sorted by a seeded hash of their id when shuffling) are cut into ``ceil(total/shard_tokens)``
   shards, document *j* going to shard ``cum_start_j * n // total``. Each shard is gathered from
   the memory-mapped spool, optionally packed (see :mod:`tokenizer.packing`), written to
   ``part-NNNNN.parquet`` via a temp file and a rename, and recorded in ``manifest.json``.

The plan is a pure function of (inputs, tokenizer, config), so a rerun rewrites exactly the
shards the manifest does not record, byte-identical to an uninterrupted run. The tokenizer, the
input folder and the output folder may be URIs (``s3://``...; :mod:`pipeline.storage`): shards
and the manifest are written then published; the spool stays on a local disk.
"""
from __future__ import annotations

import json
import logging
import math
import os
import shutil
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import xxhash
from tokenizers import Tokenizer

from pretrain_clean.pipeline import storage
from pretrain_clean.pipeline.plan import expand_inputs
from pretrain_clean.tokenizer.manifest import (FORMAT_VERSION, ShardError, incompatibilities, read_manifest,
                                sha256_file, write_manifest)
from pretrain_clean.tokenizer.packing import pack_table

log = logging.getLogger(__name__)

EOS_CANDIDATES = ("<|endoftext|>", "</s>", "<eos>", "<|end_of_text|>", "<|im_end|>")
BOS_CANDIDATES = ("<|startoftext|>", "<s>", "<bos>", "<|begin_of_text|>")
DOC_COLUMNS = ("id", "input_ids", "num_tokens", "source", "position")
WORK_DIR = "_work"


@dataclass
class ShardConfig:
    """How documents become shards; every field but ``batch_docs`` shapes the output bytes."""

    shard_tokens: int = 100_000_000
    """Target tokens per shard; shards are balanced to ``total / ceil(total / shard_tokens)``."""
    seq_len: int | None = None
    """Pack into rows of this many tokens (document boundaries recorded); None: one row per doc."""
    shuffle_seed: int | None = None
    """Order documents by xxh64(seed, id) across the whole corpus; None keeps input order."""
    row_group_tokens: int = 1 << 20
    """Tokens per parquet row group (about 2 MiB of uint16): small enough to stream."""
    eos_token: str = "auto"
    """EOS token name, or "auto" to try EOS_CANDIDATES in order."""
    bos_token: str | None = None
    """BOS token name, "auto" to try BOS_CANDIDATES, or None for no BOS."""
    compression: str = "zstd"
    batch_docs: int = 2048
    """Documents per encode batch (throughput only, not the output)."""

    def fingerprint(self) -> dict[str, Any]:
        """The fields that determine the output, as stored in the manifest's ``config``."""
        out = asdict(self)
        out.pop("batch_docs")
        return out

    def check(self) -> None:
        """Raise ValueError naming the bad field."""
        for name, kind in (("shard_tokens", int), ("row_group_tokens", int), ("batch_docs", int),
                           ("seq_len", (int, type(None))), ("shuffle_seed", (int, type(None))),
                           ("eos_token", str), ("bos_token", (str, type(None))), ("compression", str)):
            value = getattr(self, name)
            if not isinstance(value, kind) or isinstance(value, bool):
                raise ValueError(f"{name} has the wrong type: {value!r}")
        if self.shard_tokens <= 0:
            raise ValueError(f"shard_tokens must be positive, got {self.shard_tokens}")
        if self.seq_len is not None and self.seq_len <= 0:
            raise ValueError(f"seq_len must be positive, got {self.seq_len}")
        if self.row_group_tokens <= 0:
            raise ValueError(f"row_group_tokens must be positive, got {self.row_group_tokens}")
        if self.batch_docs <= 0:
            raise ValueError(f"batch_docs must be positive, got {self.batch_docs}")


@dataclass
class OpenTokenizer:
    """A loaded ``tokenizer.json`` with the ids the shards need."""

    path: str
    sha256: str
    tokenizer: Tokenizer
    vocab_size: int
    eos_token: str
    eos_id: int
    bos_token: str | None
    bos_id: int | None

    @property
    def dtype(self) -> pa.DataType:
        """uint16 when every id fits, else int32."""
        return pa.uint16() if self.vocab_size <= 1 << 16 else pa.int32()


def find_token(tok: Tokenizer, name: str, candidates: tuple[str, ...], what: str, path: str) -> tuple[str, int]:
    """Look up a special token by name ("auto": the first of ``candidates`` present)."""
    names = candidates if name == "auto" else (name,)
    for n in names:
        token_id = tok.token_to_id(n)
        if token_id is not None:
            return n, token_id
    tried = ", ".join(names)
    raise ShardError(f"{path}: tokenizer has no {what} token (tried {tried}); "
                     f"pass --{what.lower()} NAME with a token from its vocabulary")


def open_tokenizer(path: str | Path, eos: str = "auto", bos: str | None = None) -> OpenTokenizer:
    """Load ``tokenizer.json``, resolve EOS/BOS ids, and make literal special-token text plain text."""
    path = storage.absolute(str(path))
    local = str(storage.local_copy(path))
    if not Path(local).is_file():
        raise ShardError(f"tokenizer file not found: {path}")
    try:
        tok = Tokenizer.from_file(local)
    except Exception as exc:  # tokenizers raises a bare Exception on bad JSON
        raise ShardError(f"{path}: not a tokenizers tokenizer.json ({exc})") from exc
    # A document containing "<|endoftext|>" must not inject a real EOS into the stream.
    tok.encode_special_tokens = True
    eos_token, eos_id = find_token(tok, eos, EOS_CANDIDATES, "EOS", path)
    bos_token = bos_id = None
    if bos is not None:
        bos_token, bos_id = find_token(tok, bos, BOS_CANDIDATES, "BOS", path)
    return OpenTokenizer(path, sha256_file(local), tok, tok.get_vocab_size(with_added_tokens=True),
                         eos_token, eos_id, bos_token, bos_id)


def parallelism_warning() -> str | None:
    """A warning when TOKENIZERS_PARALLELISM turns the Rust thread pool off."""
    value = os.environ.get("TOKENIZERS_PARALLELISM", "").strip().lower()
    if value in {"0", "false", "no", "off"}:
        return ("TOKENIZERS_PARALLELISM is set to false: encode_batch runs on one core; "
                "unset it to use all cores")
    return None


def encode_raw(ot: OpenTokenizer, texts: list[str]) -> list[Any]:
    """Batch-encode (Rust threads over all cores, GIL released); ``encode_batch_fast`` if present."""
    tok = ot.tokenizer
    encode = getattr(tok, "encode_batch_fast", tok.encode_batch)
    return encode(texts, add_special_tokens=False)


def to_arrow(ot: OpenTokenizer, encodings: list[Any]) -> pa.ListArray:
    """Token ids of each encoding as one list array, EOS appended and BOS prepended if configured."""
    values: list[int] = []
    lengths = np.empty(len(encodings), dtype=np.int32)
    extra = 1 + (ot.bos_id is not None)
    for i, enc in enumerate(encodings):
        ids = enc.ids
        if ot.bos_id is not None:
            values.append(ot.bos_id)
        values.extend(ids)
        values.append(ot.eos_id)
        lengths[i] = len(ids) + extra
    offsets = np.zeros(len(encodings) + 1, dtype=np.int32)
    np.cumsum(lengths, out=offsets[1:])
    flat = np.array(values, dtype=ot.dtype.to_pandas_dtype())
    return pa.ListArray.from_arrays(pa.array(offsets), pa.array(flat))


def encode_texts(ot: OpenTokenizer, texts: list[str]) -> pa.ListArray:
    """Encode a batch with EOS appended (BOS prepended if configured)."""
    return to_arrow(ot, encode_raw(ot, texts))


def list_inputs(input_dir: str | Path) -> list[str]:
    """The cleaned corpus files: ``DIR/kept/*.parquet`` (or ``DIR/*.parquet``), sorted by name;
    local folders through the pipeline's one lister (searched recursively)."""
    root = storage.absolute(str(input_dir))
    if not storage.is_uri(root):
        return expand_inputs([root], wanted=lambda name: name.endswith(".parquet"), kinds=".parquet",
                             corpus_dirs=True)
    kept = storage.join(root, "kept")
    files = storage.list_files(kept, ".parquet") or storage.list_files(root, ".parquet")
    if not files:
        raise ShardError(f"no parquet files in {kept} or {root}: pass the cleaned corpus folder")
    return files


def describe_inputs(files: list[str], root: str | Path) -> list[dict[str, Any]]:
    """File name (relative to ``root``), sha256, size and row count of each input."""
    prefix = storage.absolute(str(root)).rstrip("/") + "/"
    return [{"file": f[len(prefix):] if f.startswith(prefix) else storage.basename(f),
             "sha256": sha256_file(f), "bytes": storage.size(f),
             "rows": storage.parquet_file(f).metadata.num_rows} for f in files]


def shuffle_keys(ids: pa.Array, seed: int) -> np.ndarray:
    """Seeded 64-bit hash of each document id: the shuffled order sorts by it.

    >>> shuffle_keys(pa.array(["a", "b"]), 1).tolist() == shuffle_keys(pa.array(["a", "b"]), 1).tolist()
    True
    """
    prefix = f"{seed}\x00"
    return np.fromiter((xxhash.xxh64_intdigest((prefix + s).encode("utf-8")) for s in ids.to_pylist()),
                       dtype=np.uint64, count=len(ids))


def spool_schema(ot: OpenTokenizer) -> pa.Schema:
    """Schema of the encode phase's spool files."""
    return pa.schema([("id", pa.string()), ("input_ids", pa.list_(ot.dtype)),
                      ("num_tokens", pa.int32()), ("source", pa.string()),
                      ("position", pa.int64()), ("key", pa.uint64())])


def read_batches(path: str, batch_docs: int) -> Iterator[pa.RecordBatch]:
    """Stream id/text/source/position batches from one input parquet file (path or URI)."""
    pf = storage.parquet_file(str(path))
    names = set(pf.schema_arrow.names)
    for col in ("id", "text"):
        if col not in names:
            raise ShardError(f"{path}: missing column {col!r} (has {sorted(names)})")
    columns = [c for c in ("id", "text", "source", "position") if c in names]
    row = 0
    for batch in pf.iter_batches(batch_size=batch_docs, columns=columns):
        if "source" not in names:
            batch = batch.append_column("source", pa.array([""] * batch.num_rows))
        if "position" not in names:
            batch = batch.append_column("position", pa.array(np.arange(row, row + batch.num_rows)))
        row += batch.num_rows
        yield batch


def spool_file(ot: OpenTokenizer, src: str, dst: Path, cfg: ShardConfig) -> None:
    """Encode one input file into an Arrow IPC spool file (temp file, then rename).

    The next batch is encoded in a background thread (the tokenizer releases the GIL) while this
    one is converted and written, so the I/O hides behind the encoding.
    """
    tmp = storage.staging_path(dst)
    schema = spool_schema(ot)
    with ThreadPoolExecutor(1) as pool, pa.OSFile(str(tmp), "wb") as sink, \
            pa.ipc.new_file(sink, schema) as writer:
        pending: tuple[pa.RecordBatch, Future] | None = None
        for batch in read_batches(src, cfg.batch_docs):
            texts = batch.column("text")
            if texts.null_count:
                raise ShardError(f"{src}: {texts.null_count} documents have a null text")
            job = (batch, pool.submit(encode_raw, ot, texts.to_pylist()))
            if pending is not None:
                writer.write_batch(spool_batch(ot, src, pending[0], pending[1].result(), cfg, schema))
            pending = job
        if pending is not None:
            writer.write_batch(spool_batch(ot, src, pending[0], pending[1].result(), cfg, schema))
    storage.publish_file(tmp, dst)


def spool_batch(ot: OpenTokenizer, src: Path, batch: pa.RecordBatch, encodings: list[Any],
                cfg: ShardConfig, schema: pa.Schema) -> pa.RecordBatch:
    """One spool record batch from an input batch and its encodings."""
    input_ids = to_arrow(ot, encodings)
    ids = batch.column("id").cast(pa.string())
    if ids.null_count:
        raise ShardError(f"{src}: {ids.null_count} documents have a null id")
    if cfg.shuffle_seed is None:
        keys = pa.nulls(len(ids), pa.uint64())
    else:
        keys = pa.array(shuffle_keys(ids, cfg.shuffle_seed))
    return pa.record_batch([
        ids, input_ids, pa.array(np.diff(input_ids.offsets.to_numpy()).astype(np.int32)),
        batch.column("source").cast(pa.string()), batch.column("position").cast(pa.int64()),
        keys], schema=schema)


class Spool:
    """The memory-mapped spool files, addressed by global document index (input order)."""

    def __init__(self, paths: list[Path]) -> None:
        self.tables = [pa.ipc.open_file(pa.memory_map(str(p))).read_all() for p in paths]
        sizes = [t.num_rows for t in self.tables]
        self.starts = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)

    def column(self, name: str) -> np.ndarray:
        """One scalar column over all documents, as numpy."""
        parts = [t.column(name).to_numpy() for t in self.tables]
        return np.concatenate(parts) if parts else np.empty(0)

    def take(self, indices: np.ndarray) -> pa.Table:
        """The documents at global ``indices``, in that order, columns DOC_COLUMNS."""
        file_of = np.searchsorted(self.starts, indices, side="right") - 1
        parts, placed = [], []
        for f in np.unique(file_of):
            mask = file_of == f
            local = indices[mask] - self.starts[f]
            parts.append(self.tables[f].select(list(DOC_COLUMNS)).take(pa.array(local)))
            placed.append(np.flatnonzero(mask))
        table = pa.concat_tables(parts).combine_chunks()
        where = np.concatenate(placed)
        inverse = np.empty_like(where)
        inverse[where] = np.arange(len(where))
        return table.take(pa.array(inverse))


def plan_shards(num_tokens: np.ndarray, keys: np.ndarray | None, shard_tokens: int) -> list[np.ndarray]:
    """Split documents into balanced shards: each a list of global document indices, in order.

    Documents are ordered by ``keys`` (ties by index) or kept in input order; document *j* of
    the ordered list goes to shard ``cum_start_j * n // total`` with ``n = ceil(total /
    shard_tokens)``, so no shard exceeds ``total / n`` by more than one document.

    >>> [s.tolist() for s in plan_shards(np.array([3, 3, 3, 3, 4]), None, 8)]
    [[0, 1, 2], [3, 4]]
    >>> [s.tolist() for s in plan_shards(np.array([1, 1, 1]), np.array([5, 1, 3], dtype=np.uint64), 100)]
    [[1, 2, 0]]
    """
    n_docs = len(num_tokens)
    if n_docs == 0:
        return []
    index = np.arange(n_docs)
    order = index if keys is None else np.lexsort((index, keys))
    lengths = num_tokens[order].astype(np.int64)
    total = int(lengths.sum())
    n_shards = max(1, math.ceil(total / shard_tokens))
    if total * n_shards >= 2**63:
        raise ValueError(f"{total} tokens in {n_shards} shards overflows int64; raise shard_tokens")
    cum_start = np.cumsum(lengths) - lengths
    shard = np.minimum(cum_start * n_shards // max(total, 1), n_shards - 1)
    cuts = np.flatnonzero(np.diff(shard)) + 1
    return np.split(order, cuts)


def shard_name(i: int) -> str:
    """File name of shard ``i``.

    >>> shard_name(7)
    'part-00007.parquet'
    """
    return f"part-{i:05d}.parquet"


def row_group_cuts(num_tokens: np.ndarray, group_tokens: int) -> list[int]:
    """Row boundaries cutting a shard into row groups of about ``group_tokens`` tokens each.

    A row group closes at the first row that brings it to ``group_tokens`` or more.

    >>> row_group_cuts(np.array([4, 4, 4, 9, 1]), 8)
    [0, 2, 4, 5]
    >>> row_group_cuts(np.array([], dtype=np.int32), 8)
    [0, 0]
    """
    cuts, acc = [0], 0
    for i, n in enumerate(num_tokens.tolist()):
        acc += n
        if acc >= group_tokens:
            cuts.append(i + 1)
            acc = 0
    if cuts[-1] != len(num_tokens) or len(cuts) == 1:
        cuts.append(len(num_tokens))
    return cuts


def write_shard(table: pa.Table, path: str, cfg: ShardConfig) -> dict[str, Any]:
    """Write one shard (local path or URI; written, then published) and return its manifest entry."""
    documents = table.num_rows
    tokens = int(pc.sum(table.column("num_tokens")).as_py() or 0)
    if cfg.seq_len is not None:
        table = pack_table(table, cfg.seq_len)
    rows = table.num_rows
    dictionary = ["doc_sources"] if cfg.seq_len is not None else ["source"]
    cuts = row_group_cuts(table.column("num_tokens").to_numpy(), cfg.row_group_tokens)
    out = storage.OutputFile(str(path))
    try:
        with pq.ParquetWriter(out.stream, table.schema, compression=cfg.compression, use_dictionary=dictionary) as w:
            for lo, hi in zip(cuts[:-1], cuts[1:]):
                w.write_table(table.slice(lo, hi - lo), row_group_size=hi - lo)
        out.stream.close()
        digest = sha256_file(out.tmp)
    except BaseException:
        out.discard()
        raise
    out.publish()
    return {"file": storage.basename(str(path)), "documents": documents, "tokens": tokens, "rows": rows,
            "sha256": digest}


def clear_output(out: str) -> None:
    """Remove what a previous run wrote into ``out`` (shards, manifest, spool)."""
    for p in storage.list_files(out, ".parquet"):
        if storage.basename(p).startswith("part-"):
            storage.remove_tree(p)
    storage.remove_unpublished(out)
    storage.remove_tree(storage.join(out, "manifest.json"))
    shutil.rmtree(work_dir(out), ignore_errors=True)


def work_dir(out: str) -> Path:
    """The local spool folder of output folder ``out`` (``OUT/_work`` when ``out`` is local)."""
    return Path(storage.local_work_dir(out)) / WORK_DIR


def manifest_header(ot: OpenTokenizer, input_dir: str, inputs: list[dict[str, Any]],
                    cfg: ShardConfig) -> dict[str, Any]:
    """The manifest fields fixed before any shard is written."""
    return {
        "format_version": FORMAT_VERSION,
        "layout": "packed" if cfg.seq_len is not None else "documents",
        "tokenizer_path": storage.absolute(ot.path),
        "tokenizer_sha256": ot.sha256,
        "vocab_size": ot.vocab_size,
        "dtype": str(ot.dtype),
        "eos_token": ot.eos_token, "eos_id": ot.eos_id,
        "bos_token": ot.bos_token, "bos_id": ot.bos_id,
        "config": cfg.fingerprint(),
        "input_dir": storage.absolute(input_dir),
        "inputs": inputs,
    }


def prepare_output(out: str, header: dict[str, Any], overwrite: bool) -> dict[str, dict[str, Any]]:
    """Check an existing output folder against this run; return the shards already done."""
    storage.makedirs(out)
    old = read_manifest(out)
    if overwrite:
        clear_output(out)
        return {}
    if old is None:
        if any(storage.basename(p).startswith("part-") for p in storage.list_files(out, ".parquet")):
            raise ShardError(f"{out} holds part-*.parquet files but no manifest.json; "
                             "pass --overwrite to replace them")
        return {}
    problems = incompatibilities(old, header)
    if problems:
        raise ShardError(f"{out}/manifest.json was written by a different run ("
                         + "; ".join(problems) + "); pass --overwrite to replace its shards")
    return {s["file"]: s for s in old["shards"]}


class LocalEngine:
    """Runs both phases in this process (the tokenizer's own threads use every core)."""

    def encode(self, ot: OpenTokenizer, cfg: ShardConfig, jobs: list[tuple[str, Path]]) -> None:
        """Spool each (input file, spool file) pair."""
        for src, dst in jobs:
            spool_file(ot, src, dst, cfg)
            log.info("encoded %s", src)

    def write(self, cfg: ShardConfig, spool_paths: list[Path], out: str,
              todo: list[tuple[int, np.ndarray]]) -> Iterator[tuple[int, dict[str, Any]]]:
        """Write each planned shard (index, document indices); yield its manifest entry."""
        spool = Spool(spool_paths)
        for i, indices in todo:
            yield i, write_shard(spool.take(indices), storage.join(out, shard_name(i)), cfg)


def tokenize_to_shards(tokenizer: str | Path, input_dir: str | Path, output_dir: str | Path,
                       cfg: ShardConfig | None = None, overwrite: bool = False,
                       after_shard: Callable[[int], None] | None = None,
                       engine: Any = None) -> dict[str, Any]:
    """Run both phases (resuming where a previous run stopped) and return the final manifest.

    ``engine`` runs the heavy parts (default :class:`LocalEngine`; see
    :mod:`tokenizer.shards_spark`); the plan and the manifest stay here, so every engine writes
    the same bytes.
    """
    cfg = cfg or ShardConfig()
    cfg.check()
    engine = engine or LocalEngine()
    if (warning := parallelism_warning()):
        log.warning(warning)
    ot = open_tokenizer(tokenizer, cfg.eos_token, cfg.bos_token)
    input_dir, out = storage.absolute(str(input_dir)), storage.absolute(str(output_dir))
    files = list_inputs(input_dir)
    header = manifest_header(ot, input_dir, describe_inputs(files, input_dir), cfg)
    done = prepare_output(out, header, overwrite)
    old = read_manifest(out)
    if old is not None and old.get("complete") and not overwrite:
        log.info("%s is complete (%d shards); nothing to do", out, len(old["shards"]))
        return old
    manifest = dict(header, complete=False, shards=sorted(done.values(), key=lambda s: s["file"]))
    write_manifest(out, manifest)

    spool_paths = spool_paths_for(files, work_dir(out), header, cfg)
    engine.encode(ot, cfg, [(f, p) for f, p in zip(files, spool_paths) if not p.exists()])
    spool = Spool(spool_paths)
    keys = None if cfg.shuffle_seed is None else spool.column("key")
    plan = plan_shards(spool.column("num_tokens"), keys, cfg.shard_tokens)
    del spool
    manifest["planned_shards"] = len(plan)
    entries = {name: e for name, e in done.items()
               if storage.is_file(storage.join(out, name)) and sha256_file(storage.join(out, name)) == e.get("sha256")}
    todo = [(i, idx) for i, idx in enumerate(plan) if shard_name(i) not in entries]
    for i, entry in engine.write(cfg, spool_paths, out, todo):
        entries[entry["file"]] = entry
        log.info("wrote %s: %d documents, %d tokens", entry["file"], entry["documents"], entry["tokens"])
        manifest["shards"] = sorted(entries.values(), key=lambda e: e["file"])
        write_manifest(out, manifest)
        if after_shard is not None:
            after_shard(i)
    expected = [shard_name(i) for i in range(len(plan))]
    if sorted(entries) != expected:
        raise ShardError(f"{out}: shards {sorted(set(expected) ^ set(entries))} were not written; rerun to resume")
    manifest["shards"] = [entries[name] for name in expected]
    manifest["complete"] = True
    write_manifest(out, manifest)
    shutil.rmtree(work_dir(out), ignore_errors=True)
    return read_manifest(out)  # type: ignore[return-value]


def spool_paths_for(files: list[str], work: Path, header: dict[str, Any], cfg: ShardConfig) -> list[Path]:
    """Spool file of each input; spool files of a different (tokenizer, inputs, config) are removed."""
    stamp = {k: header[k] for k in ("tokenizer_sha256", "inputs", "eos_id", "bos_id", "dtype")}
    stamp["shuffle_seed"] = cfg.shuffle_seed
    stamp_path = work / "spool.json"
    if stamp_path.exists() and json.loads(stamp_path.read_text("utf-8")) != stamp:
        shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)
    storage.write_bytes(str(stamp_path), json.dumps(stamp, sort_keys=True).encode("utf-8"))
    return [work / f"spool-{i:05d}.arrow" for i in range(len(files))]
