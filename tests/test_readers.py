"""Bad input never crashes a run: each case is quarantined with its file, line and reason."""
from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard

from conftest import write_jsonl
from pretrain_clean.pipeline.config import InputConfig
from pretrain_clean.pipeline.document import Document
from pretrain_clean.pipeline.readers import Quarantined, read_records

CFG = InputConfig()


def read(path: Path, cfg: InputConfig = CFG) -> list:
    return list(read_records(str(path), cfg, path.name))


def only_quarantined(records: list) -> list[Quarantined]:
    return [r for r in records if isinstance(r, Quarantined)]


def test_good_jsonl_uses_id_field_or_derives_one(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "a.jsonl", [{"id": "x1", "text": "hello", "url": "u"}, {"text": "world"}])
    docs = read(path)
    assert [d.id for d in docs] == ["x1", "a.jsonl:2"]
    assert docs[0].meta == {"input": {"url": "u"}, "url": "u"}
    assert [d.position for d in docs] == [1, 2]


def test_malformed_json_line_is_quarantined_and_reading_goes_on(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "a.jsonl", [{"text": "one"}, '{"text": "broken', {"text": "three"}])
    records = read(path)
    assert [r.text for r in records if isinstance(r, Document)] == ["one", "three"]
    (bad,) = only_quarantined(records)
    assert (bad.source, bad.position, bad.kind) == ("a.jsonl", 2, "malformed_json")
    assert "malformed JSON" in bad.error and '{"text": "broken' in bad.raw


def test_invalid_utf8_is_quarantined_with_byte_offset(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "a.jsonl", [b'{"text": "caf\xe9"}', {"text": "fine"}])
    records = read(path)
    (bad,) = only_quarantined(records)
    assert bad.kind == "invalid_utf8" and bad.position == 1
    assert "invalid UTF-8 at byte 13" in bad.error


@pytest.mark.parametrize("record, message", [
    ({"title": "no text"}, "text field 'text' is missing"),
    ({"text": None}, "text field 'text' is null"),
    ({"text": 42}, "text field 'text' is int, not a string"),
    ({"text": "   \n"}, "text field 'text' is empty"),
    ([1, 2], "expected a JSON object, got list"),
])
def test_missing_null_wrong_or_empty_text(tmp_path: Path, record: object, message: str) -> None:
    (bad,) = read(write_jsonl(tmp_path / "a.jsonl", [record]))
    assert isinstance(bad, Quarantined) and bad.error == message and bad.position == 1


def test_configurable_text_field(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "a.jsonl", [{"content": "body", "doc_id": 7}])
    (doc,) = read(path, InputConfig(text_field="content", id_field="doc_id"))
    assert (doc.id, doc.text) == ("7", "body")


def test_empty_file_is_one_quarantine_record(tmp_path: Path) -> None:
    (tmp_path / "empty.jsonl").write_bytes(b"")
    (tmp_path / "empty.jsonl.gz").write_bytes(gzip.compress(b""))
    for name in ("empty.jsonl", "empty.jsonl.gz"):
        (bad,) = read(tmp_path / name)
        assert (bad.kind, bad.position, bad.error) == ("empty_file", 0, "file is empty")


