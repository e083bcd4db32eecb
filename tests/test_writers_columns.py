"""Parquet columns built from their buffers equal pyarrow's own conversion, without pandas."""
from __future__ import annotations

import random
import subprocess
import sys

import pyarrow as pa
import pytest

from pretrain_clean.pipeline import writers
from pretrain_clean.pipeline.writers import KEPT_SCHEMA, QUARANTINE_SCHEMA, int64_array, record_batch, string_array

ALPHABET = ["a", "Z", " ", "\n", "é", "中", "😀", "\x00", "’", "\u2028"]


@pytest.mark.parametrize("seed", range(20))
def test_string_and_int_columns_equal_pa_array(seed: int) -> None:
    rng = random.Random(seed)
    size = rng.choice([1, 2, 7, 256])
    strings = [None if rng.random() < 0.1 * (seed % 2) else "".join(rng.choices(ALPHABET, k=rng.randint(0, 40)))
               for _ in range(size)]
    ints = [None if rng.random() < 0.1 * (seed % 2) else rng.randint(-2**63, 2**63 - 1) for _ in range(size)]
    assert string_array(strings).equals(pa.array(strings, pa.string()))
    assert int64_array(ints).equals(pa.array(ints, pa.int64()))
    assert string_array(strings).to_pylist() == strings and int64_array(ints).to_pylist() == ints


def test_a_record_batch_equals_from_pydict() -> None:
    columns = {"source": ["a.jsonl", "b.jsonl"], "position": [1, 2], "kind": ["x", "y"], "error": ["e", ""], "raw": ["{", "中"]}
    assert record_batch(columns, QUARANTINE_SCHEMA).equals(pa.RecordBatch.from_pydict(columns, schema=QUARANTINE_SCHEMA))


def test_other_column_types_are_refused_by_name() -> None:
    with pytest.raises(TypeError, match="column 'x' is double"):
        record_batch({"x": [1.5]}, pa.schema([("x", pa.float64())]))


def test_an_unpaired_surrogate_raises_as_pyarrow_does() -> None:
    with pytest.raises(UnicodeEncodeError):
        string_array(["ok", "bad \ud800"])


def test_writing_parquet_does_not_import_pandas(tmp_path) -> None:
    """pyarrow's pa.array imports pandas (about 0.3 CPU-s): the writer never calls it."""
    code = f"""
import sys
from pretrain_clean.pipeline.writers import AtomicParquetWriter, KEPT_SCHEMA
w = AtomicParquetWriter({str(tmp_path / 'k.parquet')!r}, KEPT_SCHEMA)
w.write_rows({{"id": ["1"], "doc_key": ["a:1"], "text": ["t"], "source": ["a"], "position": [1], "meta": ["{{}}"]}})
w.commit()
import pyarrow.parquet as pq
assert pq.ParquetFile({str(tmp_path / 'k.parquet')!r}).read_row_group(0).column("text").to_pylist() == ["t"]
print("pandas" in sys.modules)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
    assert KEPT_SCHEMA.names[0] == "id"


@pytest.mark.parametrize("values", [[None], [None, None], ["a", None], [None, "b"], ["", ""]])
def test_null_and_empty_strings_stay_apart(values: list) -> None:
    assert string_array(values).equals(pa.array(values, pa.string()))
    assert string_array(values).to_pylist() == values
    ints = [None if v is None else len(v) for v in values]
    assert int64_array(ints).to_pylist() == ints


@pytest.mark.parametrize(("limit", "ok"), [(5, True), (6, True), (4, False)])
def test_a_batch_s_string_bytes_at_and_around_the_limit(limit: int, ok: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """Five bytes of strings pass a limit of 5 or 6 and are refused at 4, naming the size."""
    monkeypatch.setattr(writers, "MAX_STRING_BYTES", limit)
    if ok:
        assert string_array(["ab", "cde"]).to_pylist() == ["ab", "cde"]
    else:
        with pytest.raises(ValueError, match=r"^a batch's strings hold 5 bytes, more than a parquet string column's 2 GiB"):
            string_array(["ab", "cde"])


def test_the_writer_counts_every_row_it_writes(tmp_path) -> None:
    w = writers.AtomicParquetWriter(tmp_path / "q.parquet", QUARANTINE_SCHEMA)
    for n in (2, 3):
        w.write_rows({"source": ["a"] * n, "position": list(range(n)), "kind": ["k"] * n, "error": ["e"] * n,
                      "raw": ["r"] * n})
    w.write_rows({})
    w.commit()
    import pyarrow.parquet as pq
    assert w.rows == 5 == pq.ParquetFile(tmp_path / "q.parquet").metadata.num_rows


def test_meta_json_is_deterministic_utf8_and_never_fails() -> None:
    """Sorted keys (the same text for the same meta on both engines), characters as written,
    values JSON cannot hold written as their str."""
    from pathlib import PurePosixPath
    assert writers.meta_json({"b": 1, "a": "中文 é"}) == '{"a": "中文 é", "b": 1}'
    assert writers.meta_json({"p": PurePosixPath("x/y")}) == '{"p": "x/y"}'


def test_parts_are_written_with_zstd(tmp_path) -> None:
    import pyarrow.parquet as pq
    w = writers.AtomicParquetWriter(tmp_path / "k.parquet", QUARANTINE_SCHEMA)
    w.write_rows({"source": ["a"], "position": [1], "kind": ["k"], "error": ["e"], "raw": ["r"]})
    w.commit()
    assert pq.ParquetFile(tmp_path / "k.parquet").metadata.row_group(0).column(0).compression == "ZSTD"
