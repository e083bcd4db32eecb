"""The errors a user can fix: each prints as one ``error:`` line and exits with status 2.

Everything else that escapes a job is a bug in this project and keeps its traceback.
"""
from __future__ import annotations


class UserError(Exception):
    """A usage, config, input or environment problem, with what to do in the message."""


class ConfigError(UserError, ValueError):
    """A config problem, with the key it concerns in the message."""


class UsageError(UserError, ValueError):
    """Bad command-line usage: missing inputs, unwritable output, conflicting rerun."""


class MissingInput(UsageError, FileNotFoundError):
    """An input path that does not exist (also a ``FileNotFoundError`` for library callers)."""


class EnvironmentProblem(UserError, RuntimeError):
    """A library, program or model the run needs is missing or broken on this machine."""
