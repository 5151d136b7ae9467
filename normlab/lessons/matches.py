"""Which torch modules normalize over exactly a given set of dims of a layout: the explorer's table.

`torch_matches(layout, dims)` lists each match with its line of code (in the layout's letters) and a builder.
Layouts whose features sit in dim 1 use the channel-wise layers directly; the others (tokens (B, T, E),
channels-last (N, H, W, C)) get the layers through their recipe (normlab.lessons.recipes).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from torch import nn

from normlab import families
from normlab.layouts import Layout
from normlab.lessons.recipes import RecipeModule, recipe_for

__all__ = ["NO_MODULE", "TorchMatch", "torch_matches"]

NO_MODULE = "no single torch module reduces over these dims"


@dataclass(frozen=True)
class TorchMatch:
    """A torch module that normalizes over `dims`: its line of code (in layout letters) and a builder."""

    code: str
    dims: tuple[int, ...]
    make: Callable[[dict[str, int]], nn.Module]


def _channel_matches(lay: Layout) -> list[TorchMatch]:
    """BatchNorm, InstanceNorm and GroupNorm, which read channels from dim 1."""
    ndim = len(lay.letters)
    c = lay.letters[1]
    space = lay.reduces("InstanceNorm")  # every dim but the batch and the channels
    out = []
    if ndim <= 4:
        bn = nn.BatchNorm1d if ndim <= 3 else nn.BatchNorm2d
        out.append(TorchMatch(f"nn.{bn.__name__}({c})", lay.reduces("BatchNorm"), lambda s, bn=bn: bn(s[c])))
    if space and ndim <= 4:
        inorm = nn.InstanceNorm1d if ndim == 3 else nn.InstanceNorm2d
        out.append(TorchMatch(f"nn.{inorm.__name__}({c})", space, lambda s, inorm=inorm: inorm(s[c])))
        # one group per channel: InstanceNorm's dims
        out.append(TorchMatch(f"nn.GroupNorm({c}, {c})", space, lambda s: nn.GroupNorm(s[c], s[c])))
    one_group = families.reduces("GroupNorm", ndim)  # one group: all channels and positions of a sample
    out.append(TorchMatch(f"nn.GroupNorm(1, {c})", one_group, lambda s: nn.GroupNorm(1, s[c])))
    return out


def _recipe_matches(lay: Layout) -> list[TorchMatch]:
    """Features not in dim 1: BatchNorm and InstanceNorm through the permute (or reshape) that moves them there."""
    ndim = len(lay.letters)
    f = lay.letters[lay.feature]
    modules = ["BatchNorm1d", "InstanceNorm1d"] if ndim == 3 else ["BatchNorm2d", "BatchNorm1d", "InstanceNorm2d"]
    out = []
    for module in modules:
        recipe = recipe_for(lay, module)
        family = families.layer(module).family.name
        out.append(TorchMatch(recipe.code(f"nn.{module}({f})"), lay.reduces(family),
                              lambda s, m=module, r=recipe: RecipeModule(getattr(nn, m)(s[f]), r)))
    return out


def _layer_norm_matches(lay: Layout) -> list[TorchMatch]:
    """LayerNorm over every run of trailing dims: normalized_shape names the last k dims."""
    ndim = len(lay.letters)
    out = []
    for k in range(1, ndim + 1):
        names = lay.letters[ndim - k:]
        code = names[0] if k == 1 else f"[{', '.join(names)}]"
        out.append(TorchMatch(f"nn.LayerNorm({code})", families.reduces("LayerNorm", ndim, trailing=k),
                              lambda s, names=names: nn.LayerNorm([s[n] for n in names])))
    return out


def torch_matches(lay: Layout, dims: Iterable[int]) -> list[TorchMatch]:
    """Every known torch module reducing over exactly `dims` in this layout, the usual one first."""
    dims = tuple(sorted(dims))
    channel = _channel_matches(lay) if lay.feature == 1 and len(lay.letters) >= 2 else _recipe_matches(lay)
    found = [m for m in (*channel, *_layer_norm_matches(lay)) if m.dims == dims]
    return sorted(found, key=lambda m: m.code.startswith("nn.GroupNorm"))  # GroupNorm is the alias, not the name
