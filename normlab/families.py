"""The normalization layers as one table: for each, the inputs it takes and the dims it reduces over.

Every part of normlab that needs to know which dims a layer reduces over, or which input ranks it takes, reads them
here: normlab.functional and normlab.nn, the errors' hints, normlab.sync, normlab.auditing, the layouts, and the
lessons' recipes, torch matches and cube. Notebook 00 prints the table (`table()`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

__all__ = ["Family", "Layer", "FAMILIES", "LAYERS", "GROUPED_DIMS", "family", "layer", "layer_of", "reduces",
           "normalized_shape", "channel_view", "table"]

# GroupNorm reduces a group's channels and every position together: dims (2, 3) of the (N, G, C/G, rest) view.
GROUPED_DIMS = (2, 3)


@dataclass(frozen=True)
class Family:
    """A family of layers: what one mean and variance is computed over, and where it keeps its features."""

    name: str  # "BatchNorm"
    short: str  # "batch": the word for it in a choice, e.g. DigitsMLP(norm="batch")
    channel_dim: int  # where the features are in the input it is written for: 1 (N, C, ...) or -1 (..., E)
    over: str  # in words

    def reduces(self, ndim: int, trailing: int = 1) -> tuple[int, ...]:
        """The dims of an ndim-D input one mean and variance runs over (LayerNorm, RMSNorm: `trailing` last dims)."""
        spatial = tuple(range(2, ndim))
        if self.name == "BatchNorm":
            return (0, *spatial)
        if self.name == "InstanceNorm":
            return spatial
        if self.name == "GroupNorm":  # within each group of C/G channels
            return (1, *spatial)
        return tuple(range(ndim - trailing, ndim))


@dataclass(frozen=True)
class Layer:
    """A torch layer of a family: the ranks of its batched input, and whether it also takes one unbatched sample."""

    name: str  # "BatchNorm1d"
    family: Family
    ranks: tuple[int, ...]  # batched input ranks; () = any rank from 2 (LayerNorm, RMSNorm: from 1)
    unbatched: bool = False  # InstanceNorm also takes a single sample without its batch dim

    @property
    def accepts(self) -> tuple[int, ...]:
        """Every input rank the module takes, e.g. InstanceNorm1d: (2, 3)."""
        return (self.ranks[0] - 1, *self.ranks) if self.unbatched else self.ranks


FAMILIES: dict[str, Family] = {f.name: f for f in (  # the Group Norm paper's order (its Figure 2), then RMSNorm
    Family("BatchNorm", "batch", 1, "the batch and every position, per channel"),
    Family("LayerNorm", "layer", -1, "the trailing normalized_shape dims, per sample"),
    Family("InstanceNorm", "instance", 1, "every position, per sample and channel"),
    Family("GroupNorm", "group", 1, "a group's channels and every position, per sample"),
    Family("RMSNorm", "rms", -1, "the trailing normalized_shape dims, per sample, not centred"),
)}

LAYERS: dict[str, Layer] = {lay.name: lay for lay in (
    Layer("BatchNorm1d", FAMILIES["BatchNorm"], (2, 3)),
    Layer("BatchNorm2d", FAMILIES["BatchNorm"], (4,)),
    Layer("BatchNorm3d", FAMILIES["BatchNorm"], (5,)),
    Layer("SyncBatchNorm", FAMILIES["BatchNorm"], ()),
    Layer("InstanceNorm1d", FAMILIES["InstanceNorm"], (3,), unbatched=True),
    Layer("InstanceNorm2d", FAMILIES["InstanceNorm"], (4,), unbatched=True),
    Layer("InstanceNorm3d", FAMILIES["InstanceNorm"], (5,), unbatched=True),
    Layer("LayerNorm", FAMILIES["LayerNorm"], ()),
    Layer("GroupNorm", FAMILIES["GroupNorm"], ()),
    Layer("RMSNorm", FAMILIES["RMSNorm"], ()),
)}


def family(name: str) -> Family:
    """A family by its name ("BatchNorm") or short name ("batch"), listing the known ones if it is not there."""
    for f in FAMILIES.values():
        if name in (f.name, f.short):
            return f
    raise ValueError(f"unknown family {name!r}: choose one of {', '.join(FAMILIES)}.")


def layer(name: str) -> Layer:
    """A layer by its torch class name, e.g. "BatchNorm1d"."""
    if name not in LAYERS:
        raise ValueError(f"unknown layer {name!r}: choose one of {', '.join(LAYERS)}.")
    return LAYERS[name]


@cache  # called on every forward of normlab.nn's layers: the class walk is done once per class
def layer_of(cls: type) -> Layer:
    """The row of a layer class: its own name's, or that of the nearest base named like a torch layer."""
    for base in cls.__mro__:
        if base.__name__ in LAYERS:
            return LAYERS[base.__name__]
    raise ValueError(f"{cls.__name__} is none of {', '.join(LAYERS)} and derives from none of them.")


def reduces(name: str, ndim: int, trailing: int = 1) -> tuple[int, ...]:
    """The reduction dims of a family (or a layer of it) on an ndim-D input, e.g. reduces("BatchNorm2d", 4)."""
    f = LAYERS[name].family if name in LAYERS else family(name)
    return f.reduces(ndim, trailing)


def normalized_shape(shape: int | Sequence[int]) -> tuple[int, ...]:
    """LayerNorm's and RMSNorm's normalized_shape as a tuple: the sizes of the trailing dims (an int is one dim)."""
    return (shape,) if isinstance(shape, int) else tuple(shape)


def channel_view(ndim: int) -> tuple[int, ...]:
    """(1, -1, 1, ...): the view that broadcasts a per-channel vector (C,) over an ndim-D (N, C, ...) input."""
    return (1, -1, *(1,) * (ndim - 2))


def table() -> str:
    """The table as text: each layer, the input ranks it takes, its channel dim and what it reduces over."""
    rows = [("layer", "input ranks", "features at", "one mean and variance over")]
    for lay in LAYERS.values():
        ranks = ", ".join(map(str, lay.accepts)) or "any"
        channel = {1: "dim 1", -1: "last dims"}[lay.family.channel_dim]
        rows.append((lay.name, ranks, channel, lay.family.over))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row[:3], widths, strict=True)) + "  " + row[3]
                     for row in rows)
