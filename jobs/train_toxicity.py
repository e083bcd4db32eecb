"""Entry point for `spark-submit jobs/train_toxicity.py ARGS`; the same as `pretrain-clean train-toxicity ARGS`."""
import sys

from pretrain_clean.cli.main import run

sys.exit(run("train-toxicity", sys.argv[1:]))
