"""Entry point for `spark-submit jobs/train_kenlm.py ARGS`; the same as `pretrain-clean train-kenlm ARGS`."""
import sys

from pretrain_clean.cli.main import run

sys.exit(run("train-kenlm", sys.argv[1:]))
