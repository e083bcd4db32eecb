"""Read training text from paths: plain text, JSON lines (optionally gzip/zstd) or parquet.

* ``.txt`` (and ``.txt.gz``): one document per non-empty line.
* ``.jsonl``/``.json`` (``.gz``, ``.zst``): one JSON object per line, text in ``text_field``.
* ``.parquet``: the ``text_field`` column (e.g. a cleaned corpus's ``kept/part-*.parquet``).
* a directory: every such file under it, in sorted order.
"""
from __future__ import annotations

import gzip
import io
import json
from pathlib import Path
from typing import IO, Iterator

SUFFIXES = (".txt", ".jsonl", ".json", ".parquet")


def _open_text(path: Path) -> IO[str]:
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8")
    if path.suffix == ".zst":
        import zstandard

        return io.TextIOWrapper(zstandard.ZstdDecompressor().stream_reader(path.open("rb")), encoding="utf-8")
    return path.open(encoding="utf-8")


def _base_suffix(path: Path) -> str:
    return Path(path.stem).suffix if path.suffix in (".gz", ".zst") else path.suffix


def expand(paths: list[str]) -> list[Path]:
    """Files named by ``paths`` (directories expanded); raises naming a missing path."""
    files: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            files.extend(f for f in sorted(p.rglob("*")) if f.is_file() and _base_suffix(f) in SUFFIXES)
        elif p.is_file():
            files.append(p)
        else:
            raise FileNotFoundError(f"input not found: {p}")
    return files


def read_texts(paths: list[str], text_field: str = "text") -> Iterator[str]:
    """Yield the documents' texts from every file in ``paths``."""
    for path in expand(paths):
        kind = _base_suffix(path)
        if kind == ".parquet":
            import pyarrow.parquet as pq

            table = pq.read_table(path, columns=[text_field])
            yield from (t for t in table.column(text_field).to_pylist() if t)
        elif kind in (".jsonl", ".json"):
            with _open_text(path) as fh:
                for lineno, line in enumerate(fh, 1):
                    if not line.strip():
                        continue
                    try:
                        text = json.loads(line).get(text_field)
                    except (json.JSONDecodeError, AttributeError) as exc:
                        raise ValueError(f"{path}:{lineno}: not a JSON object ({exc})") from exc
                    if text:
                        yield text
        elif kind == ".txt":
            with _open_text(path) as fh:
                yield from (line.rstrip("\n") for line in fh if line.strip())
        else:
            raise ValueError(f"{path}: unknown input format (expected {', '.join(SUFFIXES)}, optionally .gz/.zst)")
