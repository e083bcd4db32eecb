"""Check a tokenized shard directory: ``pretrain-clean verify-shards DIR`` exits 0 only when all is well."""
from __future__ import annotations

import sys

from pretrain_clean.cli.args import parser, positive
from pretrain_clean.errors import MissingInput
from pretrain_clean.pipeline import storage
from pretrain_clean.tokenizer.verify import verify_shards


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, verify, print every problem; return the exit status."""
    ap = parser("verify-shards", __doc__)
    ap.add_argument("dir", help="output folder of `pretrain-clean shards` (holds manifest.json)")
    ap.add_argument("--sample", type=positive, default=64, help="documents to decode and compare (default 64)")
    ap.add_argument("--seed", type=int, default=0, help="seed choosing the sample")
    ap.add_argument("--tokenizer", help="tokenizer.json to use instead of the manifest's tokenizer_path")
    args = ap.parse_args(argv)
    if not storage.exists(args.dir):  # a local folder or a URI
        raise MissingInput(f"shard folder not found: {args.dir}")
    problems = verify_shards(args.dir, sample=args.sample, seed=args.seed, tokenizer=args.tokenizer)
    for problem in problems:
        print(f"FAIL {problem}", file=sys.stderr)
    if problems:
        print(f"{args.dir}: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    print(f"{args.dir}: OK")
    return 0

