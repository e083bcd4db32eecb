"""Entry point for `spark-submit jobs/dedup.py ARGS`; the same as `pretrain-clean dedup ARGS`."""
import sys

from pretrain_clean.cli.main import run

sys.exit(run("dedup", sys.argv[1:]))
