"""Swap layers inside a model: every submodule of one kind replaced by what a function makes of it."""

from __future__ import annotations

from collections.abc import Callable

from torch import nn

__all__ = ["swap_modules"]


def swap_modules(module: nn.Module, kind: type | tuple[type, ...], make: Callable[[nn.Module], nn.Module]) -> nn.Module:
    """module with every submodule of `kind` replaced by make(submodule), in place; module itself, if of `kind`,
    comes back replaced."""
    if isinstance(module, kind):
        return make(module)
    for name, child in module.named_children():
        setattr(module, name, swap_modules(child, kind, make))
    return module
