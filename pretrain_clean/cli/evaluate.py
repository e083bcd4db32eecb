"""Decision report: run a config over the labelled keep/drop set; precision per removal reason.

    pretrain-clean evaluate --config default --output out/evaluate [--update-doc docs/rules.md]

Writes OUTPUT/report.md, reasons.csv (per stage.reason: removed, labelled drop, precision; per
language: retention of keep-labelled and recall of drop-labelled documents) and documents.csv
(every labelled document with what the config did to it). --check exits with status 1 when a
reason that drops has precision under 0.9 or a language's keep-retention is under 0.9.
"""
from __future__ import annotations

import argparse
import sys

from pretrain_clean.errors import UsageError
from pretrain_clean.pipeline import evaluate as ev
from pretrain_clean.pipeline import storage
from pretrain_clean.pipeline.config import load_config


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", default="default", help="TOML config (a file, or 'default' / 'minimal')")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a config value")
    ap.add_argument("--labelled", default=ev.LABELLED, help="labelled documents (.jsonl[.gz]: id, label, lang, text)")
    ap.add_argument("--output", required=True, help="folder for report.md, reasons.csv, documents.csv")
    ap.add_argument("--update-doc", metavar="MARKDOWN",
                    help=f"also write the report between {ev.DOC_BEGIN} and {ev.DOC_END} in this file")
    ap.add_argument("--check", action="store_true",
                    help=f"exit 1 if a dropping reason has precision < {ev.MIN_PRECISION} "
                         f"or a language's keep-retention < {ev.MIN_RETENTION}")
    args = ap.parse_args(argv)
    spec = load_config(args.config, args.set)
    try:
        docs = ev.load_labelled(args.labelled)
    except (OSError, ValueError) as exc:
        raise UsageError(f"--labelled {args.labelled}: {exc}") from exc
    configured = ev.decide(spec, docs)
    alone = ev.decide(spec, docs, alone=True)
    report = ev.markdown(spec, configured, alone, args.config)
    out = args.output
    try:
        storage.makedirs(out)
        storage.write_text(storage.join(out, "report.md"), "# Decision report\n\n" + report)
        storage.write_text(storage.join(out, "reasons.csv"), ev.reasons_csv(configured, alone))
        storage.write_text(storage.join(out, "documents.csv"), ev.documents_csv(configured))
    except OSError as exc:
        raise UsageError(f"--output {out}: cannot write the report there ({exc})") from exc
    if args.update_doc:
        try:
            ev.update_doc(args.update_doc, report)
        except (OSError, ValueError) as exc:
            raise UsageError(f"--update-doc: {exc}") from exc
    found = ev.problems(configured)
    langs = ", ".join(f"{r.lang} {r.retention:.2f}" for r in ev.language_rows(configured))
    print(f"{len(docs)} labelled documents; keep-retention {langs} -> {storage.join(out, 'report.md')}")
    for line in found:
        print(f"below target: {line}", file=sys.stderr)
    return 1 if args.check and found else 0
