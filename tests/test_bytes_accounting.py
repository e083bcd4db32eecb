"""Bytes in the accounting, checked as a user would: the inputs are written here with records of
known byte sizes, the clean job runs, and ``stats.json`` and the funnel must hold exactly the
bytes counted here (never with our own stats helpers).

``bytes_in`` counts each record once: a document's text (UTF-8), a quarantined record's raw
bytes (the line, the WARC body, the file), and a record removed while reading (stage
``input``) by its body, which is also ``bytes_skipped``. Line ends, blank lines and the WARC and
HTTP headers are framing, counted nowhere. The funnel's "readable" row is what reaches the
first stage: ``bytes_in - bytes_quarantined - bytes_skipped``.
"""
from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from conftest import ROOT
from pretrain_clean.pipeline.clean import CleanOptions, clean
from pretrain_clean.pipeline.config import parse_config
from tests.test_hostile_inputs import ARTICLE

CAP = 4000
"""``input.max_text_bytes`` of these runs: the oversized PDF below is skipped at its full size."""


@pytest.fixture(params=["local", pytest.param("spark", marks=pytest.mark.slow)])
def engine(request: pytest.FixtureRequest) -> str:
    """The local engine, and Spark among the slow tests (both count through ``parts.process_part``)."""
    if request.param == "spark":
        request.getfixturevalue("spark")
    return request.param


def run(inputs: Path, out: Path, engine: str = "local", **input_cfg: Any) -> tuple[dict, dict[str, list[dict]]]:
    """Clean ``inputs`` (no stages: read, account, write) into ``out``; stats.json and the rows."""
    spec = parse_config({"stages": [], "input": {"max_text_bytes": CAP, **input_cfg}}, ROOT)
    clean(spec, [str(inputs)], str(out), CleanOptions(engine=engine, show_progress=False))
    rows = {name: [r for p in sorted((out / name).glob("*.parquet")) for r in pq.read_table(p).to_pylist()]
            for name in ("kept", "rejected", "quarantine")}
    return json.loads((out / "stats.json").read_text()), rows


def utf8(rows: list[dict]) -> int:
    return sum(len(r["text"].encode("utf-8")) for r in rows)


