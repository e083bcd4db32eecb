"""Train a tokenizer on a sample of the cleaned corpus (or any text input).

    pretrain-clean train-tokenizer --kind spm|bpe --vocab-size N --input PATH... --output DIR

Writes DIR/tokenizer.json (and DIR/tokenizer.model for spm), special_tokens_map.json,
tokenizer_config.json, sample_hashes.txt and train_info.json. Other options come from
the tokenizer config (--config; default: the bundled one).
"""
from __future__ import annotations

import json
from dataclasses import replace

from pretrain_clean.cli.args import non_negative, parser, positive
from pretrain_clean.tokenizer.config import load_config
from pretrain_clean.tokenizer.train import KINDS, train_tokenizer


def main(argv: list[str] | None = None) -> int:
    ap = parser("train-tokenizer", __doc__)
    ap.add_argument("--kind", choices=KINDS, required=True)
    ap.add_argument("--vocab-size", type=positive, help="overrides [spm]/[bpe] vocab_size")
    ap.add_argument("--input", nargs="+", required=True, help="cleaned-corpus dirs, parquet, jsonl(.gz/.zst) or txt")
    ap.add_argument("--output", required=True)
    ap.add_argument("--config", default="tokenizer", help="tokenizer config (default: the bundled one)")
    ap.add_argument("--max-bytes", type=non_negative, help="overrides [sample] max_bytes (0 = everything)")
    ap.add_argument("--seed", type=int, help="overrides [sample] seed")
    args = ap.parse_args(argv)
    cfg = load_config(args.config)
    if args.max_bytes is not None:
        cfg.sample = replace(cfg.sample, max_bytes=args.max_bytes or None)
    if args.seed is not None:
        cfg.sample = replace(cfg.sample, seed=args.seed)
    info = train_tokenizer(args.kind, args.input, args.output, cfg, args.vocab_size)
    print(json.dumps({k: info[k] for k in ("kind", "sample", "seconds")}))
    return 0

