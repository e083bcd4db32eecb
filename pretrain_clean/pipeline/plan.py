"""Turn command-line inputs into part tasks and guard the output directory."""
from __future__ import annotations

import glob
import hashlib
import json
import os
import posixpath
from pathlib import Path
from typing import Any

from pretrain_clean.errors import UsageError
from pretrain_clean.pipeline.parts import PartTask
from pretrain_clean.pipeline.readers import is_supported
from pretrain_clean.pipeline import storage
from pretrain_clean.pipeline.storage import expand_uri, input_size, is_uri

RUN_FILE = "_run.json"


def expand_inputs(patterns: list[str]) -> list[str]:
    """Files named by paths, directories (searched recursively) and globs, sorted and unique.

    Every pattern must match at least one readable input, or :class:`UsageError` says which.
    """
    files: set[str] = set()
    for pattern in patterns:
        if is_uri(pattern):
            found_uris = expand_uri(pattern, is_supported)
            if found_uris is None:
                raise UsageError(f"input not found: {pattern}")
            if not found_uris:
                raise UsageError(f"no input files (.jsonl, .json.gz, .parquet, .warc.gz, .html, ...) in: {pattern}")
            files.update(found_uris)
            continue
        matches = sorted(glob.glob(pattern, recursive=True)) if glob.has_magic(pattern) else [pattern]
        found = []
        for match in matches:
            path = Path(match)
            if path.is_dir():
                found += [str(p) for p in sorted(path.rglob("*")) if p.is_file() and is_supported(p.name)]
            elif path.is_file():
                found.append(str(path))
        if not found:
            if not glob.has_magic(pattern) and not Path(pattern).exists():
                raise UsageError(f"input not found: {pattern}")
            raise UsageError(f"no input files (.jsonl, .json.gz, .parquet, .warc.gz, .html, ...) in: {pattern}")
        files.update(os.path.abspath(f) for f in found)
    return sorted(files)


def plan_tasks(files: list[str]) -> list[PartTask]:
    """One task per file; source names are paths relative to the inputs' common folder."""
    if not files:
        return []
    names = [f.split("://", 1)[-1] for f in files]  # URIs compare by their path part
    root = posixpath.commonpath([posixpath.dirname(n) for n in names])
    return [
        PartTask(index, path, posixpath.relpath(name, root), input_size(path))
        for index, (path, name) in enumerate(zip(files, names))
    ]


def fingerprint(config_data: dict[str, Any], tasks: list[PartTask]) -> str:
    """A digest of the config and the inputs (names and sizes): what a rerun must match."""
    payload = json.dumps(
        {"config": config_data, "inputs": [(t.source, t.size) for t in tasks]},
        sort_keys=True, default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def prepare_output(out_dir: str, digest: str, overwrite: bool) -> None:
    """Create ``out_dir`` (a local folder or a URI; checking it is writable) and refuse to
    mix two different runs."""
    if overwrite:
        storage.remove_tree(out_dir)
    probe = storage.join(out_dir, f".write-probe-{os.getpid()}")
    try:
        storage.makedirs(out_dir)
        storage.write_text(probe, "ok")
        storage.remove_tree(probe)
    except (OSError, PermissionError) as exc:
        raise UsageError(f"output directory is not writable: {out_dir} ({getattr(exc, 'strerror', None) or exc})") from exc
    storage.remove_unpublished(out_dir)  # left by a killed run; never complete files
    run_file = storage.join(out_dir, RUN_FILE)
    if storage.exists(run_file):
        previous = json.loads(storage.read_text(run_file)).get("fingerprint")
        if previous != digest:
            raise UsageError(
                f"{out_dir} holds results of a different config or input; "
                "pass --overwrite to start fresh or choose another --output"
            )
    else:
        storage.write_text(run_file, json.dumps({"fingerprint": digest}) + "\n")
