"""The one compiled module (Gopher n-gram statistics); everything else is in pyproject.toml."""
from setuptools import Extension, setup

setup(ext_modules=[Extension("pretrain_clean.filters._repetition", ["pretrain_clean/filters/_repetition.c"],
                             extra_compile_args=["-O2"])])
