"""Compare tokenizers' compression on held-out evaluation sets.

    pretrain-clean report-tokenizers --tokenizer NAME=PATH ... --eval LANG=PATH ... --output DIR

PATH is a tokenizer.json (or its directory), a SentencePiece .model or a tiktoken ranks file.
Writes DIR/report.md, DIR/report.csv and DIR/report.png. The reference tokenizers and default
evaluation sets of the tokenizer config's [report] are added unless --no-references / --eval.
Evaluation documents found in one of our tokenizers' training samples are left out (the report
says how many); --fail-on-overlap refuses the report instead.
"""
from __future__ import annotations

from pretrain_clean.cli.args import parser
from pretrain_clean.errors import UsageError
from pretrain_clean.pipeline import storage
from pretrain_clean.tokenizer.config import load_config
from pretrain_clean.tokenizer.report import run_report


def pairs(values: list[str], flag: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for v in values:
        name, sep, path = v.partition("=")
        if not sep or not name or not path:
            raise UsageError(f"{flag} {v!r}: expected NAME=PATH")
        if name in out:
            raise UsageError(f"{flag}: name {name!r} given twice")
        out[name] = path
    return out


def main(argv: list[str] | None = None) -> int:
    ap = parser("report-tokenizers", __doc__)
    ap.add_argument("--tokenizer", nargs="+", action="extend", default=[], metavar="NAME=PATH")
    ap.add_argument("--eval", nargs="+", action="extend", default=[], metavar="LANG=PATH")
    ap.add_argument("--output", required=True)
    ap.add_argument("--config", default="tokenizer", help="tokenizer config (default: the bundled one)")
    ap.add_argument("--baseline", help="tokenizer NAME the ratios refer to (default: [report] baseline)")
    ap.add_argument("--no-references", action="store_true", help="skip [report.tokenizers]")
    ap.add_argument("--fail-on-overlap", action="store_true",
                    help="refuse the report when evaluation texts were trained on (default: leave them out)")
    args = ap.parse_args(argv)
    cfg = load_config(args.config)
    toks = pairs(args.tokenizer, "--tokenizer")
    if not args.no_references:
        toks.update({k: v for k, v in cfg.report.tokenizers.items() if k not in toks})
    evals = pairs(args.eval, "--eval") or dict(cfg.report.evals)
    baseline = args.baseline or (cfg.report.baseline if cfg.report.baseline in toks else None)
    rows = run_report(toks, evals, args.output, baseline, args.fail_on_overlap)
    print(storage.read_text(storage.join(args.output, "report.md")))
    return 0 if all(r.roundtrip_failures == 0 for r in rows) else 1

