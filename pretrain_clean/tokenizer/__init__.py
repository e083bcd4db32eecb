"""Tokenizer training, reports and tokenized shards."""
