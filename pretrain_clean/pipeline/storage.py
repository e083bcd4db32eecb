"""Input locations: local paths, or any fsspec URI (``s3://``, ``gs://``, ``hdfs://``, ...).

Remote inputs need the matching fsspec backend installed (s3fs, gcsfs, ...) on the driver
and on every executor. Outputs are local paths (or a shared mount); see docs/plan.md.
"""
from __future__ import annotations

import os
import posixpath
from typing import Any, BinaryIO


def is_uri(path: str) -> bool:
    """True for ``protocol://...`` locations.

    >>> is_uri("s3://bucket/cc/part-0.jsonl.gz"), is_uri("data/sample")
    (True, False)
    """
    return "://" in path


def _filesystem(uri: str) -> tuple[Any, str]:
    import fsspec

    return fsspec.core.url_to_fs(uri)


def _with_protocol(fs: Any, path: str) -> str:
    protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
    return f"{protocol}://{path}"


def expand_uri(pattern: str, wanted: Any) -> list[str] | None:
    """Files under a URI (a file, a folder searched recursively, or a glob) for which
    ``wanted(name)`` holds; ``None`` when nothing exists there."""
    fs, path = _filesystem(pattern)
    matches = sorted(fs.glob(path)) if any(c in path for c in "*?[") else [path]
    found: list[str] = []
    for match in matches:
        if fs.isdir(match):
            found += [p for p in sorted(fs.find(match)) if wanted(posixpath.basename(p))]
        elif fs.isfile(match):
            found.append(match)
    if not found and not any(fs.exists(m) for m in matches):
        return None
    return [_with_protocol(fs, p) for p in found]


def input_size(path: str) -> int:
    """Size in bytes of a local file or a URI."""
    if is_uri(path):
        fs, inner = _filesystem(path)
        return int(fs.size(inner))
    return os.path.getsize(path)


def open_input(path: str) -> BinaryIO:
    """Open a local file or a URI for binary reading."""
    if is_uri(path):
        fs, inner = _filesystem(path)
        return fs.open(inner, "rb")
    return open(path, "rb")
