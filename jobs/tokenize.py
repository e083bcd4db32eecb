"""Tokenize the cleaned corpus into parquet shards with a manifest (see docs/shards.md).

    python jobs/tokenize.py --tokenizer PATH --input DIR --output DIR [--shard-tokens N]
        [--seq-len N] [--shuffle-seed N] [--overwrite] [--engine local|spark]
    spark-submit jobs/tokenize.py --engine spark ...   (same flags, same shard format)

This file's name is the standard library's ``tokenize``, and a script's folder comes first on
``sys.path``: when any script in jobs/ (or this one) imports ``tokenize`` (logging, linecache and
inspect do), it finds this file. Imported under that name, it runs the standard module instead.
"""
import os as _os
import sys as _sys

if __name__ != "__main__":
    _stdlib = _os.path.join(_os.path.dirname(_os.__file__), "tokenize.py")
    with open(_stdlib, encoding="utf-8") as _f:
        exec(compile(_f.read(), _stdlib, "exec"))
else:
    from tokenizer.shards_cli import main

    _sys.exit(main())
