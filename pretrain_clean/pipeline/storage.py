"""Every read and write of every job: local paths or fsspec URIs (``s3://``, ``gs://``,
``hdfs://``, ``file://``, ``memory://``), through one set of functions.

Object stores have no atomic rename, so every writer here **writes, then publishes**:

- a local file is written to ``.NAME.tmp-PID`` beside its target and renamed into place;
- a remote object is written to a local temp file and uploaded in one ``put`` when complete
  (an object store shows an object only once its upload has finished).

A killed writer therefore never leaves a file under its final name that looks complete;
what it may leave (local ``.*.tmp-*`` files) is ignored by listings and removed by the next
run. Multi-file results follow the rule "a unit is complete when its marker exists, written
last" (``_parts/part-N.json``, ``_dedup.json``, ``manifest.json``); reruns trust nothing else.

Remote locations need their fsspec backend (``pip install 'pretrain-clean[s3]'`` for s3fs) on
the driver and on every executor; a missing backend is a start-up error.
"""
from __future__ import annotations

import hashlib
import os
import posixpath
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO, Iterator

from pretrain_clean.errors import EnvironmentProblem

TMP_MARK = ".tmp-"
CACHE_ENV = "PRETRAIN_CLEAN_CACHE"
"""Folder for local copies of remote resources (default: ``<tmp>/pretrain-clean-cache``)."""


def is_uri(path: str) -> bool:
    """True for ``protocol://...`` locations.

    >>> is_uri("s3://bucket/cc/part-0.jsonl.gz"), is_uri("data/sample")
    (True, False)
    """
    return "://" in str(path)


def is_unpublished(name: str) -> bool:
    """True for a writer's temp file (never a complete output).

    >>> is_unpublished(".part-00001.parquet.tmp-42"), is_unpublished("part-00001.parquet")
    (True, False)
    """
    return name.startswith(".") and TMP_MARK in name


def absolute(path: str) -> str:
    """``path`` made absolute on the driver (URIs are left as they are), so tasks built from
    it mean the same place on every executor.

    >>> absolute("s3://b/out"), absolute("/srv/out")
    ('s3://b/out', '/srv/out')
    """
    path = str(path)
    return path if is_uri(path) else os.path.abspath(os.path.expanduser(path))


def join(base: str, *names: str) -> str:
    """``base/name/...`` for a local path or a URI.

    >>> join("s3://b/out/", "_parts", "part-00000.json")
    's3://b/out/_parts/part-00000.json'
    >>> join("/srv/out", "kept")
    '/srv/out/kept'
    """
    base = str(base)
    if is_uri(base):
        return posixpath.join(base.rstrip("/"), *names)
    return os.path.join(base, *names)


def parent(path: str) -> str:
    """The folder holding ``path``.

    >>> parent("s3://b/out/work"), parent("/srv/out/work/")
    ('s3://b/out', '/srv/out')
    """
    path = str(path).rstrip("/")
    return posixpath.dirname(path) if is_uri(path) else os.path.dirname(path)


def basename(path: str) -> str:
    """The last name of a path or URI.

    >>> basename("s3://b/out/kept/part-00001.parquet")
    'part-00001.parquet'
    """
    return posixpath.basename(str(path).rstrip("/"))


def filesystem(path: str) -> tuple[Any, str]:
    """``(fsspec filesystem, path inside it)`` for a URI or a local path.

    A URI whose backend is not installed raises :class:`StorageBackendMissing`."""
    import fsspec

    path = str(path)
    # No listing cache: markers written by other processes (executors) must be seen at once.
    options = {} if path.startswith(("file://", "local://")) else {"use_listings_cache": False}
    try:
        try:
            return fsspec.core.url_to_fs(path, **options)
        except TypeError:  # a backend that takes no listing-cache option
            return fsspec.core.url_to_fs(path)
    except ImportError as exc:
        raise StorageBackendMissing(f"{path}: {exc}") from exc


def _with_protocol(fs: Any, path: str) -> str:
    protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
    return f"{protocol}://{path}"


def exists(path: str) -> bool:
    if not is_uri(path):
        return os.path.exists(path)
    fs, inner = filesystem(path)
    return bool(fs.exists(inner))


def is_file(path: str) -> bool:
    if not is_uri(path):
        return os.path.isfile(path)
    fs, inner = filesystem(path)
    return bool(fs.isfile(inner))


