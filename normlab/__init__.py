"""normlab: see what normalization layers reduce over, and prove it against PyTorch."""

from __future__ import annotations

import importlib
from types import ModuleType

__version__ = "0.1.0"
__all__ = ["functional", "nn", "errors", "normalize", "import_d2l", "__version__"]

# Submodules load on first use so `import normlab` stays cheap (matplotlib and ipywidgets only when needed).
_LAZY = {"core", "functional", "nn", "errors", "d2lcompat", "viz", "cells", "axes", "explorer", "running", "layouts",
         "widgets", "check", "style"}


def __getattr__(name: str) -> ModuleType | object:
    """Import submodules lazily; expose normalize and import_d2l at the top level."""
    if name in _LAZY:
        return importlib.import_module(f"{__name__}.{name}")
    if name == "normalize":
        return importlib.import_module(f"{__name__}.functional").normalize
    if name == "import_d2l":
        return importlib.import_module(f"{__name__}.d2lcompat").import_d2l
    raise AttributeError(f"module 'normlab' has no attribute {name!r}")
