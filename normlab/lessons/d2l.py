"""Import d2l's PyTorch helpers even where torchvision cannot load (CPU-only torch from PyPI)."""

from __future__ import annotations

import importlib
import sys
from types import ModuleType

__all__ = ["import_d2l", "TorchvisionUnavailable", "torchvision_problem"]

_SUBMODULES = ("datasets", "transforms", "io", "models", "ops", "utils")


class TorchvisionUnavailable(ImportError):
    """Raised when d2l code touches torchvision while only normlab's stand-in is loaded."""


class _StandIn(ModuleType):
    """A module whose every public attribute raises TorchvisionUnavailable with the reason."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(name, f"normlab stand-in for {name}: torchvision could not be imported.")
        self._reason = reason

    def __getattr__(self, attr: str) -> object:
        if attr.startswith("__"):
            raise AttributeError(attr)
        raise TorchvisionUnavailable(
            f"{self.__name__}.{attr} needs torchvision, which could not be imported here ({self._reason}). "
            "normlab's notebooks make their own data, so they never need it. For d2l's vision datasets "
            "install a torchvision build that matches your torch (e.g. CPU wheels from PyTorch's own index).")

    def __repr__(self) -> str:
        return f"<normlab stand-in for module {self.__name__!r}>"


def torchvision_problem() -> str | None:
    """Why torchvision cannot be imported, or None if it imports."""
    try:
        importlib.import_module("torchvision")
    except (ImportError, OSError, RuntimeError) as exc:  # missing, or its CUDA extension fails to load
        return f"{type(exc).__name__}: {exc}".splitlines()[0]
    return None


def import_d2l() -> ModuleType:
    """Return `d2l.torch`; if torchvision cannot load, d2l gets a stand-in that fails only when used."""
    if "d2l.torch" in sys.modules:
        return sys.modules["d2l.torch"]
    reason = torchvision_problem()
    if reason is None:
        return importlib.import_module("d2l.torch")
    root = _StandIn("torchvision", reason)
    fakes = {"torchvision": root}
    for sub in _SUBMODULES:
        fakes[f"torchvision.{sub}"] = _StandIn(f"torchvision.{sub}", reason)
        setattr(root, sub, fakes[f"torchvision.{sub}"])
    saved = {name: sys.modules.get(name) for name in fakes}
    sys.modules.update(fakes)
    try:
        return importlib.import_module("d2l.torch")
    finally:  # d2l keeps its reference; other code importing torchvision sees the real failure again
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module