def funnel_row(out: Path, step: str) -> tuple[int, int]:
    """(documents, bytes) of ``step`` in ``funnel.md``, as a user reads it."""
    for line in (out / "funnel.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if cells[0] == step:
            return int(cells[1].replace(",", "")), int(cells[3].replace(",", ""))
    raise AssertionError(f"no {step!r} row in funnel.md")


def web_archive(path: Path) -> dict[str, int]:
    """A WARC with every kind of record the reader skips, two pages and one page without text;
    returns the body bytes written, by what must happen to the record."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=True)
    written = {"skipped": 0, "quarantined": 0}

    def record(url: str, kind: str, body: bytes, outcome: str, status: str | None = None,
               content_type: str | None = None) -> None:
        http = None
        if status is not None:
            http = StatusAndHeaders(status, [("Content-Type", content_type)] if content_type else [],
                                    protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record(url, kind, payload=io.BytesIO(body), http_headers=http,
                                                      warc_content_type=None if http else content_type))
        if outcome in written:
            written[outcome] += len(body)

    writer.write_record(writer.create_warcinfo_record(path.name, {"software": "test"}))
    written["skipped"] += len(b"software: test\r\n")  # warcio writes the fields as "name: value\r\n"
    request = StatusAndHeaders("GET / HTTP/1.1", [("Host", "a.example")], is_http_request=True)
    writer.write_record(writer.create_warc_record("https://a.example/?request", "request",
                                                  payload=io.BytesIO(b""), http_headers=request))  # no body: 0
    record("https://a.example/", "response", ARTICLE.format(t="Home").encode(), "kept", "200 OK", "text/html")
    record("https://a.example/doc.pdf", "response", b"%PDF-1.7 " + b"p" * 300, "skipped", "200 OK", "application/pdf")
    record("https://a.example/big.pdf", "response", b"%PDF-1.7 " + b"q" * (CAP + 500), "skipped", "200 OK",
           "application/pdf")  # over the cap: skipped all the same, at its full size
    record("https://a.example/logo", "response", b"\x89PNG\r\n\x1a\n" + bytes(range(256)), "skipped", "200 OK",
           "text/html")  # an image labelled as a page
    record("https://a.example/missing", "response", ARTICLE.format(t="Missing").encode(), "skipped",
           "404 Not Found", "text/html")
    record("https://a.example/old", "response", b"<a href='/'>moved</a>", "skipped", "301 Moved Permanently",
           "text/html")
    record("metadata://a.example/log", "resource", "wget 日志\n".encode() * 20, "skipped", content_type="text/plain")
    record("https://a.example/meta", "metadata", b"via: https://a.example/\r\n", "skipped",
           content_type="application/warc-fields")
    record("https://a.example/empty", "response", b"<html><body></body></html>", "quarantined", "200 OK",
           "text/html")  # html_no_text
    record("https://a.example/notes.txt", "response", "纯文本笔记，一行。".encode(), "kept", "200 OK",
           "text/plain; charset=utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())
    return written


def test_warc_skipped_records_count_their_body_bytes(tmp_path: Path, engine: str) -> None:
    written = web_archive(tmp_path / "in" / "crawl.warc.gz")
    stats, rows = run(tmp_path / "in", tmp_path / "out", engine)
    assert (len(rows["kept"]), len(rows["rejected"]), len(rows["quarantine"])) == (2, 9, 1)
    assert stats["removed"] == {"input.http_error_page": 1, "input.http_redirect": 1, "input.skipped_non_text": 3,
                                "input.skipped_record_type": 4}
    assert written["skipped"] == 16 + 309 + CAP + 509 + 264 + len(ARTICLE.format(t="Missing")) + 21 + 240 + 25
    assert stats["bytes_skipped"] == written["skipped"]
    assert stats["bytes_quarantined"] == written["quarantined"] == 26
    assert stats["bytes_in"] == utf8(rows["kept"]) + written["quarantined"] + written["skipped"]
    assert funnel_row(tmp_path / "out", "input") == (12, stats["bytes_in"])
    assert funnel_row(tmp_path / "out", "readable") == (2, utf8(rows["kept"]))


def test_jsonl_bad_lines_count_their_raw_bytes_and_blank_lines_nothing(tmp_path: Path) -> None:
    good = [json.dumps({"id": "a", "text": "good one"}).encode(),
            json.dumps({"id": "b", "text": "第二篇，中文。"}, ensure_ascii=False).encode()]
    bad = {  # kind -> the raw line, counted whole (without its line end)
        "malformed_json": b'{"text": "no closing brace"',
        "invalid_utf8": b'{"text": "caf\xe9"}',
        "not_an_object": b'["text", "a list"]',
        "missing_text": b'{"id": "no text here", "body": "elsewhere"}',
        "too_deep": b'{"text": "deep", "m": ' + b"[" * 150 + b"]" * 150 + b"}",
    }
    empty = json.dumps({"text": " \t "}).encode()  # empty_text: counted by its text, 3 bytes
    lines = [good[0], b"", *bad.values(), b"   ", empty, good[1]]
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.jsonl").write_bytes(b"\r\n".join(lines) + b"\r\n")
    stats, rows = run(tmp_path / "in", tmp_path / "out")
    assert sorted(r["kind"] for r in rows["quarantine"]) == sorted([*bad, "empty_text"])
    assert [r["text"] for r in rows["kept"]] == ["good one", "第二篇，中文。"]
    assert stats["bytes_quarantined"] == sum(len(line) for line in bad.values()) + 3
    assert stats["bytes_in"] == len("good one") + len("第二篇，中文。".encode()) + stats["bytes_quarantined"]
    assert stats["bytes_skipped"] == 0 and stats["documents_in"] == 8  # blank lines are not records
    assert funnel_row(tmp_path / "out", "readable") == (2, utf8(rows["kept"]))


def test_whole_text_files_count_their_file_sizes(tmp_path: Path) -> None:
    files = {"good.txt": "一个文件就是一篇文档。\nOne file, one document.\n".encode(),
             "latin1.txt": "café crème".encode("latin-1"),  # invalid_utf8: the whole file
             "big.txt": b"x" * (CAP + 1)}  # too_large: its full size, never held
    (tmp_path / "in").mkdir()
    for name, data in files.items():
        (tmp_path / "in" / name).write_bytes(data)
    stats, rows = run(tmp_path / "in", tmp_path / "out", txt_split="file")
    sizes = {name: (tmp_path / "in" / name).stat().st_size for name in files}
    assert stats["bytes_in"] == sum(sizes.values())
    assert stats["bytes_quarantined"] == sizes["latin1.txt"] + sizes["big.txt"]
    assert sorted(r["kind"] for r in rows["quarantine"]) == ["invalid_utf8", "too_large"]
    assert funnel_row(tmp_path / "out", "readable") == (1, sizes["good.txt"])


def test_a_resumed_run_reads_part_markers_written_before_bytes_skipped(tmp_path: Path) -> None:
    """Part markers from before the field (no ``bytes_skipped``) count 0 skipped bytes on resume;
    the parts run again count theirs."""
    web_archive(tmp_path / "in" / "a.warc.gz")
    written = web_archive(tmp_path / "in" / "b.warc.gz")
    first, _ = run(tmp_path / "in", tmp_path / "out")
    assert first["bytes_skipped"] == 2 * written["skipped"]
    markers = sorted((tmp_path / "out" / "_parts").glob("*.json"))
    assert len(markers) == 2
    old = json.loads(markers[0].read_text())
    del old["bytes_skipped"]
    markers[0].write_text(json.dumps(old))
    markers[1].unlink()  # this part runs again
    (tmp_path / "out" / "stats.json").unlink()
    again, rows = run(tmp_path / "in", tmp_path / "out")
    assert again["bytes_skipped"] == written["skipped"]
    assert again["bytes_in"] == first["bytes_in"]  # bytes_in never depended on the new field
    assert len(rows["rejected"]) == 18
