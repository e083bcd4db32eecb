"""Turn command-line inputs into files and part tasks: the one input lister of every job.

One policy everywhere: a path, a folder (searched recursively) or a glob must name at least
one readable input, else :class:`UsageError`; each file is listed once however many paths
reach it (deduplicated by real path, so a symlink loop cannot repeat a file); symlinks that
leave the input tree are not followed unless asked; files of unknown type inside a folder,
unreadable subfolders and symlinks not followed are named in one warning, never skipped
silently. Remote inputs (``s3://...``) are listed through fsspec.
"""
from __future__ import annotations

import glob
import hashlib
import json
import logging
import os
import posixpath
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from pretrain_clean.errors import MissingInput, UsageError
from pretrain_clean.pipeline import storage
from pretrain_clean.pipeline.parts import PARTS_DIR, PartTask
from pretrain_clean.pipeline.readers import SUFFIXES, is_supported
from pretrain_clean.pipeline.storage import expand_uri, is_uri, size

RUN_FILE = "_run.json"
LOCK_FILE = "_run.lock"
RUN_MARKERS = (RUN_FILE, LOCK_FILE, PARTS_DIR, "stats.json")
"""Files a clean run leaves in its output; a folder holding one is a run's output, not raw input."""
WARN_NAMES = 10
"""How many paths of each kind the listing warning names (the rest are counted)."""

log = logging.getLogger(__name__)


@dataclass
class Listing:
    """What a walk over the inputs found: files to read, and what it left out and why."""

    files: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)

    def warning(self) -> str | None:
        """One message naming everything left out, or None when nothing was."""
        parts = []
        for title, items in (("files of unknown type", self.unknown), ("unreadable folders or files", self.unreadable),
                             ("symlinks leaving the input tree (pass --follow-symlinks to read them)", self.outside)):
            if items:
                named = ", ".join(sorted(items)[:WARN_NAMES])
                more = f" and {len(items) - WARN_NAMES} more" if len(items) > WARN_NAMES else ""
                parts.append(f"{len(items)} {title}: {named}{more}")
        return "inputs not read: " + "; ".join(parts) if parts else None


def inside(path: str, root: str) -> bool:
    """True when ``path`` is ``root`` or lies under it (both real, absolute paths).

    >>> inside("/a/b/c", "/a/b"), inside("/a/bc", "/a/b"), inside("/a/b", "/a/b")
    (True, False, True)
    """
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _glob_root(pattern: str) -> str:
    """The folder part of a glob before its first wildcard: the input tree it searches.

    >>> _glob_root("data/*/x.jsonl"), _glob_root("*.jsonl")
    ('data', '.')
    """
    parts = Path(pattern).parts
    fixed = [p for p in parts[: next(i for i, p in enumerate(parts) if glob.has_magic(p))]]
    return str(Path(*fixed)) if fixed else "."


def run_marker(folder: str) -> str | None:
    """The path of a run-output marker directly inside ``folder``, if there is one."""
    for name in RUN_MARKERS:
        if os.path.lexists(os.path.join(folder, name)):
            return os.path.join(folder, name)
    return None


def _refuse_run_output(folder: str) -> None:
    """Raise :class:`UsageError` when ``folder`` is (part of) an earlier run's output."""
    if marker := run_marker(folder):
        raise UsageError(f"input {folder} holds the output of an earlier run ({marker}); "
                         "inputs must be raw data: name the raw files, or pass a run's kept/ folder to a later job")


def _walk(top: str, root: str, wanted: Callable[[str], bool], listing: Listing, follow: bool,
          refuse_run_outputs: bool, seen_dirs: set[str]) -> None:
    """Add the files under folder ``top`` to ``listing``; ``root`` is the input tree's real path."""
    stack = [top]
    seen_dirs.add(os.path.realpath(top))
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name, reverse=True)
        except OSError as exc:
            listing.unreadable.append(f"{folder} ({exc.strerror or exc})")
            continue
        if refuse_run_outputs:
            _refuse_run_output(folder)
        for entry in entries:
            path = entry.path
            try:
                if entry.is_symlink():
                    real = os.path.realpath(path)
                    if not os.path.exists(real):
                        listing.unreadable.append(f"{path} (broken symlink)")
                        continue
                    if not follow and not inside(real, root):
                        listing.outside.append(f"{path} -> {real}")
                        continue
                if entry.is_dir():
                    real = os.path.realpath(path)
                    if real not in seen_dirs:  # a symlink loop ends here
                        seen_dirs.add(real)
                        stack.append(path)
                elif entry.is_file():
                    (listing.files if wanted(entry.name) else listing.unknown).append(path)
                else:
                    listing.unknown.append(path)
            except OSError as exc:
                listing.unreadable.append(f"{path} ({exc.strerror or exc})")


