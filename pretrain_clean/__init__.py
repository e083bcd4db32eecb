"""Pretraining-data pipeline: normalize, filter, score, dedup, tokenize; local or Spark."""
