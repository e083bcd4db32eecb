"""Runners, I/O, config and accounting for the cleaning cascade."""
