"""Hostile inputs through the whole clean job (issue 10): nothing crashes, every record
written to an input is counted in the parquet outputs (kept + rejected + quarantine rows).

Each test builds its input, runs :func:`clean`, and counts output rows against the records
it wrote, not only ``stats.json``.
"""
from __future__ import annotations

import gzip
import io
import json
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import ROOT, write_jsonl
from pretrain_clean.pipeline.clean import CleanOptions, clean
from pretrain_clean.pipeline.config import parse_config

SPEC: dict = {"stages": []}  # read, account and write only (runs on Spark workers too)


def run(inputs: Path, out: Path, engine: str = "local", **input_cfg) -> dict[str, list[dict]]:
    """Clean ``inputs`` into ``out``; the rows of kept/, rejected/ and quarantine/."""
    spec = parse_config({**SPEC, "input": input_cfg}, ROOT)
    stats = clean(spec, [str(inputs)], str(out), CleanOptions(engine=engine, show_progress=False))
    rows = {name: [r for p in sorted((out / name).glob("*.parquet")) for r in pq.read_table(p).to_pylist()]
            for name in ("kept", "rejected", "quarantine")}
    assert stats.documents_in == sum(len(v) for v in rows.values())  # stats agree with the files
    return rows


@pytest.fixture(params=["local", pytest.param("spark", marks=pytest.mark.slow)])
def engine(request: pytest.FixtureRequest) -> str:
    """Each test taking ``engine`` runs on the local engine, and on Spark among the slow tests."""
    if request.param == "spark":
        request.getfixturevalue("spark")
    return request.param


def kinds(rows: list[dict], key: str = "kind") -> dict[str, int]:
    found: dict[str, int] = {}
    for row in rows:
        found[row[key]] = found.get(row[key], 0) + 1
    return found


def nested(depth: int) -> object:
    value: object = "leaf"
    for _ in range(depth):
        value = [value]
    return value


def test_json_nested_2000_deep_is_quarantined_and_the_run_goes_on(tmp_path: Path, engine: str) -> None:
    deep_line = '{"text": "deep", "meta": ' + "[" * 2000 + "]" * 2000 + "}"
    write_jsonl(tmp_path / "in" / "a.jsonl", [
        {"text": "before"}, deep_line, "[" * 5000 + "]" * 5000,
        {"text": "at the limit", "m": nested(99)},  # 100 levels with the record itself
        {"text": "over the limit", "m": nested(100)},  # 101 levels
        {"text": "after"},
    ])
    rows = run(tmp_path / "in", tmp_path / "out", engine)
    assert [r["text"] for r in rows["kept"]] == ["before", "at the limit", "after"]
    assert [(r["position"], r["kind"]) for r in rows["quarantine"]] == [(2, "too_deep"), (3, "too_deep"),
                                                                         (5, "too_deep")]


SURROGATE_LINES = [
    '{"text": "fine", "title": "ok"}',
    '{"text": "bad title", "title": "x \\ud800 y"}',
    '{"text": "bad key", "\\udc00": 1}',
    '{"text": "bad id", "id": "\\udfff"}',
    '{"text": "a pair is fine \\ud83d\\ude00", "title": "\\ud83d\\ude00"}',
    '{"text": "bad text \\ud800"}',
]


def test_unpaired_surrogates_cost_their_row_only(tmp_path: Path, engine: str) -> None:
    write_jsonl(tmp_path / "in" / "a.jsonl", SURROGATE_LINES)
    rows = run(tmp_path / "in", tmp_path / "out", engine)
    assert [r["text"] for r in rows["kept"]] == ["fine", "a pair is fine \U0001F600"]
    assert [(r["position"], r["kind"]) for r in rows["quarantine"]] == [
        (2, "invalid_unicode"), (3, "invalid_unicode"), (4, "invalid_unicode"), (6, "invalid_unicode")]
    assert "'title'" in rows["quarantine"][0]["error"] and "'\\\\udc00'" in rows["quarantine"][1]["error"]


def test_file_name_with_non_utf8_bytes_is_written_with_visible_escapes(tmp_path: Path, engine: str) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    name = os.fsdecode(b"caf\xe9.jsonl")
    write_jsonl(folder / name, [{"text": "one"}, '{"text": oops}'])
    write_jsonl(folder / "b.jsonl", [{"text": "two"}])
    rows = run(folder, tmp_path / "out", engine)
    assert sorted((r["source"], r["id"]) for r in rows["kept"]) == [
        ("b.jsonl", "b.jsonl:1"), ("caf\\udce9.jsonl", "caf\\udce9.jsonl:1")]
    assert [(r["source"], r["kind"]) for r in rows["quarantine"]] == [("caf\\udce9.jsonl", "malformed_json")]


