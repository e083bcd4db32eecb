"""Entry point for `spark-submit jobs/verify_shards.py ARGS`; the same as `pretrain-clean verify-shards ARGS`."""
import sys

from pretrain_clean.cli.main import run

sys.exit(run("verify-shards", sys.argv[1:]))