def _no_inputs(pattern: str, kinds: str, why: str | None = None) -> UsageError:
    return UsageError(f"no input files ({kinds}) in: {pattern}" + (f" ({why})" if why else ""))


def list_inputs(patterns: list[str], *, wanted: Callable[[str], bool] = is_supported,
                kinds: str = ", ".join(SUFFIXES), follow_symlinks: bool = False,
                refuse_run_outputs: bool = False, corpus_dirs: bool = False) -> Listing:
    """List the files named by ``patterns`` (paths, folders, globs, URIs); see the module doc.

    ``wanted(name)`` picks the file types a folder contributes (``kinds`` names them in
    messages). ``corpus_dirs``: a folder holding ``kept/`` (a clean run's output) stands for
    its ``kept/`` files. ``refuse_run_outputs``: a folder holding a run's markers is an error.
    """
    listing = Listing()
    local: dict[str, str] = {}  # real path -> the plainest path reaching it
    for pattern in patterns:
        seen_dirs: set[str] = set()  # per pattern, so each pattern finds its own files
        if is_uri(pattern):
            kept = storage.join(pattern, "kept")
            top = kept if corpus_dirs and storage.exists(kept) else pattern
            found_uris = expand_uri(top, lambda name: wanted(name) and not storage.is_unpublished(name))
            if found_uris is None:
                raise MissingInput(f"input not found: {pattern}")
            if not found_uris:
                raise _no_inputs(pattern, kinds)
            listing.files += found_uris
            continue
        magic = glob.has_magic(pattern)
        if not magic and not os.path.lexists(pattern):
            raise MissingInput(f"input not found: {pattern}")
        root = os.path.realpath(_glob_root(pattern) if magic else pattern)
        matches = sorted(glob.glob(pattern, recursive=True)) if magic else [pattern]
        found = Listing()
        for match in matches:
            if magic and os.path.islink(match) and not follow_symlinks \
                    and not inside(os.path.realpath(match), root):
                found.outside.append(f"{match} -> {os.path.realpath(match)}")
            elif os.path.isdir(match):
                kept = os.path.join(match, "kept")
                top = kept if corpus_dirs and os.path.isdir(kept) else match
                _walk(top, os.path.realpath(match) if not magic else root, wanted, found,
                      follow_symlinks, refuse_run_outputs, seen_dirs)
            elif os.path.isfile(match):
                if refuse_run_outputs:
                    _refuse_run_output(os.path.dirname(match) or ".")
                if not wanted(os.path.basename(match)):
                    if magic:
                        found.unknown.append(match)
                        continue
                    raise UsageError(f"{match}: unsupported input type (expected {kinds})")
                found.files.append(match)
            elif not os.path.exists(match):
                found.unreadable.append(f"{match} (broken symlink)")
            else:
                found.unknown.append(match)
        if not found.files:
            raise _no_inputs(pattern, kinds, found.warning())
        for path in found.files:
            real, path = os.path.realpath(path), os.path.abspath(path)
            local[real] = min(local.get(real, path), path, key=lambda p: (p != real, len(p), p))
        listing.unknown += found.unknown
        listing.unreadable += found.unreadable
        listing.outside += found.outside
    listing.files = sorted(set(listing.files) | set(local.values()))
    return listing


def expand_inputs(patterns: list[str], **options: Any) -> list[str]:
    """Files named by paths, folders (searched recursively) and globs, sorted and each once.

    Every pattern must match at least one readable input, or :class:`UsageError` says which;
    what was left out is named in one warning. Options: see :func:`list_inputs`.
    """
    listing = list_inputs(patterns, **options)
    message = listing.warning()
    if message:
        log.warning("warning: %s", message)
    return listing.files


def plan_tasks(files: list[str]) -> list[PartTask]:
    """One task per file; source names are paths relative to the inputs' common folder."""
    if not files:
        return []
    names = [f.split("://", 1)[-1] for f in files]  # URIs compare by their path part
    root = posixpath.commonpath([posixpath.dirname(n) for n in names])
    return [
        PartTask(index, path, posixpath.relpath(name, root), size(path))
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
