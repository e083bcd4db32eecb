"""Dedup benchmark: signature throughput vs datasketch, labeled-set precision/recall,
end-to-end local near-dup dedup time and peak memory on generated corpora.

    python bench/bench_dedup.py [--sizes 100000 1000000] [--skip-e2e]

Everything runs in one process per measurement (one core); figures depend on the
machine's load, so compare the ratios printed side by side.
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


from pretrain_clean.dedup.config import DedupConfig
from pretrain_clean.dedup.evaluation import build_labeled_set, detected_pairs, load_sample_texts, pair_metrics
from pretrain_clean.dedup.features import NearDupHasher

SAMPLE = "data/sample/web_en"


def web_like_docs(n: int, size: int = 2300) -> list[str]:
    """``n`` documents of about ``size`` characters cut from the real sample pages."""
    pieces = []
    for text in load_sample_texts(SAMPLE, min_words=50):
        for start in range(0, max(len(text) - size // 2, 1), size):
            piece = text[start : start + size]
            if len(piece) > size // 2:
                pieces.append(piece)
    return [pieces[i % len(pieces)] for i in range(n)]


def datasketch_rate(docs: list[str], num_perm: int, ngram: int) -> float:
    """Documents/s of datasketch: word n-grams, ``MinHash.update_batch`` (sha1 hash)."""
    from datasketch import MinHash

    t0 = time.perf_counter()
    for text in docs:
        words = text.lower().split()
        grams = [" ".join(words[i : i + ngram]).encode() for i in range(max(len(words) - ngram + 1, 1))]
        m = MinHash(num_perm=num_perm, seed=1)
        m.update_batch(grams)
    return len(docs) / (time.perf_counter() - t0)


def our_rate(docs: list[str], cfg: DedupConfig) -> float:
    hasher = NearDupHasher.from_config(cfg)
    t0 = time.perf_counter()
    for lo in range(0, len(docs), cfg.batch_size):
        hasher.signatures(docs[lo : lo + cfg.batch_size])
    return len(docs) / (time.perf_counter() - t0)


def throughput() -> None:
    cfg = DedupConfig()
    docs = web_like_docs(6000)
    print(f"## Signature throughput, one core ({len(docs)} docs of {np.mean([len(d) for d in docs]):.0f} chars, "
          f"{cfg.num_perm} perms, word {cfg.ngram}-grams)")
    ds = datasketch_rate(docs[:3000], cfg.num_perm, cfg.ngram)
    ours = our_rate(docs, cfg)
    legacy = our_rate(docs[:3000], DedupConfig(minhash_scheme="legacy"))
    print(f"datasketch update_batch (affine32, sha1): {ds:10.0f} docs/s")
    print(f"ours, affine32 (text -> signature):       {ours:10.0f} docs/s   {ours / ds:5.1f}x datasketch")
    print(f"ours, legacy mod 2^61-1:                  {legacy:10.0f} docs/s   {legacy / ds:5.1f}x datasketch")


def labeled() -> None:
    cfg = DedupConfig()
    texts = load_sample_texts(SAMPLE, min_words=150)
    data = build_labeled_set(texts, seed=0)
    print(f"\n## Labeled near-duplicate set: {len(texts)} real originals, {len(data.texts) - len(texts)} edited copies, "
          f"{len(data.pairs)} pairs (threshold {cfg.minhash_threshold})")
    hasher = NearDupHasher.from_config(cfg)
    print(f"bands x rows = {hasher.bands} x {hasher.rows}")
    for verify in (False, True):
        m = pair_metrics(data, detected_pairs(hasher, data.texts, verify), cfg.minhash_threshold, 0.05)
        print(f"verify={verify!s:5}: " + ", ".join(f"{k}={v:.3f}" if v < 10 else f"{k}={v:.0f}" for k, v in m.items()))


def generate(directory: Path, n: int, seed: int = 0, per_part: int = 50_000) -> dict[str, int]:
    """``n`` documents of ~1.2 KB: Zipf-drawn words of the real sample's vocabulary; 5%
    exact copies and 10% near copies (1% of words edited) of earlier documents."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    vocab = np.array(sorted({w for t in load_sample_texts(SAMPLE, 1) for w in t.split()}), dtype=object)
    probs = 1.0 / np.arange(1, len(vocab) + 1)
    probs /= probs.sum()
    kinds = rng.choice(3, size=n, p=[0.85, 0.05, 0.10])
    kinds[0] = 0
    planted = {"exact": 0, "near": 0}
    texts: list[str] = []
    schema = pa.schema([("id", pa.string()), ("text", pa.string()), ("source", pa.string()),
                        ("position", pa.int64()), ("meta", pa.string())])
    part = 0
    words_cache: list[np.ndarray] = []
    for i in range(n):
        if kinds[i] == 0 or i < 10:
            words = rng.choice(len(vocab), size=180, p=probs)
        else:
            words = words_cache[rng.integers(len(words_cache))].copy()
            if kinds[i] == 2:
                hit = rng.random(len(words)) < 0.01
                words[hit] = rng.choice(len(vocab), size=int(hit.sum()), p=probs)
                planted["near"] += 1
            else:
                planted["exact"] += 1
        words_cache.append(words)
        if len(words_cache) > 20_000:
            words_cache = words_cache[-10_000:]
        texts.append(" ".join(vocab[words]))
        if len(texts) == per_part or i == n - 1:
            start = i + 1 - len(texts)
            table = pa.table({"id": [f"g{start + k}" for k in range(len(texts))], "text": texts,
                              "source": ["gen"] * len(texts), "position": list(range(start, i + 1)),
                              "meta": ["{}"] * len(texts)}, schema=schema)
            pq.write_table(table, directory / f"part-{part:05d}.parquet")
            part += 1
            texts = []
    return planted


