"""Writes that appear complete or not at all (temp file or folder, then rename)."""
from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temp file and a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


@contextmanager
def staged_files(out_dir: str | Path) -> Iterator[Path]:
    """Yield a staging folder beside ``out_dir``; when the block succeeds, each file made there
    replaces its namesake in ``out_dir`` by rename (other files in ``out_dir`` are left alone).
    A failed or killed block leaves ``out_dir`` as it was."""
    out = Path(out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        yield staging
        out.mkdir(exist_ok=True)
        for item in sorted(staging.iterdir()):
            if item.is_file():
                os.replace(item, out / item.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
