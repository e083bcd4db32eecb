"""Guards on a job's output folder: one run at a time, never inside its inputs.

* :func:`check_locations` refuses an output inside an input (the run would read its own
  results) or an input inside the output (``--overwrite`` would delete it), before any work.
* :func:`output_lock` holds ``OUT/_run.lock`` (pid, host, start time) for the whole run: a
  second run into the same output fails fast naming the first; a lock whose process is gone
  from this host (a killed run) is stale and taken over. On object stores the lock is an
  object created only if absent, with a heartbeat (:mod:`pipeline.uri_lock`).
* :func:`clear_output` is ``--overwrite``: it empties the output, keeping the lock.
"""
from __future__ import annotations

import glob
import json
import os
import shutil
import socket
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from pretrain_clean.errors import UsageError
from pretrain_clean.pipeline.plan import LOCK_FILE, inside
from pretrain_clean.pipeline import storage
from pretrain_clean.pipeline.storage import is_uri
from pretrain_clean.pipeline.uri_lock import UriLock, pid_alive


def check_locations(patterns: list[str], out_dir: str) -> None:
    """Raise :class:`UsageError` when the output and an input contain one another."""
    if is_uri(out_dir):
        return
    out = os.path.realpath(out_dir)
    for pattern in patterns:
        if is_uri(pattern):
            continue
        matches = glob.glob(pattern, recursive=True) if glob.has_magic(pattern) else [pattern]
        for match in matches:
            real = os.path.realpath(match)
            if os.path.isdir(match) and inside(out, real):
                raise UsageError(f"output {out_dir} is inside input {match}: the run would read its own "
                                 "results; choose an output folder outside the inputs")
            if inside(real, out):
                raise UsageError(f"input {match} is inside output {out_dir}: the run would overwrite "
                                 "its own input; choose another --output")


def _holder(lock: Path) -> dict:
    try:
        return json.loads(lock.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _try_create(lock: Path, info: dict) -> bool:
    """Create ``lock`` holding ``info`` atomically (complete or absent); False if it exists."""
    tmp = lock.with_name(f".{lock.name}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(info) + "\n", encoding="utf-8")
    try:
        os.link(tmp, lock)
        return True
    except FileExistsError:
        return False
    finally:
        tmp.unlink(missing_ok=True)


def acquire(out_dir: str) -> Path:
    """Take ``OUT/_run.lock`` or raise :class:`UsageError` naming the run that holds it."""
    lock = Path(out_dir) / LOCK_FILE
    info = {"pid": os.getpid(), "host": socket.gethostname(),
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    for _ in range(5):
        if _try_create(lock, info):
            return lock
        holder = _holder(lock)
        pid, host = holder.get("pid"), holder.get("host")
        if host == info["host"] and isinstance(pid, int) and not pid_alive(pid):
            stale = lock.with_name(f".{lock.name}.stale-{os.getpid()}")
            try:  # one of two racing runs wins the rename; the other retries and finds the winner's lock
                os.rename(lock, stale)
                stale.unlink()
            except FileNotFoundError:
                pass
            continue
        if not holder:
            raise UsageError(f"{lock} exists but cannot be read; if no run writes to {out_dir}, delete it")
        raise UsageError(f"output {out_dir} is in use by another run (pid {pid} on {host}, started "
                         f"{holder.get('started', '?')}); wait for it, or choose another --output "
                         f"(if that run is gone, delete {lock})")
    raise UsageError(f"could not take {lock}: other runs keep replacing it")


@contextmanager
def output_lock(out_dir: str) -> Iterator[Path | str]:
    """Hold the output's lock for the block; an output folder this call made and left empty
    is removed again (a run refused before any work leaves nothing behind). Outputs on
    object stores (URIs) hold :class:`pipeline.uri_lock.UriLock`."""
    if is_uri(out_dir):
        remote = UriLock(out_dir)
        remote.acquire()
        try:
            yield remote.path
        finally:
            remote.release()
        return
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise UsageError(f"output {out_dir} is a file, not a folder")
    created = not out.exists()
    try:
        out.mkdir(parents=True, exist_ok=True)
        lock = acquire(out_dir)
    except OSError as exc:
        raise UsageError(f"output directory is not writable: {out_dir} ({exc.strerror or exc})") from exc
    try:
        yield lock
    finally:
        if _holder(lock).get("pid") == os.getpid():
            lock.unlink(missing_ok=True)
        if created and out.is_dir() and not any(out.iterdir()):
            out.rmdir()


def clear_output(out_dir: str) -> None:
    """Delete everything in folder ``out_dir`` (local or a URI) but the lock (``--overwrite``)."""
    if is_uri(out_dir):
        fs, inner = storage.filesystem(out_dir)
        for item in fs.ls(inner, detail=False) if fs.isdir(inner) else ():
            if storage.basename(item) != LOCK_FILE:
                fs.rm(item, recursive=True)
        return
    out = Path(out_dir)
    for item in out.iterdir() if out.is_dir() else ():
        if item.name == LOCK_FILE:
            continue
        if item.is_dir() and not item.is_symlink():
            shutil.rmtree(item)
        else:
            item.unlink()