def e2e_child(directory: str) -> None:
    """Run local near-dup + exact dedup on ``directory/in`` and print JSON figures."""
    from pretrain_clean.dedup.local import run_dedup_local

    base = Path(directory)
    files = sorted(str(p) for p in (base / "in").glob("*.parquet"))
    cfg = DedupConfig(paragraph=False)
    t0 = time.perf_counter()
    result = run_dedup_local(cfg, files, str(base / "kept"), str(base / "rej"), str(base / "work"))
    wall = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"wall_s": wall, "peak_mib": peak, "removed": result.removed, "seconds": result.seconds,
                      "bytes_in": result.bytes_in}))


def e2e(sizes: list[int]) -> None:
    print("\n## End-to-end local dedup (exact + MinHash LSH, verify on), one process")
    print("| documents | corpus MiB | wall s | docs/s | peak RSS MiB | exact removed (planted) | near removed (planted) |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / "in").mkdir()
            planted = generate(Path(tmp) / "in", n)
            out = subprocess.run([sys.executable, __file__, "--e2e-child", tmp], capture_output=True, text=True, check=True)
            fig = json.loads(out.stdout.strip().splitlines()[-1])
            removed = fig["removed"]
            print(f"| {n:,} | {fig['bytes_in'] / 2**20:,.0f} | {fig['wall_s']:.1f} | {n / fig['wall_s']:,.0f} | "
                  f"{fig['peak_mib']:,.0f} | {removed.get('dedup_exact.duplicate', 0):,} ({planted['exact']:,}) | "
                  f"{removed.get('dedup_minhash.near_duplicate', 0):,} ({planted['near']:,}) |")
            print(f"  steps: {json.dumps({k: round(v, 1) for k, v in fig['seconds'].items()})}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="*", default=[100_000, 1_000_000])
    parser.add_argument("--skip-e2e", action="store_true")
    parser.add_argument("--e2e-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.e2e_child:
        e2e_child(args.e2e_child)
        return
    throughput()
    labeled()
    if not args.skip_e2e:
        e2e(args.sizes)


if __name__ == "__main__":
    main()
