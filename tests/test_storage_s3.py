"""Every output of a run on an S3 server (moto, loopback) is the same as on a local disk.

The moto server and its dummy credentials come from :mod:`s3_server`; s3fs (the ``[s3]``
extra) talks to it through ``AWS_ENDPOINT_URL``.
"""
from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from conftest import write_jsonl
from s3_server import moto_s3, upload_tree

pytest.importorskip("s3fs")

from pretrain_clean.pipeline import storage  # noqa: E402
from pretrain_clean.pipeline.clean import CleanOptions, clean  # noqa: E402
from pretrain_clean.pipeline.config import ConfigError, load_config  # noqa: E402
from pretrain_clean.pipeline.parts import PartTask, process_part  # noqa: E402
from pretrain_clean.pipeline.worker import worker_cascade  # noqa: E402

CONFIG = """
[input]
text_field = "text"

[[stages]]
stage = "gopher_quality"
min_doc_words = 5
min_stop_words = 1
stop_words_path = "{stop_words}"

[dedup]
exact = true
minhash = true
paragraph = true
"""


@pytest.fixture(scope="module")
def s3():
    with moto_s3(("corpus", "out")) as env:
        yield env


def _corpus(root: Path) -> Path:
    words = "the river runs past the old mill and the children play in the water all day".split()
    docs = []
    for i in range(60):
        text = " ".join(words[i % 5:] + words[: i % 5]) + f" story number {i % 20}"
        docs.append({"id": f"d{i}", "text": text})
    docs.append({"id": "short", "text": "too short"})
    write_jsonl(root / "a.jsonl", docs[:30])
    write_jsonl(root / "sub" / "b.jsonl.gz", docs[30:], compress=True)
    (root / "broken.jsonl").write_text('{"text": broken}\n{"id": "ok", "text": "the cat and the dog sat on the mat"}\n')
    return root


def _rows(folder: str, columns: list[str]) -> list[dict]:
    rows = []
    for part in storage.list_files(folder, ".parquet"):
        rows += storage.parquet_file(part).read(columns=columns).to_pylist()
    return rows


def _names(folder: str) -> list[str]:
    return [storage.basename(p) for p in storage.list_files(folder)]


def test_clean_with_dedup_s3_to_s3_equals_local(s3, tmp_path: Path) -> None:
    corpus = _corpus(tmp_path / "corpus")
    upload_tree(corpus, "s3://corpus/sample")
    storage.write_text("s3://corpus/models/stop.txt", "the\nand\n")
    (tmp_path / "stop.txt").write_text("the\nand\n")
    (tmp_path / "local.toml").write_text(CONFIG.format(stop_words=tmp_path / "stop.txt"))
    (tmp_path / "s3.toml").write_text(CONFIG.format(stop_words="s3://corpus/models/stop.txt"))
    options = CleanOptions(show_progress=False)
    local = clean(load_config(tmp_path / "local.toml"), [str(corpus)], str(tmp_path / "out"), options)
    remote = clean(load_config(tmp_path / "s3.toml"), ["s3://corpus/sample"], "s3://out/run", options)
    assert (remote.documents_in, remote.kept, remote.removed, remote.quarantined, remote.bytes_kept) == (
        local.documents_in, local.kept, local.removed, local.quarantined, local.bytes_kept)
    assert local.removed.get("dedup_exact.duplicate", 0) > 0  # the corpus exercises dedup
    for folder, columns in (("kept", ["id", "text", "source"]), ("rejected", ["id", "stage", "reason"]),
                            ("quarantine", ["source", "position", "kind"])):
        assert _rows(f"s3://out/run/{folder}", columns) == _rows(str(tmp_path / "out" / folder), columns)
    assert _names("s3://out/run") == _names(str(tmp_path / "out"))
    assert _names("s3://out/run/_parts") == ["part-00000.json", "part-00001.json", "part-00002.json"]


