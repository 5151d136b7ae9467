"""Named tensor layouts: what each dim means, read once from names like "(N, C, L)", and who reduces over what.

A `Layout` knows its dim letters, a small example shape, its feature dim (C or E) and its spatial dims; from
those and normlab.families, `Layout.reduces(family)` gives the dims BatchNorm, InstanceNorm or LayerNorm reduce over
in it. Every other module (the explorer, the recipes, the errors, the drawings) takes its letters from here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import combinations

import torch

from normlab.families import FAMILIES as ALL_FAMILIES
from normlab.families import family as family_named

__all__ = ["BATCH", "FEATURE", "FAMILIES", "Layout", "LAYOUTS", "parse_layout", "make_layout", "layout",
           "layout_of", "dims_label", "group_ids", "all_dim_subsets"]

BATCH, FEATURE = ("N", "B"), ("C", "E")  # the letters that may name the batch dim and the feature dim
# The families whose dims a layout's letters say (GroupNorm also needs its groups; RMSNorm's dims are LayerNorm's).
FAMILIES = tuple(name for name in ALL_FAMILIES if name not in ("GroupNorm", "RMSNorm"))
_CONVENTIONAL = {2: "(N, C)", 3: "(N, C, L)", 4: "(N, C, H, W)", 5: "(N, C, D, H, W)"}


@dataclass(frozen=True)
class Layout:
    """A named layout: its dim letters, a small example shape and where its batch and feature dims are."""

    name: str
    letters: tuple[str, ...]
    shape: tuple[int, ...]

    @property
    def feature(self) -> int:
        """Index of the feature dim (C or E)."""
        return next(i for i, a in enumerate(self.letters) if a in FEATURE)

    @property
    def spatial(self) -> tuple[int, ...]:
        """Every dim that is neither the batch (dim 0) nor the features."""
        return tuple(i for i in range(1, len(self.letters)) if i != self.feature)

    def reduces(self, family: str) -> tuple[int, ...]:
        """The dims a layer family reduces over when it is applied as its definition means, e.g. BatchNorm: (0, 2).

        The family's own dims (normlab.families) are those of the layout it is written for, features at dim 1 or
        last; here they are carried over to where this layout keeps its batch, features and positions.
        """
        if family not in FAMILIES:
            raise ValueError(f"unknown family {family!r}: choose one of {', '.join(FAMILIES)}.")
        f = family_named(family)
        # Its own layout's dim i is this layout's dim own[i]: the batch first, the features at dim 1 or last.
        own = [0, self.feature, *self.spatial] if f.channel_dim == 1 else [0, *self.spatial, self.feature]
        return tuple(sorted(own[d] for d in f.reduces(len(own))))

    def sizes(self, shape: Iterable[int] | None = None) -> dict[str, int]:
        """Letter -> size, e.g. {"N": 2, "C": 3, "L": 4}."""
        return dict(zip(self.letters, self.shape if shape is None else tuple(shape), strict=True))


def parse_layout(name: str) -> tuple[str, ...]:
    """'(N, H, W, C)' -> ('N', 'H', 'W', 'C'): distinct letters, the batch (N or B) first, one feature (C or E)."""
    letters = tuple(p.strip() for p in name.strip("() ").split(","))
    features = [a for a in letters if a in FEATURE]
    if len(set(letters)) != len(letters) or letters[0] not in BATCH or len(features) != 1 or \
            any(a in BATCH for a in letters[1:]):
        raise ValueError(f"layout {name!r}: write dims as letters like '(N, C, H, W)' or '(B, T, E)', the batch "
                         f"(N or B) first and exactly one feature dim (C or E); known layouts: {', '.join(LAYOUTS)}")
    return letters


def make_layout(name: str, shape: tuple[int, ...]) -> Layout:
    """A Layout from its name and example shape (one size per letter)."""
    letters = parse_layout(name)
    if len(letters) != len(shape):
        raise ValueError(f"layout {name} has {len(letters)} letters but example shape {shape}.")
    return Layout(f"({', '.join(letters)})", letters, tuple(shape))


LAYOUTS: dict[str, Layout] = {lay.name: lay for lay in (
    make_layout("(N, C)", (3, 4)),
    make_layout("(N, C, L)", (2, 3, 4)),
    make_layout("(B, T, E)", (2, 4, 3)),
    make_layout("(N, C, H, W)", (2, 3, 2, 4)),
    make_layout("(N, H, W, C)", (2, 2, 4, 3)),
)}


def layout(name: str) -> Layout:
    """Look a layout up by name, listing the known ones if it is not there."""
    if name not in LAYOUTS:
        raise ValueError(f"unknown layout {name!r}; known layouts: {', '.join(LAYOUTS)}.")
    return LAYOUTS[name]


def layout_of(ndim: int) -> str:
    """The conventional name of an ndim-D layout, e.g. 3 -> '(N, C, L)'."""
    return _CONVENTIONAL.get(ndim, f"a {ndim}-D tensor")


def dims_label(dims: Iterable[int], letters: tuple[str, ...]) -> str:
    """'(0, 2) = N, L' or '() = nothing'."""
    dims = tuple(dims)
    return f"{dims} = {', '.join(letters[d] for d in dims) or 'nothing'}"


def all_dim_subsets(ndim: int) -> list[tuple[int, ...]]:
    """Every subset of range(ndim), the empty one first."""
    return [c for k in range(ndim + 1) for c in combinations(range(ndim), k)]


def group_ids(shape: Iterable[int], dims: Iterable[int]) -> torch.Tensor:
    """Integer group of every element: elements share a group iff they agree on every kept (not reduced) dim."""
    shape = tuple(shape)
    dims = set(dims)
    ids = torch.zeros(shape, dtype=torch.long)
    for d in range(len(shape)):
        if d not in dims:
            view = [1] * len(shape)
            view[d] = shape[d]
            ids = ids * shape[d] + torch.arange(shape[d]).reshape(view)
    return ids
