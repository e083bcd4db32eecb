"""The argument parser every subcommand uses: bad usage is a :class:`UsageError`.

argparse's own ``error()`` prints the usage text and a ``prog: error:`` line; ours raises, so
:func:`pretrain_clean.cli.main.run` prints one ``error:`` line and exits with status 2 like
every other user problem.
"""
from __future__ import annotations

import argparse
from typing import NoReturn

from pretrain_clean.errors import UsageError


class ArgumentParser(argparse.ArgumentParser):
    """``argparse.ArgumentParser`` whose errors are :class:`UsageError` naming ``--help``."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see {self.prog} --help)")


def parser(prog: str, doc: str | None) -> ArgumentParser:
    """A parser for subcommand ``prog`` described by its module docstring."""
    return ArgumentParser(prog=f"pretrain-clean {prog}", description=doc,
                          formatter_class=argparse.RawDescriptionHelpFormatter)


def positive(value: str) -> int:
    """argparse type: an integer >= 1.

    >>> positive("3")
    3
    """
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {value}")
    return number


def non_negative(value: str) -> int:
    """argparse type: an integer >= 0."""
    number = int(value)
    if number < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {value}")
    return number
