"""normlab: see what normalization layers reduce over, and prove it against PyTorch."""

from __future__ import annotations

import importlib
from types import ModuleType

__version__ = "0.1.0"
__all__ = ["functional", "nn", "errors", "normalize", "audit", "import_d2l", "__version__"]

# Submodules load on first use so `import normlab` stays cheap (matplotlib and ipywidgets only when needed).
_LAZY = {"core", "fast", "backward", "functional", "nn", "errors", "versions", "layouts", "recipes", "matches",
         "explorer", "d2lstyle", "running", "svg", "cells", "viz", "style", "notebook", "widgets", "check", "d2lcompat",
         "cube", "transformer", "state", "frozen", "digits", "train", "why", "landscape", "whyplots",
         "accumulation", "sync", "launch", "shards", "deploy", "auditing", "auditrules", "swap"}


def __getattr__(name: str) -> ModuleType | object:
    """Import submodules lazily; expose normalize (the readable one, normlab.core), audit and import_d2l at the top."""
    if name in _LAZY:
        return importlib.import_module(f"{__name__}.{name}")
    if name == "normalize":
        return importlib.import_module(f"{__name__}.core").normalize
    if name == "audit":  # the function; its module is normlab.auditing
        return importlib.import_module(f"{__name__}.auditing").audit
    if name == "import_d2l":
        return importlib.import_module(f"{__name__}.d2lcompat").import_d2l
    raise AttributeError(f"module 'normlab' has no attribute {name!r}")