def corrupt_row_group(path: Path, group: int) -> None:
    """Overwrite the page header of the text column in ``group`` with junk."""
    data = bytearray(path.read_bytes())
    start = pq.ParquetFile(path).metadata.row_group(group).column(1).data_page_offset
    data[start + 20:start + 200] = b"\xff" * 180
    path.write_bytes(bytes(data))


def test_parquet_corrupt_row_group_costs_its_rows_only(tmp_path: Path, engine: str) -> None:
    path = tmp_path / "in" / "c.parquet"
    path.parent.mkdir()
    table = pa.table({"id": [f"r{i}" for i in range(3000)], "text": [f"row {i} " * 20 for i in range(3000)]})
    pq.write_table(table, path, row_group_size=1000, compression="none")
    corrupt_row_group(path, 1)
    rows = run(path.parent, tmp_path / "out", engine)
    assert len(rows["kept"]) == 2000 and rows["kept"][1000]["id"] == "r2000"
    assert len(rows["quarantine"]) == 1000 and kinds(rows["quarantine"]) == {"corrupt_row_group": 1000}
    assert [r["position"] for r in rows["quarantine"]] == list(range(1001, 2001))
    assert "row group 2 of 3 is unreadable (1,000 of its 1,000 rows lost)" in rows["quarantine"][0]["error"]


def test_parquet_invalid_utf8_value_costs_its_row_only(tmp_path: Path, engine: str) -> None:
    values = pa.array([b"good text"] * 1000 + [b"bad \xff"] + [b"more good text"] * 1001, pa.binary())
    strings = pa.Array.from_buffers(pa.string(), len(values), values.buffers())  # unchecked: holds \xff
    path = tmp_path / "in" / "u.parquet"
    path.parent.mkdir()
    pq.write_table(pa.table({"text": strings}), path)
    rows = run(path.parent, tmp_path / "out", engine)
    assert len(rows["kept"]) == 2001
    assert [(r["position"], r["kind"]) for r in rows["quarantine"]] == [(1001, "invalid_utf8")]
    assert "column 'text' is not valid UTF-8" in rows["quarantine"][0]["error"]


def test_lone_cr_line_ends_are_line_ends(tmp_path: Path, engine: str) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    records = [json.dumps({"id": f"r{i}", "text": f"record {i}"}).encode() for i in range(4)]
    (folder / "cr.jsonl").write_bytes(b"\r".join(records) + b"\r")
    (folder / "crlf.jsonl.gz").write_bytes(gzip.compress(b"\r\n".join(records)))
    rows = run(folder, tmp_path / "out", engine)
    assert sorted(r["id"] for r in rows["kept"]) == sorted([f"r{i}" for i in range(4)] * 2)
    assert rows["quarantine"] == []


ARTICLE = ("<html><head><title>{t}</title></head><body><article><h1>{t}</h1><p>{t}: this article has a "
           "paragraph long enough for the extractor to keep it as the main text of the page, with a few "
           "sentences about nothing in particular so that it reads like an ordinary web page.</p>"
           "<p>A second paragraph makes the page look like a real article to the extractor.</p>"
           "</article></body></html>")


