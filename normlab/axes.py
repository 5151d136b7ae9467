"""Named layouts and the torch modules that normalize over each set of their dims: the explorer's table.

A `Layout` names each dim ("(N, C, L)"); `torch_matches(layout, dims)` lists every torch module that reduces
over exactly those dims, with its line of code. `LAYOUTS` holds the known layouts; `register_layout` adds one
such as "(B, T, E)" with its own example shape and torch candidates (normlab.layouts does, for notebook 06).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import combinations

import torch
from torch import nn

__all__ = ["NO_MODULE", "TorchMatch", "Layout", "LAYOUTS", "register_layout", "layout", "dims_label",
           "all_dim_subsets", "group_ids", "torch_matches"]

NO_MODULE = "no single torch module reduces over these dims"


@dataclass(frozen=True)
class TorchMatch:
    """A torch module that normalizes over `dims`: its line of code (in layout letters) and a builder."""

    code: str
    dims: tuple[int, ...]
    make: Callable[[dict[str, int]], nn.Module]


@dataclass(frozen=True)
class Layout:
    """A named layout: its dim letters, a small example shape, the channel dim (if any) and extra torch matches."""

    name: str
    shape: tuple[int, ...]
    channel_dim: int | None = 1
    extra: tuple[TorchMatch, ...] = ()

    @property
    def letters(self) -> tuple[str, ...]:
        """("N", "C", "L") for "(N, C, L)"."""
        return tuple(s.strip() for s in self.name.strip("()").split(","))

    def sizes(self, shape: Iterable[int] | None = None) -> dict[str, int]:
        """Letter -> size, e.g. {"N": 2, "C": 3, "L": 4}."""
        return dict(zip(self.letters, self.shape if shape is None else shape, strict=True))


LAYOUTS: dict[str, Layout] = {}


def register_layout(new: Layout) -> Layout:
    """Add (or replace) a layout in the explorer's table; its letters must match its example shape."""
    if len(new.letters) != len(new.shape):
        raise ValueError(f"layout {new.name} has {len(new.letters)} letters but example shape {new.shape}.")
    LAYOUTS[new.name] = new
    return new


for _name, _shape in (("(N, C)", (3, 4)), ("(N, C, L)", (2, 3, 4)), ("(N, C, H, W)", (2, 3, 2, 3))):
    register_layout(Layout(_name, _shape))


def layout(name: str) -> Layout:
    """Look a layout up by name, listing the known ones if it is not there."""
    if name not in LAYOUTS:
        raise ValueError(f"unknown layout {name!r}; known layouts: {', '.join(LAYOUTS)}.")
    return LAYOUTS[name]


def dims_label(dims: Iterable[int], letters: tuple[str, ...]) -> str:
    """'(0, 2) = N, L' or '() = nothing'."""
    dims = tuple(dims)
    return f"{dims} = {', '.join(letters[d] for d in dims) or 'nothing'}"


def all_dim_subsets(ndim: int) -> list[tuple[int, ...]]:
    """Every subset of range(ndim), the empty one first."""
    return [c for k in range(ndim + 1) for c in combinations(range(ndim), k)]


def group_ids(shape: Iterable[int], dims: Iterable[int]) -> torch.Tensor:
    """Integer group of every element: elements share a group iff they agree on every kept (not reduced) dim."""
    shape, dims = tuple(shape), set(dims)
    ids = torch.zeros(shape, dtype=torch.long)
    for d in range(len(shape)):
        if d not in dims:
            view = [1] * len(shape)
            view[d] = shape[d]
            ids = ids * shape[d] + torch.arange(shape[d]).reshape(view)
    return ids


def _channel_matches(lay: Layout) -> list[TorchMatch]:
    """BatchNorm, InstanceNorm and GroupNorm, which read channels from dim 1."""
    ndim, letters = len(lay.shape), lay.letters
    if lay.channel_dim != 1 or ndim < 2:
        return []
    c, space = letters[1], tuple(range(2, ndim))
    out = []
    if ndim <= 4:
        bn = nn.BatchNorm1d if ndim <= 3 else nn.BatchNorm2d
        out.append(TorchMatch(f"nn.{bn.__name__}({c})", (0, *space), lambda s, c=c, bn=bn: bn(s[c])))
    if space and ndim <= 4:
        inorm = nn.InstanceNorm1d if ndim == 3 else nn.InstanceNorm2d
        out.append(TorchMatch(f"nn.{inorm.__name__}({c})", space, lambda s, c=c, inorm=inorm: inorm(s[c])))
        out.append(TorchMatch(f"nn.GroupNorm({c}, {c})", space, lambda s, c=c: nn.GroupNorm(s[c], s[c])))
    out.append(TorchMatch(f"nn.GroupNorm(1, {c})", tuple(range(1, ndim)), lambda s, c=c: nn.GroupNorm(1, s[c])))
    return out


def _layer_norm_matches(lay: Layout) -> list[TorchMatch]:
    """LayerNorm over every run of trailing dims: normalized_shape names the last k dims."""
    ndim, letters = len(lay.shape), lay.letters
    out = []
    for k in range(1, ndim + 1):
        names = letters[ndim - k:]
        code = names[0] if k == 1 else f"[{', '.join(names)}]"
        out.append(TorchMatch(f"nn.LayerNorm({code})", tuple(range(ndim - k, ndim)),
                              lambda s, names=names: nn.LayerNorm([s[n] for n in names])))
    return out


def torch_matches(lay: Layout, dims: Iterable[int]) -> list[TorchMatch]:
    """Every known torch module reducing over exactly `dims` in this layout, the usual one first."""
    dims = tuple(sorted(dims))
    found = [m for m in (*_channel_matches(lay), *_layer_norm_matches(lay), *lay.extra) if m.dims == dims]
    return sorted(found, key=lambda m: m.code.startswith("nn.GroupNorm"))  # GroupNorm is the alias, not the name


# Token (B, T, E) and channels-last (N, H, W, C) layouts: their torch matches need a permute (normlab.layouts).
from normlab.layouts import explorer_layouts  # noqa: E402

for _lay in explorer_layouts():
    register_layout(_lay)
