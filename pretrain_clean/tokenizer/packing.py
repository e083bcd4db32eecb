"""Pack a shard's documents into fixed-length rows, recording where each document lies.

The shard's token stream (documents in shard order, each already ending in EOS) is cut every
``seq_len`` tokens; only the shard's last row may be shorter (no token is dropped, no padding is
added). Each row records its segments: ``doc_ids`` (document of each segment), ``doc_starts``
(where the segment starts in the row) and ``doc_offsets`` (where in its document the segment
starts: non-zero only for a document continued from the previous row), plus ``doc_sources`` and
``doc_positions`` for provenance. Documents never cross shard boundaries.
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa

def segment_bounds(doc_offsets: np.ndarray, seq_len: int) -> tuple[np.ndarray, np.ndarray]:
    """For each row, the first and last document that overlaps it.

    ``doc_offsets`` are the documents' start positions in the stream plus the stream's end.

    >>> first, last = segment_bounds(np.array([0, 3, 4, 10]), 4)
    >>> first.tolist(), last.tolist()
    ([0, 2, 2], [1, 2, 2])
    """
    total = int(doc_offsets[-1])
    row_start = np.arange(0, total, seq_len, dtype=np.int64)
    row_end = np.minimum(row_start + seq_len, total)
    starts = doc_offsets[:-1]
    first = np.searchsorted(starts, row_start, side="right") - 1
    last = np.searchsorted(starts, row_end, side="left") - 1
    return first, last


def pack_table(table: pa.Table, seq_len: int) -> pa.Table:
    """Pack a shard table (id, input_ids, source, position) into rows of ``seq_len`` tokens.

    >>> t = pa.table({"id": ["a", "b"], "input_ids": [[1, 2, 0], [3, 4, 5, 6, 0]],
    ...               "source": ["s", "s"], "position": [0, 1]})
    >>> p = pack_table(t, 4).to_pydict()
    >>> p["input_ids"], p["doc_ids"], p["doc_starts"], p["doc_offsets"]
    ([[1, 2, 0, 3], [4, 5, 6, 0]], [['a', 'b'], ['b']], [[0, 3], [0]], [[0, 0], [1]])
    """
    if seq_len <= 0:
        raise ValueError(f"seq_len must be positive, got {seq_len}")
    ids = table.column("input_ids").combine_chunks()
    values = ids.flatten()
    offsets = ids.offsets.to_numpy().astype(np.int64)
    offsets = offsets - offsets[0]
    total = int(offsets[-1])
    row_start = np.arange(0, total, seq_len, dtype=np.int64)
    row_len = np.minimum(row_start + seq_len, total) - row_start
    first, last = segment_bounds(offsets, seq_len)
    counts = last - first + 1
    seg_offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    seg_doc = np.repeat(first, counts) + (np.arange(int(counts.sum())) - np.repeat(seg_offsets[:-1], counts))
    seg_row_start = np.repeat(row_start, counts)
    doc_start = offsets[seg_doc]
    in_row = np.maximum(doc_start - seg_row_start, 0).astype(np.int32)
    in_doc = np.maximum(seg_row_start - doc_start, 0).astype(np.int32)
    row_offsets = pa.array(np.concatenate([row_start, [total]]).astype(np.int32))
    seg_off = pa.array(seg_offsets)
    take = pa.array(seg_doc)

    def seg_list(arr: pa.Array) -> pa.Array:
        return pa.ListArray.from_arrays(seg_off, arr)

    return pa.table({
        "input_ids": pa.ListArray.from_arrays(row_offsets, values),
        "num_tokens": pa.array(row_len.astype(np.int32)),
        "doc_ids": seg_list(table.column("id").combine_chunks().take(take)),
        "doc_starts": seg_list(pa.array(in_row)),
        "doc_offsets": seg_list(pa.array(in_doc)),
        "doc_sources": seg_list(table.column("source").combine_chunks().take(take)),
        "doc_positions": seg_list(table.column("position").combine_chunks().take(take)),
    })


def unpack_documents(table: pa.Table) -> tuple[list[str], list[np.ndarray]]:
    """Rebuild each document's token ids from a packed shard table (inverse of :func:`pack_table`).

    >>> t = pa.table({"id": ["a", "b"], "input_ids": [[1, 2, 0], [3, 4, 5, 6, 0]],
    ...               "source": ["s", "s"], "position": [0, 1]})
    >>> ids, toks = unpack_documents(pack_table(t, 4))
    >>> ids, [x.tolist() for x in toks]
    (['a', 'b'], [[1, 2, 0], [3, 4, 5, 6, 0]])
    """
    col = table.column("input_ids").combine_chunks()
    stream = col.flatten().to_numpy()
    row_pos = col.offsets.to_numpy().astype(np.int64)
    row_pos = row_pos - row_pos[0]
    doc_ids: list[str] = []
    starts: list[int] = []
    cols = table.select(["doc_ids", "doc_starts", "doc_offsets"]).to_pydict()
    for r, (ids, in_row, in_doc) in enumerate(zip(cols["doc_ids"], cols["doc_starts"], cols["doc_offsets"])):
        for j, (doc_id, s, o) in enumerate(zip(ids, in_row, in_doc)):
            if o == 0:
                doc_ids.append(doc_id)
                starts.append(int(row_pos[r]) + s)
            elif j != 0 or not doc_ids or doc_ids[-1] != doc_id:
                raise ValueError(f"row {r}: segment {j} continues document {doc_id!r} "
                                 "but is not the continuation of the previous row's last document")
    bounds = starts + [len(stream)]
    return doc_ids, [stream[bounds[i]:bounds[i + 1]] for i in range(len(doc_ids))]
