"""``python -m pretrain_clean SUBCOMMAND ...`` (same as the ``pretrain-clean`` console script)."""
import sys

from pretrain_clean.cli.main import main

sys.exit(main())
