"""Entry point for `spark-submit jobs/train_quality.py ARGS`; the same as `pretrain-clean train-quality ARGS`."""
import sys

from pretrain_clean.cli.main import run

sys.exit(run("train-quality", sys.argv[1:]))
