"""The compiled modules (hot loops in C); everything else is in pyproject.toml."""
from setuptools import Extension, setup

setup(ext_modules=[
    Extension("pretrain_clean.filters._repetition", ["pretrain_clean/filters/_repetition.c"], extra_compile_args=["-O2"]),
    Extension("pretrain_clean.filters._chunks", ["pretrain_clean/filters/_chunks.c"], extra_compile_args=["-O2"]),
    Extension("pretrain_clean.filters._c4", ["pretrain_clean/filters/_c4.c"], extra_compile_args=["-O2"]),
    Extension("pretrain_clean.filters._lines", ["pretrain_clean/filters/_lines.c"], extra_compile_args=["-O2"]),
    Extension("pretrain_clean.dedup._whitespace", ["pretrain_clean/dedup/_whitespace.c"], extra_compile_args=["-O2"]),
])
