"""Dedup benchmark: signatures (ours, datasketch, rensa) on the same texts, their quality on
a labeled set, and exact + MinHash dedup end to end against datatrove's 4-stage pipeline.

    python bench/bench_dedup.py                         # signatures, quality, 100k end to end
    python bench/bench_dedup.py --docs 20000 --rounds 3 # smaller end-to-end corpus
    python bench/bench_dedup.py --scale 10000000        # ours alone: time and peak RSS

Every comparison interleaves the sides (A B A B ..., ``--rounds`` >= 3) and reports medians
of per-round ratios. Signatures run in this process (one core, CPU time); end-to-end sides
run as process trees with ``--workers`` processes each (bench/measure.py: CPU of the whole
tree, summed peak RSS). The machine's load is printed with the figures.
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from dedup_corpus import SAMPLE, generate
from measure import interleave, load_note, measure, report
from pretrain_clean.dedup.config import DedupConfig
from pretrain_clean.dedup.evaluation import build_labeled_set, load_sample_texts
from pretrain_clean.dedup.features import NearDupHasher
from pretrain_clean.dedup.hashing import shingle_hashes_batch
from pretrain_clean.dedup.minhash import estimate_jaccard


DATATROVE = """
import sys
from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.dedup import MinhashDedupBuckets, MinhashDedupCluster, MinhashDedupFilter, MinhashDedupSignature
from datatrove.pipeline.dedup.minhash import MinhashConfig
from datatrove.pipeline.readers import ParquetReader
from datatrove.pipeline.writers import ParquetWriter
import datatrove.utils.hashes.xxhash
import xxhash


class _EncodeStr:
    # datatrove 0.10.1 hashes str shingles; xxhash 4 (installed here) only takes bytes, which
    # xxhash 3 made of a str by UTF-8 encoding it. Same hashes, same work.
    def __getattr__(self, name):
        fn = getattr(xxhash, name)
        return lambda data, *a: fn(data.encode("utf-8") if isinstance(data, str) else data, *a)


datatrove.utils.hashes.xxhash.xxhash = _EncodeStr()

src, out, workers, tasks, bands, rows = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:7])

if __name__ == "__main__":
    cfg = MinhashConfig(n_grams=5, num_buckets=bands, hashes_per_bucket=rows, seed=1)
    read = lambda: ParquetReader(src, text_key="text", id_key="id")
    s1 = LocalPipelineExecutor([read(), MinhashDedupSignature(out + "/sigs", config=cfg)],
                               tasks=tasks, workers=workers, logging_dir=out + "/logs/1")
    s2 = LocalPipelineExecutor([MinhashDedupBuckets(out + "/sigs", out + "/buckets", config=cfg)],
                               tasks=bands, workers=workers, logging_dir=out + "/logs/2", depends=s1)
    s3 = LocalPipelineExecutor([MinhashDedupCluster(out + "/buckets", out + "/remove", config=cfg)],
                               tasks=1, logging_dir=out + "/logs/3", depends=s2)
    s4 = LocalPipelineExecutor([read(), MinhashDedupFilter(out + "/remove"), ParquetWriter(out + "/kept")],
                               tasks=tasks, workers=workers, logging_dir=out + "/logs/4", depends=s3)
    s4.run()
