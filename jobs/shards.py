"""Entry point for `spark-submit jobs/shards.py ARGS`; the same as `pretrain-clean shards ARGS`."""
import sys

from pretrain_clean.cli.main import run

sys.exit(run("shards", sys.argv[1:]))
