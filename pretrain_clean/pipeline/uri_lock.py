"""The output lock on object stores (``s3://``, ``gs://``...): ``OUT/_run.lock`` as an object.

* Taken by creating the object only if it is absent (S3's conditional ``If-None-Match: *``,
  through fsspec's exclusive ``"xb"`` mode), then reading it back: the object must hold this
  run's ``run_id``. On a store without exclusive create, the object is written when absent
  and read back after :data:`SETTLE_S` seconds (of two racing runs, the one whose write
  landed last holds it; the other sees a foreign run id and fails).
* The holder rewrites ``heartbeat`` every :data:`HEARTBEAT_S` seconds from a thread. A lock
  is stale, and taken over, when its run is gone from this host (its pid is dead, as for a
  local lock) or when its heartbeat is older than :data:`STALE_S` (a run killed on another
  machine). Taking over deletes the stale object (after checking it is still the same one)
  and creates a new one as above.
* Released (deleted) when the run ends, if it still holds this run's id.
"""
from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import uuid
from typing import Any

from pretrain_clean.errors import UsageError
from pretrain_clean.pipeline import storage
from pretrain_clean.pipeline.plan import LOCK_FILE

log = logging.getLogger(__name__)

HEARTBEAT_S = 30.0
"""Seconds between two rewrites of a held lock's ``heartbeat``."""
STALE_S = 300.0
"""A lock whose heartbeat is older than this (ten missed heartbeats) belongs to a dead run."""
SETTLE_S = 1.0
"""Seconds to wait before reading a lock back on a store without exclusive create."""


def pid_alive(pid: int) -> bool:
    """True when process ``pid`` exists on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def is_stale(holder: dict[str, Any], host: str, now: float) -> bool:
    """True when the run that wrote ``holder`` is gone: a dead pid on this ``host``, or no
    heartbeat for :data:`STALE_S` seconds.

    >>> is_stale({"host": "a", "pid": 1, "heartbeat": 1000.0}, "b", 1000.0 + STALE_S)
    False
    >>> is_stale({"host": "a", "pid": 1, "heartbeat": 1000.0}, "b", 1000.1 + STALE_S)
    True
    """
    pid = holder.get("pid")
    if holder.get("host") == host and isinstance(pid, int) and not pid_alive(pid):
        return True
    beat = holder.get("heartbeat")
    return isinstance(beat, (int, float)) and now - beat > STALE_S


class UriLock:
    """``OUT/_run.lock`` on an object store; :meth:`acquire`, then :meth:`release`."""

    def __init__(self, out_dir: str) -> None:
        self.out_dir = out_dir
        self.path = storage.join(out_dir, LOCK_FILE)
        self.fs, self.inner = storage.filesystem(self.path)
        now = time.time()
        self.info = {"run_id": uuid.uuid4().hex, "pid": os.getpid(), "host": socket.gethostname(),
                     "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "heartbeat": now}
        self._stop = threading.Event()
        self._beat: threading.Thread | None = None

    def read(self) -> dict[str, Any] | None:
        """The lock's content; None when there is no lock ({} when it cannot be parsed)."""
        try:
            data = self.fs.cat_file(self.inner)
        except FileNotFoundError:
            return None
        try:
            holder = json.loads(data)
        except ValueError:
            return {}
        return holder if isinstance(holder, dict) else {}

    def _data(self) -> bytes:
        return (json.dumps(self.info) + "\n").encode()

    def _create(self) -> bool:
        """Create the lock if absent; True when this run holds it afterwards."""
        try:
            with self.fs.open(self.inner, "xb") as fh:
                fh.write(self._data())
        except FileExistsError:
            return False
        except (ValueError, NotImplementedError):  # this store has no exclusive create
            if self.fs.exists(self.inner):
                return False
            self.fs.pipe_file(self.inner, self._data())
            time.sleep(SETTLE_S)
        holder = self.read()
        return holder is not None and holder.get("run_id") == self.info["run_id"]

    def acquire(self) -> None:
        """Take the lock or raise :class:`UsageError` naming the run that holds it."""
        for _ in range(5):
            if self._create():
                self._beat = threading.Thread(target=self._heartbeat, name="run-lock heartbeat", daemon=True)
                self._beat.start()
                return
            holder = self.read()
            if holder is None:
                continue  # released meanwhile: try again
            if holder and is_stale(holder, self.info["host"], time.time()):
                log.warning("%s: taking over the lock of a run that is gone (%s)", self.path, holder)
                if self.read() == holder:  # not taken over by another run meanwhile
                    self.fs.rm_file(self.inner)
                continue
            if not holder:
                raise UsageError(f"{self.path} exists but cannot be read; if no run writes to "
                                 f"{self.out_dir}, delete it")
            if holder.get("run_id") == self.info["run_id"]:
                continue
            raise UsageError(
                f"output {self.out_dir} is in use by another run (pid {holder.get('pid')} on "
                f"{holder.get('host')}, started {holder.get('started', '?')}); wait for it, or choose "
                f"another --output (if that run is gone, delete {self.path}, or wait {STALE_S:.0f} s "
                "after its last heartbeat)")
        raise UsageError(f"could not take {self.path}: other runs keep replacing it")

    def _heartbeat(self) -> None:
        while not self._stop.wait(HEARTBEAT_S):
            try:
                holder = self.read()
                if holder is None or holder.get("run_id") != self.info["run_id"]:
                    log.warning("%s: this run's lock was taken over by %s", self.path, holder)
                    return
                self.info["heartbeat"] = time.time()
                self.fs.pipe_file(self.inner, self._data())
            except OSError as exc:  # a store hiccup: try again at the next beat
                log.warning("%s: heartbeat failed: %s", self.path, exc)

    def release(self) -> None:
        """Stop the heartbeat and delete the lock if this run still holds it."""
        self._stop.set()
        if self._beat is not None:
            self._beat.join()
        holder = self.read()
        if holder is not None and holder.get("run_id") == self.info["run_id"]:
            self.fs.rm_file(self.inner)
