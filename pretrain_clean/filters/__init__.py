"""Cascade stages: normalization, heuristic rules, learned scorers.

Every module here is imported by ``pipeline.config.load_stage_modules`` so that its
stages register; adding a rule means adding a class, not editing this file.
"""
