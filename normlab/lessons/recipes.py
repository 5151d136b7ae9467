"""Recipes: the transpose/permute/reshape that lets a torch norm layer reduce over the dims you mean.

A recipe is data: the steps applied to x before the layer and to its output after it, e.g. for BatchNorm1d on
(B, T, E) `transpose(1, 2)` then `transpose(1, 2)` back. `Recipe.apply` runs the steps, `Recipe.code` writes them
as the line a learner would type. `layout_recipe(layout, module)` builds one, runs torch's layer through it and
checks the result against normlab.normalize over the dims the module means.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from normlab import families
from normlab import nn as nlnn
from normlab.core import normalize
from normlab.layouts import FAMILIES, Layout, layout

__all__ = ["MODULES", "Step", "Recipe", "recipe_for", "LayoutRecipe", "layout_recipe", "RecipeModule", "trap_shape"]

# The layers a recipe is written for: normlab.nn's single-process layers of the families a layout names.
MODULES = tuple(name for name in nlnn.__all__
                if name != "SyncBatchNorm" and families.layer(name).family.name in FAMILIES)

Step = tuple[str, tuple[int, ...]]  # ("transpose", (1, 2)), ("unsqueeze", (-1,)), ("as_input", ()), ...
_METHODS = ("transpose", "permute", "unsqueeze", "squeeze", "flatten")  # steps that are one tensor method call
# The two steps that need the recipe's input x: the written line and what it does.
_SPECIAL: dict[str, tuple[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]]] = {
    "rows": (".reshape(-1, x.shape[-1])", lambda t, x: t.reshape(-1, x.shape[-1])),  # every position a sample
    "as_input": (".reshape(x.shape)", lambda t, x: t.reshape(x.shape)),
}


def _run(steps: tuple[Step, ...], t: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Apply the steps to t (x is the recipe's input)."""
    for kind, args in steps:
        t = getattr(t, kind)(*args) if kind in _METHODS else _SPECIAL[kind][1](t, x)
    return t


def _written(steps: tuple[Step, ...]) -> str:
    """The steps as code, e.g. '.transpose(1, 2)'."""
    return "".join(f".{kind}({', '.join(map(str, args))})" if kind in _METHODS else _SPECIAL[kind][0]
                   for kind, args in steps)


