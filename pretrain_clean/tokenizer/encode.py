"""The encode phase: open a ``tokenizer.json``, encode an input file's documents in batches, and
spool them to an Arrow IPC file; :class:`Spool` reads the spool back by document index."""
from __future__ import annotations

import os
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pyarrow as pa
import xxhash
from tokenizers import Tokenizer

from pretrain_clean.pipeline import storage
from pretrain_clean.tokenizer.manifest import ShardError, sha256_file
from pretrain_clean.tokenizer.shard_plan import ShardConfig

EOS_CANDIDATES = ("<|endoftext|>", "</s>", "<eos>", "<|end_of_text|>", "<|im_end|>")
BOS_CANDIDATES = ("<|startoftext|>", "<s>", "<bos>", "<|begin_of_text|>")
DOC_COLUMNS = ("id", "input_ids", "num_tokens", "source", "position")


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

