"""Corpus-wide deduplication: exact, MinHash LSH, paragraph/sentence."""