def test_rerun_on_s3_skips_published_parts_and_redoes_unmarked_ones(s3, tmp_path: Path) -> None:
    """Kill-and-resume with the output on the S3 server: a part whose marker exists is not
    rerun; a part whose outputs were published but whose marker was not (a crash between
    the two) is redone; the result equals an uninterrupted run."""
    corpus = _corpus(tmp_path / "corpus")
    upload_tree(corpus, "s3://corpus/resume")
    (tmp_path / "c.toml").write_text(CONFIG.format(stop_words="bundled:stopwords/en.txt").split("[dedup]")[0])
    spec = load_config(tmp_path / "c.toml")
    whole = clean(spec, ["s3://corpus/resume"], "s3://out/whole", CleanOptions(show_progress=False))
    # a first attempt that died after part 0 and after part 1's outputs but before its marker
    cascade = worker_cascade(spec)
    from pretrain_clean.pipeline.plan import expand_inputs, fingerprint, plan_tasks, prepare_output

    tasks = plan_tasks(expand_inputs(["s3://corpus/resume"]))
    prepare_output("s3://out/resumed", fingerprint(spec.raw, tasks), overwrite=False)
    process_part(tasks[0], spec, cascade, "s3://out/resumed")
    process_part(tasks[1], spec, cascade, "s3://out/resumed")
    storage.remove_tree("s3://out/resumed/_parts/part-00001.json")
    marker0 = storage.filesystem("s3://out/resumed/_parts/part-00000.json")
    before = marker0[0].info(marker0[1])["LastModified"]
    resumed = clean(spec, ["s3://corpus/resume"], "s3://out/resumed", CleanOptions(show_progress=False))
    assert marker0[0].info(marker0[1])["LastModified"] == before  # part 0 was not redone
    assert (resumed.documents_in, resumed.kept, resumed.removed) == (whole.documents_in, whole.kept, whole.removed)
    assert _rows("s3://out/resumed/kept", ["id", "text"]) == _rows("s3://out/whole/kept", ["id", "text"])


def test_a_big_jsonl_on_s3_split_into_byte_ranges_equals_the_unsplit_local_run(s3, tmp_path: Path) -> None:
    """Range reads through s3fs: parts seek into the object and read past their end."""
    corpus = _corpus(tmp_path / "corpus")
    storage.write_bytes("s3://corpus/split/a.jsonl", (corpus / "a.jsonl").read_bytes())
    size = (corpus / "a.jsonl").stat().st_size
    base = CONFIG.format(stop_words="bundled:stopwords/en.txt").split("[dedup]")[0]
    (tmp_path / "whole.toml").write_text(base)
    (tmp_path / "split.toml").write_text(f"[run]\npart_bytes = {size // 7}\n" + base)
    options = CleanOptions(show_progress=False)
    whole = clean(load_config(tmp_path / "whole.toml"), [str(corpus / "a.jsonl")], str(tmp_path / "whole"), options)
    split = clean(load_config(tmp_path / "split.toml"), ["s3://corpus/split/a.jsonl"], "s3://out/split", options)
    assert split.parts == 8 and whole.parts == 1
    assert (split.documents_in, split.kept, split.removed) == (whole.documents_in, whole.kept, whole.removed)
    assert _rows("s3://out/split/kept", ["id", "text"]) == _rows(str(tmp_path / "whole" / "kept"), ["id", "text"])


def test_a_discarded_write_leaves_no_object(s3) -> None:
    out = storage.OutputFile("s3://out/unpublished/part-00000.parquet")
    out.stream.write(b"half a file")
    out.discard()
    assert not storage.exists("s3://out/unpublished/part-00000.parquet")
    with pytest.raises(RuntimeError):
        with storage.open_output("s3://out/unpublished/x.json") as fh:
            fh.write(b"{")
            raise RuntimeError("killed")
    assert storage.list_files("s3://out/unpublished") == []


