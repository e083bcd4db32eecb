"""The shard directory's ``manifest.json`` (written then published, the folder's marker),
checksums, compatibility checks. Folders may be local paths or URIs (:mod:`pipeline.storage`)."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from pretrain_clean.errors import UserError
from pretrain_clean.pipeline import storage

MANIFEST = "manifest.json"
FORMAT_VERSION = 1


class ShardError(UserError, RuntimeError):
    """A problem with a shard directory, its inputs or its tokenizer; the message says what to do."""


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file's bytes (a local path or a URI), read in ``chunk``-byte pieces."""
    digest = hashlib.sha256()
    with storage.open_input(str(path)) as f:
        while block := f.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def write_manifest(out_dir: str | Path, manifest: dict[str, Any]) -> None:
    """Write ``manifest.json`` atomically, with totals recomputed from the shard list.

    Totals are always the sum over recorded shards, so a resumed run cannot double-count:

    >>> import tempfile
    >>> d = tempfile.mkdtemp()
    >>> write_manifest(d, {"shards": [{"file": "a", "documents": 2, "tokens": 9}] * 2})
    >>> m = read_manifest(d)
    >>> m["total_tokens"], m["total_documents"]
    (18, 4)
    """
    manifest = dict(manifest)
    manifest["total_documents"] = sum(s["documents"] for s in manifest["shards"])
    manifest["total_tokens"] = sum(s["tokens"] for s in manifest["shards"])
    text = json.dumps(manifest, indent=2, sort_keys=False) + "\n"
    storage.write_bytes(storage.join(str(out_dir), MANIFEST), text.encode("utf-8"))


def read_manifest(out_dir: str | Path) -> dict[str, Any] | None:
    """The manifest in ``out_dir``, or None when there is none."""
    path = storage.join(str(out_dir), MANIFEST)
    try:
        text = storage.read_text(path)
    except FileNotFoundError:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ShardError(f"{path}: not valid JSON ({exc}); delete it or rerun with --overwrite") from exc


def incompatibilities(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What differs between an existing manifest and the run about to write into its folder.

    >>> old = {"tokenizer_sha256": "aa", "config": {"shard_tokens": 5}, "inputs": []}
    >>> incompatibilities(old, dict(old, tokenizer_sha256="bb"))
    ['tokenizer_sha256: existing aa, now bb']
    """
    problems = []
    for key in ("format_version", "tokenizer_sha256", "vocab_size", "config", "inputs"):
        if old.get(key) != new.get(key):
            if key == "inputs":
                problems.append("inputs: the input files or their checksums changed")
            elif key == "config" and isinstance(old.get(key), dict) and isinstance(new.get(key), dict):
                a, b = old[key], new[key]
                problems += [f"config.{k}: existing {a.get(k)}, now {b.get(k)}"
                             for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]
            else:
                problems.append(f"{key}: existing {old.get(key)}, now {new.get(key)}")
    return problems