def warc_file(path: Path) -> dict[str, str]:
    """A WARC with one record of each kind; returns url -> what the job must do with it."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=True)
    writer.write_record(writer.create_warcinfo_record(path.name, {"software": "test"}))
    expected: dict[str, str] = {}

    def response(url: str, status: str, content_type: str | None, body: bytes, outcome: str) -> None:
        headers = [("Content-Type", content_type)] if content_type else []
        http = StatusAndHeaders(status, headers, protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=http))
        expected[url] = outcome

    request = StatusAndHeaders("GET / HTTP/1.1", [("Host", "a.example")], is_http_request=True)
    writer.write_record(writer.create_warc_record("https://a.example/?request", "request",
                                                  payload=io.BytesIO(b""), http_headers=request))
    expected["https://a.example/?request"] = "input.skipped_record_type"
    response("https://a.example/", "200 OK", "text/html; charset=utf-8", ARTICLE.format(t="Home").encode(), "kept")
    response("https://a.example/notes.txt", "200 OK", "text/plain; charset=gbk", "纯文本笔记".encode("gbk"), "kept")
    response("https://a.example/doc.pdf", "200 OK", "application/pdf", b"%PDF-1.7 ...", "input.skipped_non_text")
    response("https://a.example/logo.png", "200 OK", "image/png", b"\x89PNG\r\n\x1a\n....",
             "input.skipped_non_text")
    response("https://a.example/api.json", "200 OK", "application/json", b'{"a": 1}', "input.skipped_non_text")
    response("https://a.example/blob", "200 OK", None, b"\x00\x01 binary", "input.skipped_non_text")
    response("https://a.example/sniffed", "200 OK", None, ARTICLE.format(t="Sniffed").encode(), "kept")
    response("https://a.example/missing", "404 Not Found", "text/html", ARTICLE.format(t="Not found").encode(),
             "input.http_error_page")
    response("https://a.example/old", "301 Moved Permanently", "text/html", b"<a href='/'>moved</a>",
             "input.http_redirect")
    writer.write_record(writer.create_warc_record("https://a.example/res", "resource",
                                                  payload=io.BytesIO(ARTICLE.format(t="Resource").encode()),
                                                  warc_content_type="text/html"))
    expected["https://a.example/res"] = "kept"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())
    return expected


def test_warc_every_record_is_counted_by_kind(tmp_path: Path, engine: str) -> None:
    expected = warc_file(tmp_path / "in" / "mixed.warc.gz")
    rows = run(tmp_path / "in", tmp_path / "out", engine)
    assert len(rows["kept"]) + len(rows["rejected"]) + len(rows["quarantine"]) == 12  # records in the file
    outcome = {json.loads(r["meta"])["url"]: "kept" for r in rows["kept"]}
    outcome |= {json.loads(r["meta"]).get("url"): f"{r['stage']}.{r['reason']}" for r in rows["rejected"]}
    assert outcome.pop(None) == "input.skipped_record_type"  # the warcinfo record (no URL)
    assert outcome == expected
    assert kinds(rows["rejected"], "reason")["skipped_record_type"] == 2  # warcinfo, request
    texts = {json.loads(r["meta"])["url"]: r["text"] for r in rows["kept"]}
    assert texts["https://a.example/notes.txt"] == "纯文本笔记"
    assert "Resource: this article" in texts["https://a.example/res"]
    assert rows["quarantine"] == []
    stats = json.loads((tmp_path / "out" / "stats.json").read_text())
    assert stats["documents_in"] == 12 and stats["removed"]["input.skipped_non_text"] == 4


def test_plain_text_per_file_line_or_block(tmp_path: Path) -> None:
    import zstandard

    folder = tmp_path / "in"
    folder.mkdir()
    body = "第一段第一行\n第一段第二行\n\n\nsecond block\r\n\r\nthird block, one line\n"
    (folder / "a.txt").write_text(body, encoding="utf-8")
    (folder / "b.txt.gz").write_bytes(gzip.compress(body.encode()))
    (folder / "c.txt.zst").write_bytes(zstandard.ZstdCompressor().compress(body.encode()))
    by_file = run(folder, tmp_path / "file", txt_split="file")
    assert [r["text"] for r in by_file["kept"]] == [body] * 3
    by_line = run(folder, tmp_path / "line", txt_split="line")
    assert [(r["id"], r["text"]) for r in by_line["kept"][:4]] == [
        ("a.txt:1", "第一段第一行"), ("a.txt:2", "第一段第二行"), ("a.txt:5", "second block"),
        ("a.txt:7", "third block, one line")]
    assert len(by_line["kept"]) == 12
    by_block = run(folder, tmp_path / "block", txt_split="block")
    assert [(r["position"], r["text"]) for r in by_block["kept"][:3]] == [
        (1, "第一段第一行\n第一段第二行"), (5, "second block"), (7, "third block, one line")]
    assert len(by_block["kept"]) == 9


def test_plain_text_limits_bad_bytes_and_empty(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_bytes(b"x" * 100 + b"\n" + b"y" * 101 + b"\n" + b"bad \xff\n\n" + b"z" * 99 + b"\n")
    (folder / "blank.txt").write_bytes(b"\n\n  \n")
    rows = run(folder, tmp_path / "line", txt_split="line", max_text_bytes=100)
    assert [r["position"] for r in rows["kept"]] == [1, 5]
    assert [(r["source"], r["position"], r["kind"]) for r in rows["quarantine"]] == [
        ("a.txt", 2, "too_large"), ("a.txt", 3, "invalid_utf8"), ("blank.txt", 0, "empty_file")]
    blocks = run(folder, tmp_path / "block", txt_split="block", max_text_bytes=202)
    assert [(r["position"], r["kind"]) for r in blocks["quarantine"]] == [(1, "too_large"), (0, "empty_file")]
    assert "block at line 1 is 208 bytes" in blocks["quarantine"][0]["error"]


def test_txt_split_is_validated() -> None:
    from pretrain_clean.errors import ConfigError

    with pytest.raises(ConfigError, match="input.txt_split"):
        parse_config({**SPEC, "input": {"txt_split": "paragraph"}}, ROOT)


BROKEN_HTML_CLEAN = (  # lxml 6 without lxml_html_clean, as a stock `pip install .` once gave
    "import sys; sys.modules['lxml_html_clean'] = None; sys.modules['lxml.html.clean'] = None; "
    "from pretrain_clean.cli.main import main; sys.exit(main(sys.argv[1:]))"
)


def test_broken_html_extraction_is_one_startup_error_not_a_quarantine_per_page(tmp_path: Path) -> None:
    import subprocess
    import sys

    page = tmp_path / "in" / "page.html"
    page.parent.mkdir()
    page.write_text(ARTICLE.format(t="Page"), encoding="utf-8")
    args = ["clean", "--config", "minimal", "--input", str(page.parent), "--quiet"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    broken = subprocess.run([sys.executable, "-c", BROKEN_HTML_CLEAN, *args, "--output", str(tmp_path / "a")],
                            capture_output=True, text=True, env=env, timeout=300)
    assert broken.returncode == 2, broken.stderr
    (line,) = broken.stderr.strip().splitlines()
    assert line.startswith("error: HTML extraction (trafilatura) cannot run:") and "lxml_html_clean" in line
    assert not (tmp_path / "a" / "quarantine").exists()  # failed before any work
    fine = subprocess.run([sys.executable, "-m", "pretrain_clean", *args, "--output", str(tmp_path / "b")],
                          capture_output=True, text=True, env=env, timeout=300)
    assert fine.returncode == 0, fine.stderr
    (kept,) = pq.read_table(tmp_path / "b" / "kept").to_pylist()
    assert kept["text"].startswith("Page")


PEAK_RSS_MIB = 400
"""The README's bound for the clean job (minimal config, one worker) on any single input."""