"""


def web_like_docs(n: int, size: int = 2300) -> list[str]:
    """``n`` documents of about ``size`` characters cut from the real sample pages."""
    pieces = []
    for text in load_sample_texts(SAMPLE, min_words=50):
        for start in range(0, max(len(text) - size // 2, 1), size):
            piece = text[start : start + size]
            if len(piece) > size // 2:
                pieces.append(piece)
    return [pieces[i % len(pieces)] for i in range(n)]


def word_ngrams(text: str, n: int) -> list[bytes]:
    """What a user of datasketch or rensa would feed: lower-cased word n-grams."""
    words = text.lower().split()
    return [" ".join(words[i : i + n]).encode() for i in range(max(len(words) - n + 1, 1))]


def sig_datasketch(docs: list[str], cfg: DedupConfig) -> None:
    from datasketch import MinHash

    for text in docs:
        m = MinHash(num_perm=cfg.num_perm, seed=cfg.seed)
        m.update_batch(word_ngrams(text, cfg.ngram))


def sig_rensa_tokens(docs: list[str], cfg: DedupConfig) -> None:
    from rensa import RMinHash

    for lo in range(0, len(docs), cfg.batch_size):
        RMinHash.digest_matrix_from_token_sets([word_ngrams(t, cfg.ngram) for t in docs[lo : lo + cfg.batch_size]],
                                               cfg.num_perm, cfg.seed)


def rensa_from_our_shingles(texts: list[str], cfg: DedupConfig) -> np.ndarray:
    """rensa's MinHash over exactly our shingle hashes (our tokenizer, its permutations)."""
    from rensa import RMinHash

    hashes, offsets = shingle_hashes_batch(texts, cfg.ngram, cfg.ngram_cjk, cfg.cjk_min_share)
    matrix = RMinHash.digest_matrix_from_flat_token_hashes(hashes.astype(np.uint64), offsets.astype(np.uint64),
                                                           cfg.num_perm, cfg.seed)
    return np.asarray(matrix.to_rows(), dtype=np.uint64)


def sig_rensa_ours(docs: list[str], cfg: DedupConfig) -> None:
    for lo in range(0, len(docs), cfg.batch_size):
        rensa_from_our_shingles(docs[lo : lo + cfg.batch_size], cfg)


def sig_ours(docs: list[str], cfg: DedupConfig) -> None:
    hasher = NearDupHasher.from_config(cfg)
    for lo in range(0, len(docs), cfg.batch_size):
        hasher.signatures(docs[lo : lo + cfg.batch_size])


def throughput(rounds: int) -> None:
    cfg = DedupConfig()
    docs = web_like_docs(6000)
    sides = {"ours (text -> signature)": sig_ours, "rensa on our shingles": sig_rensa_ours,
             "rensa, word n-gram sets": sig_rensa_tokens, "datasketch update_batch": sig_datasketch}
    print(f"## Signatures, one core: {len(docs):,} docs of {np.mean([len(d) for d in docs]):.0f} chars, "
          f"{cfg.num_perm} perms, word {cfg.ngram}-grams, {rounds} interleaved rounds ({load_note()})")
    cpu: dict[str, list[float]] = {name: [] for name in sides}
    for _ in range(rounds):
        for name, fn in sides.items():
            t0 = time.process_time()
            fn(docs, cfg)
            cpu[name].append(time.process_time() - t0)
    ours = cpu["ours (text -> signature)"]
    print("| signatures | docs/s (CPU, median) | ours faster by (median of per-round ratios) |\n|---|---:|---:|")
    for name, times in cpu.items():
        ratio = statistics.median(t / o for t, o in zip(times, ours))
        print(f"| {name} | {len(docs) / statistics.median(times):,.0f} | {ratio:.2f}x |")


def quality() -> None:
    """Estimated vs true Jaccard on real pages and edited copies: ours (datasketch's exact
    permutations) and rensa's, over the same shingles."""
    cfg = DedupConfig()
    data = build_labeled_set(load_sample_texts(SAMPLE, min_words=150), seed=0)
    ours = NearDupHasher.from_config(cfg).signatures(data.texts)
    theirs = rensa_from_our_shingles(data.texts, cfg)
    true = np.array([s for _, _, s, _ in data.pairs])
    i = np.array([p[0] for p in data.pairs])
    j = np.array([p[1] for p in data.pairs])
    print(f"\n## Estimate quality: {len(data.pairs):,} labeled pairs of real pages and edited copies "
          f"(threshold {cfg.minhash_threshold})")
    print("| signatures | mean abs error | pairs on the wrong side of the threshold |\n|---|---:|---:|")
    for name, sigs in (("ours (= datasketch affine32)", ours), ("rensa RMinHash", theirs)):
        est = estimate_jaccard(sigs[i], sigs[j])
        wrong = int(((est >= cfg.minhash_threshold) != (true >= cfg.minhash_threshold)).sum())
        print(f"| {name} | {np.abs(est - true).mean():.4f} | {wrong} |")


def dedup_config(folder: Path, paragraph: bool) -> Path:
    path = folder / f"dedup-paragraph-{paragraph}.toml".lower()
    path.write_text(f"[dedup]\nparagraph = {str(paragraph).lower()}\n", encoding="utf-8")
    return path


