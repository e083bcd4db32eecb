"""Check a tokenized shard directory: ``pretrain-clean verify-shards DIR`` exits 0 only when all is well."""
from __future__ import annotations

import argparse
import sys

from pretrain_clean.tokenizer.verify import verify_shards


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, verify, print every problem; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("dir", help="output folder of `pretrain-clean shards` (holds manifest.json)")
    parser.add_argument("--sample", type=int, default=64, help="documents to decode and compare (default 64)")
    parser.add_argument("--seed", type=int, default=0, help="seed choosing the sample")
    parser.add_argument("--tokenizer", help="tokenizer.json to use instead of the manifest's tokenizer_path")
    args = parser.parse_args(argv)
    problems = verify_shards(args.dir, sample=args.sample, seed=args.seed, tokenizer=args.tokenizer)
    for problem in problems:
        print(f"FAIL {problem}", file=sys.stderr)
    if problems:
        print(f"{args.dir}: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    print(f"{args.dir}: OK")
    return 0