def size(path: str) -> int:
    """Size in bytes of a local file or a URI."""
    if not is_uri(path):
        return os.path.getsize(path)
    fs, inner = filesystem(path)
    return int(fs.size(inner))


def open_input(path: str) -> BinaryIO:
    """Open a local file or a URI for binary reading."""
    if not is_uri(path):
        return open(path, "rb")
    fs, inner = filesystem(path)
    return fs.open(inner, "rb")


def read_bytes(path: str) -> bytes:
    with open_input(path) as fh:
        return fh.read()


def read_text(path: str) -> str:
    return read_bytes(path).decode("utf-8")


def list_files(folder: str, suffix: str = "") -> list[str]:
    """Published files directly in ``folder`` whose names end with ``suffix``, sorted by name;
    ``[]`` when the folder does not exist."""
    if not is_uri(folder):
        if not os.path.isdir(folder):
            return []
        names = [n for n in os.listdir(folder) if os.path.isfile(os.path.join(folder, n))]
        return [os.path.join(folder, n) for n in sorted(names) if n.endswith(suffix) and not is_unpublished(n)]
    fs, inner = filesystem(folder)
    if not fs.isdir(inner):
        return []
    entries = fs.ls(inner, detail=True)
    files = sorted(e["name"] for e in entries if e["type"] == "file")
    return [_with_protocol(fs, f) for f in files
            if f.endswith(suffix) and not is_unpublished(posixpath.basename(f))]


def expand_uri(pattern: str, wanted: Any) -> list[str] | None:
    """Files under a URI (a file, a folder searched recursively, or a glob) for which
    ``wanted(name)`` holds; ``None`` when nothing exists there."""
    fs, path = filesystem(pattern)
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


def remove_tree(path: str) -> None:
    """Delete a file or folder (recursively) if it exists."""
    if not is_uri(path):
        if os.path.isdir(path):
            shutil.rmtree(path)
        elif os.path.lexists(path):
            os.unlink(path)
        return
    fs, inner = filesystem(path)
    if fs.exists(inner):
        fs.rm(inner, recursive=True)


def remove_unpublished(folder: str) -> int:
    """Delete temp files a killed writer left under a local ``folder``; returns how many.
    (Remote writers leave none: an unfinished upload never becomes an object.)"""
    if is_uri(folder) or not os.path.isdir(folder):
        return 0
    stale = [p for p in Path(folder).rglob(f".*{TMP_MARK}*") if p.is_file()]
    for p in stale:
        p.unlink()
    return len(stale)


def makedirs(path: str) -> None:
    """Create a local folder (object stores need none)."""
    if not is_uri(path):
        os.makedirs(path, exist_ok=True)


class OutputFile:
    """A file being written to ``path``: write to :attr:`stream`, then :meth:`publish` (or
    :meth:`discard`). Nothing appears under ``path`` before :meth:`publish`."""

    def __init__(self, path: str) -> None:
        self.path = str(path)
        self.remote = is_uri(self.path)
        name = f".{basename(self.path)}{TMP_MARK}{os.getpid()}"
        if self.remote:
            filesystem(self.path)  # fail now if the backend is missing
            self._tmp_dir = tempfile.mkdtemp(prefix="pretrain-clean-out-")
            self.tmp = os.path.join(self._tmp_dir, name)
        else:
            os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
            self.tmp = os.path.join(os.path.dirname(os.path.abspath(self.path)), name)
        self.stream: BinaryIO = open(self.tmp, "wb")

    def publish(self) -> None:
        self.stream.close()
        try:
            if self.remote:
                fs, inner = filesystem(self.path)
                fs.put_file(self.tmp, inner)
            else:
                os.replace(self.tmp, self.path)
        finally:
            self._cleanup()

    def discard(self) -> None:
        self.stream.close()
        self._cleanup()

    def _cleanup(self) -> None:
        if os.path.exists(self.tmp):
            os.unlink(self.tmp)
        if self.remote:
            shutil.rmtree(self._tmp_dir, ignore_errors=True)


@contextmanager
def open_output(path: str) -> Iterator[BinaryIO]:
    """``with open_output(path) as fh: fh.write(...)``: published when the block succeeds,
    discarded when it raises."""
    out = OutputFile(path)
    try:
        yield out.stream
    except BaseException:
        out.discard()
        raise
    out.publish()


def write_bytes(path: str, data: bytes) -> None:
    """Write ``data`` to ``path``, then publish it."""
    with open_output(path) as fh:
        fh.write(data)


