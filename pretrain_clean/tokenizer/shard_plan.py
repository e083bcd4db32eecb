"""The shard plan: which documents go to which shard, and how a shard is cut into row groups.

A pure function of the token counts (and the shuffle keys), so every engine and every rerun
computes the same plan and writes the same bytes.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np


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

