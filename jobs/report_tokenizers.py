"""Entry point for `spark-submit jobs/report_tokenizers.py ARGS`; the same as `pretrain-clean report-tokenizers ARGS`."""
import sys

from pretrain_clean.cli.main import run

sys.exit(run("report-tokenizers", sys.argv[1:]))