def write_text(path: str, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


def staging_path(dest: str | Path) -> Path:
    """A local temp path to build ``dest`` in when a library insists on writing a file itself
    (``model.save_model(path)``, ``build_binary``); then :func:`publish_file` it."""
    dest = str(dest)
    if is_uri(dest):
        return Path(tempfile.mkdtemp(prefix="pretrain-clean-out-")) / f".{basename(dest)}{TMP_MARK}{os.getpid()}"
    return Path(absolute(dest)).with_name(f".{basename(dest)}{TMP_MARK}{os.getpid()}")


def publish_file(local: str | Path, dest: str | Path) -> None:
    """Publish the complete local file ``local`` as ``dest`` (a rename, or one upload)."""
    dest = str(dest)
    if is_uri(dest):
        fs, inner = filesystem(dest)
        try:
            fs.put_file(str(local), inner)
        finally:
            os.unlink(local)
    else:
        os.makedirs(os.path.dirname(absolute(dest)), exist_ok=True)
        os.replace(local, dest)


def publish_folder(local_dir: str | Path, dest: str, last: tuple[str, ...] = ()) -> None:
    """Copy the files of ``local_dir`` (not recursive) into ``dest``, each written then
    published; the names in ``last`` (markers) are published after all the others."""
    files = sorted(p for p in Path(local_dir).iterdir() if p.is_file())
    files.sort(key=lambda p: p.name in last)
    makedirs(dest)
    for item in files:
        with open(item, "rb") as src, open_output(join(dest, item.name)) as fh:
            shutil.copyfileobj(src, fh, 1 << 20)


@contextmanager
def staged_folder(dest: str, last: tuple[str, ...] = ()) -> Iterator[Path]:
    """Yield a local staging folder; when the block succeeds, each file made there is
    published into ``dest`` (other files in ``dest`` are left alone; ``last`` ones last).
    A failed or killed block leaves ``dest`` as it was."""
    if is_uri(dest):
        staging = Path(tempfile.mkdtemp(prefix="pretrain-clean-stage-"))
    else:
        out = Path(absolute(dest))
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = out.with_name(f".{out.name}{TMP_MARK}{os.getpid()}")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
    try:
        yield staging
        if is_uri(dest):
            publish_folder(staging, dest, last)
        else:
            out.mkdir(exist_ok=True)
            for item in sorted((p for p in staging.iterdir() if p.is_file()), key=lambda p: (p.name in last, p.name)):
                os.replace(item, out / item.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def parquet_file(path: str) -> Any:
    """``pyarrow.parquet.ParquetFile`` over a local path or a URI."""
    import pyarrow.parquet as pq

    return pq.ParquetFile(path if not is_uri(path) else open_input(path))


def local_work_dir(path: str) -> str:
    """A local folder for scratch files (spills, spools) of a job whose folder is ``path``:
    ``path`` itself when local, else a folder under the machine's temp dir named after it."""
    if not is_uri(path):
        return absolute(path)
    return str(Path(tempfile.gettempdir()) / "pretrain-clean-work" / hashlib.sha256(path.encode()).hexdigest()[:16])


def local_copy(path: str) -> Path:
    """A local file with the content of ``path``: the path itself when it is local, else a
    copy fetched once per machine into the cache (keyed by URI, size and modification time,
    so a changed object is fetched again). A missing remote file gives a path that does not
    exist, so callers report it like a missing local file."""
    if not is_uri(path):
        return Path(path)
    fs, inner = filesystem(path)
    try:
        info = fs.info(inner)
    except FileNotFoundError:
        return _cache_dir() / "missing" / basename(path)
    if info.get("type") != "file":
        return _cache_dir() / "missing" / basename(path)
    stamp = f"{path}|{info.get('size')}|{info.get('LastModified') or info.get('mtime') or info.get('ETag')}"
    target = _cache_dir() / hashlib.sha256(stamp.encode()).hexdigest()[:24] / basename(path)
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}{TMP_MARK}{os.getpid()}")
        fs.get_file(inner, str(tmp))
        os.replace(tmp, target)  # concurrent fetchers on one machine: the last rename wins, same bytes
    return target


def _cache_dir() -> Path:
    return Path(os.environ.get(CACHE_ENV) or Path(tempfile.gettempdir()) / "pretrain-clean-cache")


class StorageBackendMissing(EnvironmentProblem):
    """The fsspec backend for a URI's protocol is not installed (e.g. s3fs for ``s3://``)."""
