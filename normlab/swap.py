"""Swap layers inside a model: every submodule of one kind replaced by what a function makes of it, the new layer
sharing the old one's parameters and buffers where it should."""

from __future__ import annotations

from collections.abc import Callable

from torch import nn

__all__ = ["swap_modules", "share_state"]


def swap_modules(module: nn.Module, kind: type | tuple[type, ...], make: Callable[[nn.Module], nn.Module]) -> nn.Module:
    """module with every submodule of `kind` replaced by make(submodule), in place; module itself, if of `kind`,
    comes back replaced."""
    if isinstance(module, kind):
        return make(module)
    for name, child in module.named_children():
        setattr(module, name, swap_modules(child, kind, make))
    return module


def share_state(source: nn.Module, target: nn.Module) -> nn.Module:
    """target takes source's own parameters and buffers (the same tensors, not copies; None where source has none),
    so optimizers, frozen weights, dtype and device carry over; returns target."""
    for name in [*target._parameters, *target._buffers]:  # torch's registries of a module's own tensors
        setattr(target, name, getattr(source, name, None))
    return target