MEASURE = (  # run the job as a child and report its peak RSS (MiB) on the last line
    "import resource, subprocess, sys; "
    "done = subprocess.run([sys.executable, '-m', 'pretrain_clean', *sys.argv[1:]]); "
    "print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)"
)


def peak_rss_mib(inputs: Path, out: Path) -> int:
    import subprocess
    import sys

    args = ["clean", "--config", "minimal", "--workers", "1", "--quiet", "--input", str(inputs), "--output", str(out)]
    done = subprocess.run([sys.executable, "-c", MEASURE, *args], capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    code, peak = done.stdout.split()[-2:]
    assert code == "0", done.stderr
    return int(peak)


@pytest.mark.slow
def test_memory_stays_bounded_on_a_gzip_bomb_and_a_256_mib_line(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb" / "zeros.jsonl.gz"  # 2 MB on disk, 2 GB of zeros without a newline
    bomb.parent.mkdir()
    with gzip.open(bomb, "wb", compresslevel=9) as handle:
        for _ in range(2000):
            handle.write(b"\0" * (1 << 20))
    assert bomb.stat().st_size < 2_100_000
    line = tmp_path / "line" / "big.jsonl"
    line.parent.mkdir()
    with open(line, "wb") as handle:
        handle.write(b'{"text": "small"}\n{"text": "')
        for _ in range(256):
            handle.write(b"x" * (1 << 20))
        handle.write(b'"}\n{"text": "after"}\n')
    for inputs, kept in ((bomb.parent, 0), (line.parent, 2)):
        out = tmp_path / f"out-{inputs.name}"
        assert peak_rss_mib(inputs, out) < PEAK_RSS_MIB
        stats = json.loads((out / "stats.json").read_text())
        assert (stats["kept"], stats["quarantine_errors"]) == (kept, {"too_large": 1})
        (bad,) = pq.read_table(out / "quarantine").to_pylist()
        assert bad["kind"] == "too_large" and bad["position"] == (1 if kept == 0 else 2)


def test_writer_repairs_only_the_values_parquet_cannot_store(tmp_path: Path) -> None:
    from pretrain_clean.pipeline.writers import QUARANTINE_SCHEMA, AtomicParquetWriter

    writer = AtomicParquetWriter(tmp_path / "q.parquet", QUARANTINE_SCHEMA)
    writer.write_rows({"source": ["ok.jsonl", "caf\udce9.jsonl"], "position": [1, 2], "kind": ["k", "k"],
                       "error": ["fine", "bad \ud800 here"], "raw": ["中文", ""]})
    writer.commit()
    rows = pq.read_table(tmp_path / "q.parquet").to_pylist()
    assert [(r["source"], r["error"], r["raw"]) for r in rows] == [
        ("ok.jsonl", "fine", "中文"), ("caf\\udce9.jsonl", "bad \\ud800 here", "")]


def test_max_text_bytes_must_be_positive() -> None:
    from pretrain_clean.errors import ConfigError

    assert parse_config({**SPEC, "input": {"max_text_bytes": 1}}, ROOT).input.max_text_bytes == 1
    with pytest.raises(ConfigError, match="input: max_text_bytes must be at least 1, got 0"):
        parse_config({**SPEC, "input": {"max_text_bytes": 0}}, ROOT)
