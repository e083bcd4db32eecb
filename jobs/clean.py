"""Entry point for `spark-submit jobs/clean.py ARGS`; the same as `pretrain-clean clean ARGS`."""
import sys

from pretrain_clean.cli.main import run

sys.exit(run("clean", sys.argv[1:]))
