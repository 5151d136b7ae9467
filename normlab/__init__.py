"""normlab: see what normalization layers reduce over, and prove it against PyTorch.

The tree is the architecture (README "The package"); each layer imports only the ones below it, and `make lint`
checks it (import-linter, the contracts in pyproject.toml):

- the library, here at the top: `normalize`, `fast`, `families`, `stats`, `errors`, `functional`, `nn`, `sync`,
  `frozen`, `deploy`, `audit`, ... (torch only: no matplotlib, ipywidgets, d2l or scikit-learn);
- `normlab.lessons`: the computations the notebooks run (data, experiments, the explorer's table);
- `normlab.pictures`: every picture, as SVG (and the figure style);
- `normlab.widgets`, `normlab.check`, `normlab.course`: the interactive UIs, the exercise checkers and the
  notebooks' own helpers, which nothing else in normlab imports.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

__version__ = "0.1.0"
__all__ = ["functional", "nn", "errors", "normalize", "audit", "import_d2l", "__version__"]

# Submodules load on first use so `import normlab` stays cheap (matplotlib and ipywidgets only when needed);
# every module and subpackage of this folder can be reached as an attribute.
_SUBMODULES = frozenset(m.name for m in pkgutil.iter_modules(__path__))
_FUNCTIONS = {"normalize": "core", "audit": "auditing", "import_d2l": "lessons.d2l"}  # name -> its module


def __getattr__(name: str) -> ModuleType | object:
    """Import submodules lazily; expose normalize (the readable one), audit and import_d2l at the top."""
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in _FUNCTIONS:
        return getattr(importlib.import_module(f"{__name__}.{_FUNCTIONS[name]}"), name)
    raise AttributeError(f"module 'normlab' has no attribute {name!r}")