def test_remote_model_paths_are_checked_and_fetched_once(s3, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv(storage.CACHE_ENV, str(tmp_path / "cache"))
    storage.write_text("s3://corpus/models/words.txt", "alpha\nbeta\n")
    first = storage.local_copy("s3://corpus/models/words.txt")
    assert first.read_text() == "alpha\nbeta\n" and first.name == "words.txt"
    assert storage.local_copy("s3://corpus/models/words.txt") == first
    assert not storage.local_copy("s3://corpus/models/none.txt").exists()
    (tmp_path / "bad.toml").write_text(CONFIG.format(stop_words="s3://corpus/models/none.txt"))
    with pytest.raises(ConfigError, match=r"stop_words_path: file not found: s3://corpus/models/none.txt"):
        load_config(tmp_path / "bad.toml")


def test_driver_progress_counts_part_markers_on_s3(s3) -> None:
    import io

    from pretrain_clean.pipeline.progress import PartsProgress
    from pretrain_clean.pipeline.stats import Stats

    tasks = [PartTask(i, f"s3://corpus/x{i}.jsonl", f"x{i}.jsonl", 10) for i in range(3)]
    storage.write_text("s3://out/progress/_parts/part-00000.json", Stats(documents_in=5, kept=5, parts=1).to_json())
    stream = io.StringIO()
    with PartsProgress("spark", "s3://out/progress", tasks, interval=3600, stream=stream) as progress:
        storage.write_text("s3://out/progress/_parts/part-00002.json", Stats(documents_in=7, kept=7, parts=1).to_json())
        storage.write_text("s3://out/progress/_parts/.part-00001.json.tmp-9", "{")  # unpublished: ignored
    assert sorted(progress.seen) == ["part-00000.json", "part-00002.json"]
    assert stream.getvalue().startswith("[spark] parts 2/3 · 12 docs · ")
    assert stream.getvalue().rstrip().endswith("done")


def test_tokenizer_shards_and_verify_s3_to_s3_equal_local(s3, tmp_path: Path) -> None:
    import pyarrow as pa

    from pretrain_clean.tokenizer.config import load_config as load_tokenizer_config
    from pretrain_clean.tokenizer.shards import ShardConfig, tokenize_to_shards
    from pretrain_clean.tokenizer.train import train_tokenizer
    from pretrain_clean.tokenizer.verify import verify_shards
    from pretrain_clean.pipeline.writers import KEPT_SCHEMA

    texts = [f"document {i}: the quick brown fox jumps over the lazy dog {i * 7} times. 敏捷的棕色狐狸。"
             for i in range(300)]
    corpus = tmp_path / "clean" / "kept"
    corpus.mkdir(parents=True)
    for part in range(2):
        rows = [{"id": f"p{part}-{i}", "text": t, "source": "x.jsonl", "position": i, "meta": "{}"}
                for i, t in enumerate(texts[part::2])]
        pq.write_table(pa.Table.from_pylist(rows, schema=KEPT_SCHEMA), corpus / f"part-{part:05d}.parquet")
    upload_tree(tmp_path / "clean", "s3://corpus/clean")
    cfg = load_tokenizer_config("tokenizer")
    shard_cfg = ShardConfig(shard_tokens=2000)
    local_info = train_tokenizer("bpe", [str(tmp_path / "clean")], str(tmp_path / "tok"), cfg, vocab_size=800)
    remote_info = train_tokenizer("bpe", ["s3://corpus/clean"], "s3://out/tok", cfg, vocab_size=800)
    assert remote_info["sample"] == local_info["sample"]
    assert storage.read_bytes("s3://out/tok/tokenizer.json") == (tmp_path / "tok" / "tokenizer.json").read_bytes()
    local = tokenize_to_shards(tmp_path / "tok" / "tokenizer.json", tmp_path / "clean", tmp_path / "shards", shard_cfg)
    remote = tokenize_to_shards("s3://out/tok/tokenizer.json", "s3://corpus/clean", "s3://out/shards", shard_cfg)
    assert len(remote["shards"]) == len(local["shards"]) > 1
    assert [s["sha256"] for s in remote["shards"]] == [s["sha256"] for s in local["shards"]]
    for entry in remote["shards"]:
        assert storage.read_bytes(f"s3://out/shards/{entry['file']}") == (tmp_path / "shards" / entry["file"]).read_bytes()
    assert remote["input_dir"] == "s3://corpus/clean" and remote["tokenizer_path"] == "s3://out/tok/tokenizer.json"
    assert verify_shards("s3://out/shards") == []
    storage.remove_tree(f"s3://out/shards/{remote['shards'][0]['file']}")
    assert verify_shards("s3://out/shards")[0].endswith("listed in manifest.json but missing")


def test_config_on_the_store_resolves_relative_paths_against_its_folder(s3) -> None:
    storage.write_text("s3://corpus/cfg/models/stop.txt", "the\n")
    storage.write_text("s3://corpus/cfg/run.toml", CONFIG.format(stop_words="models/stop.txt"))
    spec = load_config("s3://corpus/cfg/run.toml")
    assert spec.stages[0].stop_words_path == "s3://corpus/cfg/models/stop.txt"
    with pytest.raises(ConfigError, match="config file not found: s3://corpus/cfg/none.toml"):
        load_config("s3://corpus/cfg/none.toml")


def test_dedup_job_reads_and_writes_s3(s3, tmp_path: Path, capsys) -> None:
    import json

    import pyarrow as pa

    from pretrain_clean.cli.main import run as cli
    from pretrain_clean.pipeline.writers import KEPT_SCHEMA

    text = "a long enough paragraph about rivers and mills that repeats across documents in this corpus"
    parts = tmp_path / "parts"
    parts.mkdir()
    for p in range(2):
        rows = [{"id": f"{p}-{i}", "text": text if i == 0 else f"{text} number {p} {i} unique words {i * 13}",
                 "source": "s", "position": i, "meta": "{}"} for i in range(4)]
        pq.write_table(pa.Table.from_pylist(rows, schema=KEPT_SCHEMA), parts / f"part-{p:05d}.parquet")
    upload_tree(parts, "s3://corpus/dedup-in")
    assert cli("dedup", ["--config", "default", "--input", str(parts), "--output", str(tmp_path / "d")]) == 0
    assert cli("dedup", ["--config", "default", "--input", "s3://corpus/dedup-in", "--output", "s3://out/d"]) == 0
    capsys.readouterr()
    assert _rows("s3://out/d/kept", ["id", "text", "meta"]) == _rows(str(tmp_path / "d" / "kept"), ["id", "text", "meta"])
    rejected = _rows("s3://out/d/rejected", ["id", "reason"])
    assert rejected == _rows(str(tmp_path / "d" / "rejected"), ["id", "reason"])
    assert {"id": "1-0", "reason": "duplicate"} in rejected
    report = json.loads(storage.read_text("s3://out/d/dedup_report.json"))
    assert report["removed"] == json.loads((tmp_path / "d" / "dedup_report.json").read_text())["removed"]


def test_s3_output_leaves_nothing_in_the_current_folder(s3, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_jsonl(tmp_path / "in" / "a.jsonl", [{"id": "a", "text": "hello"}])
    clean(load_config("minimal"), [str(tmp_path / "in")], "s3://out/cwd", CleanOptions(show_progress=False))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]
    assert _names("s3://out/cwd") == ["_run.json", "funnel.md", "funnel.svg", "removals.md", "stats.json"]


def test_a_missing_storage_backend_is_one_error_line_before_any_work(tmp_path: Path, capsys) -> None:
    from pretrain_clean.cli.main import run as cli

    write_jsonl(tmp_path / "in" / "a.jsonl", [{"id": "a", "text": "hello"}])
    assert cli("clean", ["--config", "minimal", "--input", str(tmp_path / "in"), "--output", "gs://bucket/out"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: gs://bucket/out") and "gcsfs" in err[0]


@pytest.mark.slow
@pytest.mark.parametrize("shuffle_seed", [None, 3])
def test_spark_shards_s3_to_s3_equal_local(s3, tmp_path: Path, spark, monkeypatch, shuffle_seed: int | None) -> None:
    """``shards --engine spark`` with an s3:// output spools through the store (no shared
    folder): executors publish spool files to OUT/_work, the driver keeps only the planning
    columns, write tasks fetch the spool files they need; shards equal the local engine's."""
    import pyarrow as pa

    from pretrain_clean.pipeline.writers import KEPT_SCHEMA
    from pretrain_clean.tokenizer import shards_spark
    from pretrain_clean.tokenizer.shards import ShardConfig, tokenize_to_shards

    texts = [f"document {i}: the quick brown fox jumps over the lazy dog {i * 7} times. 敏捷的棕色狐狸。"
             for i in range(300)]
    corpus = tmp_path / "clean" / "kept"
    corpus.mkdir(parents=True)
    for part in range(3):
        rows = [{"id": f"p{part}-{i}", "text": t, "source": "x.jsonl", "position": i, "meta": "{}"}
                for i, t in enumerate(texts[part::3])]
        pq.write_table(pa.Table.from_pylist(rows, schema=KEPT_SCHEMA), corpus / f"part-{part:05d}.parquet")
    base = f"s3://out/spark-shards-{shuffle_seed}"
    upload_tree(tmp_path / "clean", f"{base}/clean")
    from pretrain_clean.tokenizer.config import load_config as load_tokenizer_config
    from pretrain_clean.tokenizer.train import train_tokenizer

    train_tokenizer("bpe", [str(tmp_path / "clean")], str(tmp_path / "tok"), load_tokenizer_config("tokenizer"),
                    vocab_size=800)
    tokenizer = str(tmp_path / "tok" / "tokenizer.json")
    storage.write_bytes(f"{base}/tok/tokenizer.json", Path(tokenizer).read_bytes())
    cfg = ShardConfig(shard_tokens=2000, shuffle_seed=shuffle_seed)
    local = tokenize_to_shards(tokenizer, tmp_path / "clean", tmp_path / "shards", cfg)
    planned: list[list[str]] = []
    write = shards_spark.SparkEngine.write

    def spy(self, cfg, spool_paths, out, todo):  # noqa: ANN001, ANN202 - records what the driver holds
        planned.append(pa.ipc.open_file(pa.memory_map(str(spool_paths[0]))).schema.names)
        assert storage.exists(f"{base}/shards/_work/{spool_paths[0].name}")
        return write(self, cfg, spool_paths, out, todo)

    monkeypatch.setattr(shards_spark.SparkEngine, "write", spy)
    for name, value in s3.items():  # the shared session's Python workers started before the S3 server
        monkeypatch.setitem(spark.sparkContext.environment, name, value)
    remote = shards_spark.tokenize_with_spark(f"{base}/tok/tokenizer.json", f"{base}/clean", f"{base}/shards",
                                              cfg, spark=spark)
    assert planned == [["num_tokens", "key"]]  # the driver never held the token ids
    assert len(remote["shards"]) == len(local["shards"]) > 1
    for entry in local["shards"]:
        assert storage.read_bytes(f"{base}/shards/{entry['file']}") == (tmp_path / "shards" / entry["file"]).read_bytes()
    assert not storage.exists(f"{base}/shards/_work")  # the published spool is gone once complete