def end_to_end(docs: int, rounds: int, workers: int, skip: list[str]) -> None:
    cfg = DedupConfig()
    hasher = NearDupHasher.from_config(cfg)
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        (base / "in").mkdir()
        planted = generate(base / "in", docs, per_part=max(docs // (2 * workers), 1), workers=workers)
        parts = len(list((base / "in").glob("*.parquet")))
        ours = [sys.executable, "-m", "pretrain_clean", "dedup", "--input", str(base / "in")]
        script = base / "datatrove_minhash.py"
        script.write_text(DATATROVE, encoding="utf-8")
        sides = {
            "ours exact+minhash": [*ours, "--config", str(dedup_config(base, False)), "--output", f"{tmp}/ours",
                                   "--workers", str(workers)],
            "datatrove minhash": [sys.executable, str(script), str(base / "in"), f"{tmp}/datatrove", str(workers),
                                  str(parts), str(hasher.bands), str(hasher.rows)],
            "ours +paragraph": [*ours, "--config", str(dedup_config(base, True)), "--output", f"{tmp}/para",
                                "--workers", str(workers)],
        }
        sides = {k: v for k, v in sides.items() if k not in skip}
        print(f"\n## End to end: {docs:,} generated docs (~1.2 KB; planted {planted['exact']:,} exact and "
              f"{planted['near']:,} near copies) in {parts} parquet parts; {workers} workers per side; "
              f"LSH {hasher.bands} bands x {hasher.rows} rows both sides; {load_note()}")
        runs = interleave(sides, rounds, before_each=lambda name: [shutil.rmtree(base / d, ignore_errors=True)
                                                                   for d in ("ours", "datatrove", "para")])
    pairs = [("datatrove minhash", "ours exact+minhash"), ("ours +paragraph", "ours exact+minhash")]
    report(runs, {name: docs for name in sides}, [(a, b) for a, b in pairs if a in runs and b in runs])


def scale(docs: int, workers: int, folder: str | None) -> None:
    """Ours alone on one big generated corpus (kept in ``folder`` to rerun)."""
    base = Path(folder or tempfile.mkdtemp())
    if not (base / "in").exists():
        (base / "in").mkdir(parents=True)
        t0 = time.perf_counter()
        generate(base / "in", docs, workers=workers)
        print(f"generated {docs:,} docs in {time.perf_counter() - t0:.0f} s")
    shutil.rmtree(base / "out", ignore_errors=True)
    run = measure([sys.executable, "-m", "pretrain_clean", "dedup", "--config", "default", "--input", str(base / "in"),
                   "--output", str(base / "out"), "--workers", str(workers)])
    print(f"## pretrain-clean dedup (default config: exact + MinHash + paragraph), {docs:,} docs, {workers} workers: "
          f"wall {run.wall:.0f} s, CPU {run.cpu:.0f} s, peak PSS (tree) {run.peak_rss_mib:,.0f} MiB "
          f"({run.peak_rss_mib * 2**20 / docs:,.0f} bytes a document, start-up included); {load_note()}")
    report = json.loads((base / "out" / "dedup_report.json").read_text(encoding="utf-8"))
    print("seconds (wall per pass, CPU summed over workers per step):",
          json.dumps({k: round(v, 1) for k, v in report["seconds"].items()}))
    print("removed:", report["removed"], "kept:", report["kept"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=100_000, help="end-to-end corpus size")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip", nargs="*", default=[], help="sections or sides to leave out: signatures quality e2e, "
                        "'datatrove minhash', 'ours +paragraph'")
    parser.add_argument("--scale", type=int, help="only run ours on this many generated docs")
    parser.add_argument("--scale-dir", help="keep the --scale corpus here (generated once)")
    args = parser.parse_args()
    if args.scale:
        scale(args.scale, args.workers, args.scale_dir)
        return
    if "signatures" not in args.skip:
        throughput(args.rounds)
    if "quality" not in args.skip:
        quality()
    if "e2e" not in args.skip:
        end_to_end(args.docs, args.rounds, args.workers, args.skip)


if __name__ == "__main__":
    main()
