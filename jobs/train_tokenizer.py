"""Entry point for `spark-submit jobs/train_tokenizer.py ARGS`; the same as `pretrain-clean train-tokenizer ARGS`."""
import sys

from pretrain_clean.cli.main import run

sys.exit(run("train-tokenizer", sys.argv[1:]))
