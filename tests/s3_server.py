"""A moto S3 server on loopback for tests (the convention s3fs's own tests use).

``with moto_s3() as env:`` starts ``moto_server -H 127.0.0.1 -p PORT`` on a free port and
yields the environment (endpoint, dummy keys) that s3fs/boto3 in this process and in child
processes need; the variables are set in ``os.environ`` while the block runs.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server_command(port: int) -> list[str]:
    exe = shutil.which("moto_server") or str(Path(sys.executable).with_name("moto_server"))
    return [exe, "-H", "127.0.0.1", "-p", str(port)]


@contextmanager
def moto_s3(buckets: tuple[str, ...] = ("test",)) -> Iterator[dict[str, str]]:
    import boto3

    port = free_port()
    proc = subprocess.Popen(_server_command(port), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    env = {
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1",
    }
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        client = boto3.client("s3", endpoint_url=env["AWS_ENDPOINT_URL"])
        deadline = time.monotonic() + 30
        while True:
            try:
                client.list_buckets()
                break
            except Exception:  # noqa: BLE001 - not listening yet
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("moto_server did not start")
                time.sleep(0.2)
        for bucket in buckets:
            client.create_bucket(Bucket=bucket)
        import fsspec

        fsspec.config.conf.pop("s3", None)
        _clear_s3fs_instances()
        yield env
    finally:
        _clear_s3fs_instances()
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _clear_s3fs_instances() -> None:
    """s3fs caches filesystem objects (and their endpoint) per process; start fresh."""
    try:
        import s3fs

        s3fs.S3FileSystem.clear_instance_cache()
    except ImportError:
        pass


def upload_tree(local: Path, uri: str) -> None:
    """Copy the files under ``local`` to ``uri`` (same relative names)."""
    import fsspec

    fs, root = fsspec.core.url_to_fs(uri)
    for path in sorted(p for p in local.rglob("*") if p.is_file()):
        fs.put_file(str(path), f"{root}/{path.relative_to(local).as_posix()}")
