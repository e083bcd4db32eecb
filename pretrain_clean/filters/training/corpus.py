"""Read training text from paths: plain text, or anything the pipeline's readers take.

* ``.txt`` / ``.txt.gz`` / ``.txt.zst``: one document per non-blank line.
* ``.jsonl``/``.json`` (``.gz``/``.zst``), ``.parquet`` (e.g. a cleaned corpus's
  ``kept/part-*.parquet``), ``.warc[.gz]``, ``.html``: read by :mod:`pipeline.readers`
  (HTML through trafilatura); records it quarantines are skipped.
* a directory: every such file under it, in sorted order.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

from pretrain_clean.pipeline.config import InputConfig
from pretrain_clean.pipeline.plan import expand_inputs
from pretrain_clean.pipeline.readers import Document, read_records


def expand(paths: list[str]) -> list[Path]:
    """Files named by ``paths`` (directories expanded) through the pipeline's one lister."""
    return [Path(f) for f in expand_inputs(paths)]


def read_texts(paths: list[str], text_field: str = "text") -> Iterator[str]:
    """Yield the documents' texts from every file in ``paths``."""
    cfg = InputConfig(text_field=text_field, txt_split="line")
    for path in expand(paths):
        for record in read_records(str(path), cfg, str(path)):
            if isinstance(record, Document) and record.text.strip():
                yield record.text