def test_truncated_gzip_keeps_what_was_read_and_quarantines_the_rest(tmp_path: Path) -> None:
    records = [{"text": f"document number {i} " * 20} for i in range(500)]
    data = gzip.compress("\n".join(json.dumps(r) for r in records).encode())
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(data[: len(data) // 2])
    out = read(path)
    docs = [r for r in out if isinstance(r, Document)]
    (bad,) = only_quarantined(out)
    assert 0 < len(docs) < 500
    assert bad.kind == "truncated" and bad.position == len(docs) + 1
    assert f"unreadable after line {len(docs)}" in bad.error and "EOFError" in bad.error


def test_zstd_and_parquet_inputs(tmp_path: Path) -> None:
    raw = "\n".join(json.dumps({"text": f"zst {i}"}) for i in range(3)).encode()
    (tmp_path / "a.jsonl.zst").write_bytes(zstandard.ZstdCompressor().compress(raw))
    assert [d.text for d in read(tmp_path / "a.jsonl.zst")] == ["zst 0", "zst 1", "zst 2"]
    pq.write_table(pa.table({"id": ["p1", "p2"], "text": ["first", None]}), tmp_path / "b.parquet")
    doc, bad = read(tmp_path / "b.parquet")
    assert doc.id == "p1" and bad.error == "text field 'text' is null" and bad.position == 2


def test_huge_document_is_quarantined_not_processed(tmp_path: Path) -> None:
    huge = "x" * 50_000_000
    path = write_jsonl(tmp_path / "big.jsonl", [{"text": "small"}, {"text": huge}])
    doc, bad = read(path)
    assert doc.text == "small"
    assert bad.kind == "too_large" and bad.position == 2
    assert bad.error == "line 2 is 50,000,012 bytes, over input.max_text_bytes=5,000,000"  # read capped
    assert len(bad.raw) == 1000


def test_unreadable_file_is_quarantined(tmp_path: Path) -> None:
    path = tmp_path / "not-a-file.jsonl"
    path.mkdir()
    (bad,) = read(path)
    assert bad.kind == "unreadable_file" and "cannot open file" in bad.error


def test_warc_html_is_extracted_with_url_and_record_id() -> None:
    path = Path(__file__).parent.parent / "data/sample/web_en/warc__sample-0000.warc.gz"
    docs = [r for r in read(path) if isinstance(r, Document)]
    assert len(docs) >= 15
    first = docs[0]
    assert first.id.startswith("urn:uuid:")
    assert first.meta["url"].startswith("https://") and first.meta["input"]["date"]
    assert "<div" not in first.text and len(first.text) > 200


def test_truncated_warc_keeps_whole_records_and_quarantines_the_cut(tmp_path: Path) -> None:
    full = Path(__file__).parent.parent / "data/sample/web_en/warc__sample-0000.warc.gz"
    cut = tmp_path / "cut.warc.gz"
    cut.write_bytes(full.read_bytes()[:100_000])
    records = read(cut)
    docs = [r for r in records if isinstance(r, Document)]
    (bad,) = only_quarantined(records)
    assert 0 < len(docs) < len([r for r in read(full) if isinstance(r, Document)])
    assert bad.kind == "truncated" and "cut short" in bad.error


def test_truncated_zstd_is_reported_as_truncated_not_as_bad_json(tmp_path: Path) -> None:
    raw = "\n".join(json.dumps({"text": f"doc {i} " * 30}) for i in range(2000)).encode()
    data = zstandard.ZstdCompressor().compress(raw)
    (tmp_path / "cut.jsonl.zst").write_bytes(data[: len(data) // 2])
    (tmp_path / "two.jsonl.zst").write_bytes(data + zstandard.ZstdCompressor().compress(b'\n{"text": "x"}\n'))
    records = read(tmp_path / "cut.jsonl.zst")
    (bad,) = only_quarantined(records)
    assert bad.kind == "truncated" and "EOFError" in bad.error and bad.position == len(records)
    assert len([r for r in read(tmp_path / "two.jsonl.zst") if isinstance(r, Document)]) == 2001


class Trickle(io.RawIOBase):
    """A stream that returns at most ``step`` bytes a read (chunk boundaries anywhere)."""

    def __init__(self, data: bytes, step: int) -> None:
        self.data, self.step, self.at = data, step, 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        piece = self.data[self.at:self.at + min(self.step, size if size >= 0 else self.step)]
        self.at += len(piece)
        return piece


@pytest.mark.parametrize("step", [1, 2, 3, 7, 1 << 20])
def test_bounded_lines_match_splitlines_whatever_the_chunking(step: int) -> None:
    import random

    from pretrain_clean.pipeline.streams import Oversized, bounded_lines

    rng = random.Random(step)
    data = bytes(rng.choice(b"ab\r\n") for _ in range(3000))
    cap = 5
    got = list(bounded_lines(Trickle(data, step), cap))
    want = [line if len(line) <= cap else len(line) for line in data.splitlines()]
    assert [g.size if isinstance(g, Oversized) else g for g in got] == want


def test_line_cap_threshold_is_exact(tmp_path: Path) -> None:
    cfg = InputConfig(max_text_bytes=100)
    at = '{"text": "' + "x" * 88 + '"}'  # 100 bytes
    path = write_jsonl(tmp_path / "a.jsonl", [at, at[:-3] + 'y"}', '{"text": "' + "x" * 89 + '"}'])
    records = read(path, cfg)
    assert [type(r).__name__ for r in records] == ["Document", "Document", "Quarantined"]
    assert records[2].kind == "too_large" and records[2].error.startswith("line 3 is 101 bytes")


def test_zstd_bomb_is_read_in_bounded_chunks(tmp_path: Path) -> None:
    from pretrain_clean.pipeline.streams import decompressed

    bomb = zstandard.ZstdCompressor(level=19).compress(b"\0" * (300 << 20))
    assert len(bomb) < 20_000
    stream = decompressed("x.jsonl.zst", io.BytesIO(bomb))
    assert len(stream.read1(1 << 20)) <= 1 << 20
    (tmp_path / "bomb.jsonl.zst").write_bytes(bomb)
    (bad,) = read(tmp_path / "bomb.jsonl.zst")
    assert bad.kind == "too_large" and bad.error.startswith("line 1 is 314,572,800 bytes")


def test_txt_is_supported_and_read_by_name() -> None:
    from pretrain_clean.pipeline.readers import is_supported

    assert [is_supported(n) for n in ("a.txt", "A.TXT.GZ", "b.txt.zst", "c.md", "d.txt.bz2")] == [
        True, True, True, False, False]


@pytest.mark.parametrize("name", ["c.jsonl.gz", "c.jsonl.zst", "c.txt.zst"])
def test_corrupt_compressed_stream_keeps_what_was_read(tmp_path: Path, name: str) -> None:
    import random

    rng = random.Random(0)  # text that compresses little: the cut lands many reads in
    raw = "\n".join(json.dumps({"text": " ".join(str(rng.random()) for _ in range(30))}) for _ in range(3000)).encode()
    data = bytearray(gzip.compress(raw) if name.endswith(".gz") else zstandard.ZstdCompressor().compress(raw))
    data[len(data) // 2:len(data) // 2 + 50] = bytes(50)
    (tmp_path / name).write_bytes(bytes(data))
    records = read(tmp_path / name, InputConfig(txt_split="line"))
    assert records[-1].kind == "truncated"  # (gzip decodes junk lines until its CRC check fails)
    assert len([r for r in records if isinstance(r, Document)]) > 100


def one_record_warc(tmp_path: Path, body: bytes, content_type: str | None, identified: str | None = None) -> Path:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    path = tmp_path / "one.warc.gz"
    with path.open("wb") as stream:
        writer = WARCWriter(stream, gzip=True)
        http = StatusAndHeaders("200 OK", [("Content-Type", content_type)] if content_type else [], protocol="HTTP/1.1")
        extra = {"WARC-Identified-Payload-Type": identified} if identified else None
        writer.write_record(writer.create_warc_record("https://example.org/page", "response",
                                                      payload=io.BytesIO(body), http_headers=http,
                                                      warc_headers_dict=extra))
    return path


# Ported from datatrove tests/pipeline/readers/test_warc_reader.py (test_http_charset_precedes_heuristic_detection,
# test_declared_charset_prevents_silent_mojibake): a declared charset decodes the body exactly. Ours
# applies it to text/plain records (HTML goes to trafilatura, which does its own detection).
@pytest.mark.parametrize("text,header", [
    ("Un preu de 20 € per aquesta edició.", "text/plain; charset=ISO-8859-15"),
    ("Un preu de 20 € per aquesta edició.", 'text/plain; CHARSET="iso-8859-15"'),
    ("Un preu de 20 € per aquesta edició.", 'text/plain; other="a;b"; charset=iso-8859-15'),
    ("Цена: 20 рублей", "text/plain; charset=windows-1251"),
    ("中文内容", "text/plain; charset=gb18030"),
    ("日本語の文章", "text/plain; charset=shift_jis"),
    ("العربية", "text/plain; charset=windows-1256"),
])
def test_warc_text_plain_uses_the_declared_charset(tmp_path: Path, text: str, header: str) -> None:
    codec = header.rsplit("=", 1)[1].strip('"')
    (doc,) = read(one_record_warc(tmp_path, text.encode(codec), header))
    assert doc.text == text


# Ported from the same file (test_unusable_declaration_retains_detector_fallback): an unusable
# charset never fails the record; ours falls back to UTF-8 with replacement characters.
@pytest.mark.parametrize("header", ["text/plain; charset=invalid-charset", 'text/plain; charset=""',
                                    "text/plain; charset=base64_codec", "text/plain; charset=windows-1252\0"])
def test_warc_text_plain_with_an_unusable_charset_reads_as_utf8(tmp_path: Path, header: str) -> None:
    (doc,) = read(one_record_warc(tmp_path, "Información".encode(), header))
    assert doc.text == "Información"


# Ported from the same file (test_nontext_payload_filter_is_unchanged, test_older_crawl_uses_magic_before_charset):
# an image is not text whatever the HTTP header claims; datatrove drops it, ours counts it as a removal.
@pytest.mark.parametrize("identified", ["image/jpeg", None])
def test_warc_image_labelled_html_is_skipped_non_text(tmp_path: Path, identified: str | None) -> None:
    body = b"\xff\xd8\xff\xe0 jpeg" if identified else b"\x89PNG\r\n\x1a\n" + b"\0" * 64
    (skipped,) = read(one_record_warc(tmp_path, body, "text/html; charset=windows-1252", identified))
    assert skipped.reason == "skipped_non_text" and skipped.doc.meta["url"] == "https://example.org/page"


# Ported from datatrove tests/pipeline/readers/test_jsonl_reader_invalid_utf8.py (an xfail there:
# "UTF-8 decoder read-ahead discards valid preceding lines"): ours keeps the lines before and after.
def test_jsonl_invalid_byte_costs_its_line_only(tmp_path: Path) -> None:
    lines = [json.dumps({"id": str(i), "text": f"text {i}"}).encode() for i in range(5)]
    lines[2] = lines[2].replace(b"text", b"t\xffxt")
    (tmp_path / "data.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    records = read(tmp_path / "data.jsonl")
    assert [r.id for r in records if isinstance(r, Document)] == ["0", "1", "3", "4"]
    assert only_quarantined(records)[0].kind == "invalid_utf8"


@pytest.mark.parametrize("size,kind", [(99, None), (100, None), (101, "too_large")])
def test_whole_file_and_warc_body_caps_are_exact(tmp_path: Path, size: int, kind: str | None) -> None:
    cfg = InputConfig(max_text_bytes=100)
    (tmp_path / "a.txt").write_bytes(b"x" * size)
    warc = one_record_warc(tmp_path, b"y" * size, "text/plain")
    for path in (tmp_path / "a.txt", warc):
        (record,) = read(path, cfg)
        assert getattr(record, "kind", None) == kind
        if kind:
            assert f"is {size:,} bytes, over input.max_text_bytes=100" in record.error


def test_parquet_value_python_cannot_hold_costs_its_row_only(tmp_path: Path) -> None:
    when = pa.array([0, 2**62, 5], pa.timestamp("us"))  # the middle one is far past year 9999
    pq.write_table(pa.table({"text": ["a", "b", "c"], "when": when}), tmp_path / "t.parquet")
    first, bad, last = read(tmp_path / "t.parquet")
    assert (first.text, last.text) == ("a", "c") and str(last.meta["input"]["when"]) == "1970-01-01 00:00:00.000005"
    assert (bad.kind, bad.position) == ("invalid_value", 2) and "column 'when'" in bad.error


@pytest.mark.parametrize("budget_rows", [1, 3, 4, 5])
def test_parquet_of_large_texts_is_read_a_few_rows_at_a_time(tmp_path: Path, budget_rows: int,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """A batch holds about BATCH_BYTES of the row group's data, not 1,024 rows of any size;
    every row is still read once, in order."""
    from pretrain_clean.pipeline import parquet_reader
    texts = [f"{i} " + "x" * 10_000 for i in range(10)]
    pq.write_table(pa.table({"text": texts}), tmp_path / "big.parquet", row_group_size=10)
    group = pq.ParquetFile(tmp_path / "big.parquet").metadata.row_group(0)
    monkeypatch.setattr(parquet_reader, "BATCH_BYTES", int(group.total_byte_size / group.num_rows * budget_rows) + 1)
    assert parquet_reader.batch_rows(group) == budget_rows
    sizes: list[int] = []
    real = parquet_reader._batch_records
    monkeypatch.setattr(parquet_reader, "_batch_records", lambda batch, *a: sizes.append(batch.num_rows) or real(batch, *a))
    docs = read(tmp_path / "big.parquet")
    assert [d.text for d in docs] == texts and [d.position for d in docs] == list(range(1, 11))
    assert max(sizes) == budget_rows and sum(sizes) == 10


def test_parquet_batch_rows_at_the_limits() -> None:
    from types import SimpleNamespace

    from pretrain_clean.pipeline.parquet_reader import BATCH_BYTES, BATCH_ROWS, batch_rows
    per_row = BATCH_BYTES / BATCH_ROWS
    assert batch_rows(SimpleNamespace(num_rows=100, total_byte_size=int(per_row * 100))) == BATCH_ROWS  # at the limit
    assert batch_rows(SimpleNamespace(num_rows=100, total_byte_size=int(per_row * 100) + 200)) == BATCH_ROWS - 1
    assert batch_rows(SimpleNamespace(num_rows=100, total_byte_size=0)) == BATCH_ROWS  # an empty footer size
    assert batch_rows(SimpleNamespace(num_rows=0, total_byte_size=0)) == BATCH_ROWS
    assert batch_rows(SimpleNamespace(num_rows=1, total_byte_size=50 * BATCH_BYTES)) == 1  # never zero
