"""The package's C modules (hot loops, listed in ``setup.py``), loaded with a clear message
when a checkout has not built them, or built them before their last change."""
from __future__ import annotations

import importlib
from types import ModuleType

BUILD = "install the package (pip install .), or in a checkout run: python setup.py build_ext --inplace"


def load(name: str, version: int) -> ModuleType:
    """``pretrain_clean.<name>``, checked to be the build of ``version`` (its ``VERSION``)."""
    try:
        module = importlib.import_module(f"pretrain_clean.{name}")
    except ImportError as exc:
        raise ImportError(f"pretrain_clean's C module {name} is not built: {BUILD}") from exc
    if getattr(module, "VERSION", None) != version:
        raise ImportError(f"pretrain_clean's C module {name} is an old build "
                          f"(VERSION {getattr(module, 'VERSION', None)}, need {version}): {BUILD}")
    return module