@dataclass(frozen=True)
class Recipe:
    """Steps before the layer and after it: y = after(norm(before(x)))."""

    before: tuple[Step, ...] = ()
    after: tuple[Step, ...] = ()

    def apply(self, norm: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
        """Run x through the steps and the layer."""
        return _run(self.after, norm(_run(self.before, x, x)), x)

    def code(self, norm: str = "norm") -> str:
        """The recipe as one line, e.g. 'norm(x.transpose(1, 2)).transpose(1, 2)'."""
        return f"{norm}(x{_written(self.before)}){_written(self.after)}"


def _reorder(order: list[int]) -> tuple[Step, ...]:
    """The shortest step that reorders dims: a transpose for one swap, a permute otherwise (none if in order)."""
    moved = [i for i, d in enumerate(order) if d != i]
    if not moved:
        return ()
    return (("transpose", (moved[0], moved[1])),) if len(moved) == 2 else (("permute", tuple(order)),)


def recipe_for(lay: Layout, module: str) -> Recipe:
    """The recipe that makes `module` reduce over lay.reduces(its family) on a tensor in layout `lay`."""
    f = lay.feature
    spatial = list(lay.spatial)
    ndim = len(lay.letters)
    order = [0, *spatial, f] if module == "LayerNorm" else [0, f, *spatial]
    back = [order.index(i) for i in range(ndim)]
    want = families.layer(module).ranks or (ndim,)  # the batched input ranks torch's layer takes
    if ndim in want:
        return Recipe(_reorder(order), _reorder(back))
    if ndim < min(want):  # add size-1 spatial dims: (N, C, L) -> (N, C, L, 1)
        k = min(want) - ndim
        return Recipe(_reorder(order) + (("unsqueeze", (-1,)),) * k, (("squeeze", (-1,)),) * k + _reorder(back))
    if f == 1:  # fold the spatial dims into one length dim: (N, C, H, W) -> (N, C, H*W)
        return Recipe((("flatten", (2,)),), (("as_input", ()),))
    if _family(module) == "BatchNorm":  # features last: every position is one more sample of the features
        return Recipe((("rows", ()),), (("as_input", ()),))
    return Recipe((("flatten", (1, -2)), ("transpose", (1, 2))), (("transpose", (1, 2)), ("as_input", ())))


def _family(module: str) -> str:
    """'BatchNorm2d' -> 'BatchNorm'."""
    return families.layer(module).family.name


@dataclass(frozen=True)
class LayoutRecipe:
    """The code that applies `module` to a tensor in `layout`, what it reduces over, and its check against torch."""

    layout: str
    module: str
    shape: tuple[int, ...]
    dims: tuple[int, ...]
    meaning: str
    feature: str
    recipe: Recipe
    max_diff: float
    naive: str
    x: torch.Tensor
    y: torch.Tensor

    @property
    def code(self) -> str:
        """Two lines: the layer, and the recipe applied to x."""
        return f"norm = nn.{self.module}({self.feature})\ny = {self.recipe.code()}"

    def __repr__(self) -> str:
        close = "< 1e-5" if self.max_diff < 1e-5 else f"= {self.max_diff:.4f}"  # last digits vary with threads
        return (f"LayoutRecipe({self.module} on {self.layout}, x of shape {self.shape}, {self.meaning}, dims "
                f"{self.dims}:\n{self.code}\nmax |torch through this code - normalize(x, dims)| {close})")


def _naive(module: str, features: int, x: torch.Tensor, expected: torch.Tensor) -> str:
    """What calling the layer on x as it is does: torch's error (with normlab's hint), silently wrong, or right."""
    try:
        with warnings.catch_warnings():  # InstanceNorm warns about num_features; the diff below says more
            warnings.simplefilter("ignore")
            out = getattr(nn, module)(features)(x)
    except (RuntimeError, ValueError) as exc:
        try:
            getattr(nlnn, module)(features)(x)
        except (RuntimeError, ValueError) as twin:
            return f"{type(exc).__name__}: {exc}" + "".join("\n" + ln for ln in str(twin).splitlines()[1:])
        return f"{type(exc).__name__}: {exc}"
    diff = (out - expected).abs().max().item() if out.shape == expected.shape else float("inf")
    return "already right" if diff < 1e-4 else f"silently wrong: runs, but max |diff| = {diff:.4f}"


_MEANING = {"BatchNorm": "one mean/var per {f}, over {rest}", "InstanceNorm": "one mean/var per sample and {f}, "
            "over {rest}", "LayerNorm": "one mean/var per {rest}, over the features {f}"}


def layout_recipe(layout_name: str, module: str, shape: tuple[int, ...] | None = None,
                  seed: int = 0) -> LayoutRecipe:
    """Run the recipe on a seeded x with torch's layer and compare with normalize over the intended dims."""
    if module not in MODULES:
        raise ValueError(f"unknown module {module!r}: choose one of {', '.join(MODULES)}.")
    lay = layout(layout_name)
    shape = lay.shape if shape is None else tuple(shape)
    dims = lay.reduces(_family(module))
    if not dims:
        raise ValueError(f"{module} on {lay.name}: instance norm reduces over the spatial dims of each sample, and "
                         "this layout has none (each statistic would see a single value).")
    x = torch.randn(shape, generator=torch.Generator().manual_seed(seed))
    recipe = recipe_for(lay, module)
    features = shape[lay.feature]
    expected = normalize(x, dims)
    with torch.no_grad():
        got = recipe.apply(getattr(nn, module)(features), x)
        naive = _naive(module, features, x, expected)
    letters, f = lay.letters, lay.letters[lay.feature]
    rest = ", ".join(letters[i] for i in range(len(letters)) if (i in dims) != (module == "LayerNorm"))
    meaning = _MEANING[_family(module)].format(f=f, rest=f"({rest})")
    return LayoutRecipe(lay.name, module, shape, dims, meaning, f, recipe, (got - expected).abs().max().item(), naive,
                        x, got)


class RecipeModule(nn.Module):
    """A torch norm layer wrapped in its recipe, so it can stand in the explorer's table of matches."""

    def __init__(self, norm: nn.Module, recipe: Recipe) -> None:
        super().__init__()
        self.norm, self.recipe = norm, recipe

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.recipe.apply(self.norm, x)

    def extra_repr(self) -> str:
        return f"y = {self.recipe.code()}"


def trap_shape(layout_name: str, same: bool) -> tuple[int, ...]:
    """The layout's example shape, or (same=True) every non-batch dim as long as the features: the T == E trap."""
    lay = layout(layout_name)
    if not same:
        return lay.shape
    return tuple(lay.shape[0] if d == 0 else lay.shape[lay.feature] for d in range(len(lay.shape)))
