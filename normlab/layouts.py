"""Layouts: the transpose/permute/reshape that lets a torch norm layer reduce over the dims you mean."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import torch
from torch import nn

from normlab import nn as nlnn
from normlab.functional import normalize

__all__ = ["LAYOUTS", "MODULES", "DEFAULT_SIZES", "LayoutRecipe", "parse_layout", "layout_recipe", "Recipe",
           "explorer_layouts"]

LAYOUTS = ("(N, C)", "(N, C, L)", "(B, T, E)", "(N, C, H, W)", "(N, H, W, C)")
MODULES = ("BatchNorm1d", "BatchNorm2d", "InstanceNorm1d", "InstanceNorm2d", "LayerNorm")
DEFAULT_SIZES = {"N": 2, "B": 2, "C": 3, "E": 3, "L": 4, "T": 4, "H": 2, "W": 4}
_BATCH, _FEATURE = ("N", "B"), ("C", "E")
_NDIMS = {"BatchNorm1d": (2, 3), "BatchNorm2d": (4,), "InstanceNorm1d": (3,), "InstanceNorm2d": (4,)}
_MEANING = {"BatchNorm": "one mean/var per {f}, over {rest}",
            "InstanceNorm": "one mean/var per sample and {f}, over {rest}",
            "LayerNorm": "one mean/var per {rest}, over the features {f}"}


@dataclass(frozen=True)
class LayoutRecipe:
    """The code that applies `module` to a tensor in `layout`, what it reduces over, and its check against torch."""

    layout: str
    module: str
    shape: tuple[int, ...]
    dims: tuple[int, ...]
    meaning: str
    code: str
    max_diff: float
    naive: str
    x: torch.Tensor
    y: torch.Tensor

    def __repr__(self) -> str:
        close = "< 1e-5" if self.max_diff < 1e-5 else f"= {self.max_diff:.4f}"  # last digits vary with threads
        return (f"LayoutRecipe({self.module} on {self.layout}, x of shape {self.shape}, {self.meaning}, dims "
                f"{self.dims}:\n{self.code}\nmax |torch through this code - normalize(x, dims)| {close})")


def parse_layout(layout: str) -> tuple[str, ...]:
    """'(N, H, W, C)' -> ('N', 'H', 'W', 'C'), checking there is one batch and one feature letter."""
    letters = tuple(p.strip() for p in layout.strip("() ").split(","))
    batch = [a for a in letters if a in _BATCH]
    feature = [a for a in letters if a in _FEATURE]
    if len(batch) != 1 or len(feature) != 1 or len(set(letters)) != len(letters) or letters[0] != batch[0]:
        raise ValueError(f"layout {layout!r}: write dims as letters like '(N, C, H, W)' or '(B, T, E)', batch "
                         f"(N or B) first and exactly one feature dim (C or E); known layouts: {', '.join(LAYOUTS)}")
    return letters


def _permute(order: list[int]) -> str:
    """The shortest call that reorders dims: transpose for a single swap, permute otherwise ('' if none)."""
    moved = [i for i, d in enumerate(order) if d != i]
    if not moved:
        return ""
    if len(moved) == 2:
        return f".transpose({moved[0]}, {moved[1]})"
    return f".permute({', '.join(map(str, order))})"


def _inverse(order: list[int]) -> list[int]:
    """The permutation that undoes `order`."""
    inv = [0] * len(order)
    for i, d in enumerate(order):
        inv[d] = i
    return inv


def _code(letters: tuple[str, ...], module: str) -> str:
    """The one-line expression (input `x`, layer `norm`) that makes the layer reduce as its definition means."""
    f = letters.index(next(a for a in letters if a in _FEATURE))
    spatial = [i for i in range(len(letters)) if i not in (0, f)]
    order = [0, *spatial, f] if module == "LayerNorm" else [0, f, *spatial]
    fwd, back = _permute(order), _permute(_inverse(order))
    ndim, want = len(letters), _NDIMS.get(module, (len(letters),))
    if ndim in want:
        return f"norm(x{fwd}){back}"
    if ndim < min(want):  # add size-1 spatial dims: (N, C, L) -> (N, C, L, 1)
        k = min(want) - ndim
        return f"norm(x{fwd}{'.unsqueeze(-1)' * k}){'.squeeze(-1)' * k}{back}"
    if f == 1:  # fold the spatial dims into one length dim: (N, C, H, W) -> (N, C, H*W)
        return "norm(x.flatten(2)).reshape(x.shape)"
    if module.startswith("BatchNorm"):  # features last: every position is one more sample of the features
        return "norm(x.reshape(-1, x.shape[-1])).reshape(x.shape)"
    return "norm(x.flatten(1, -2).transpose(1, 2)).transpose(1, 2).reshape(x.shape)"


def _dims(letters: tuple[str, ...], module: str) -> tuple[int, ...]:
    """The dims of the layout each statistic reduces over, straight from the module's definition."""
    f = next(i for i, a in enumerate(letters) if a in _FEATURE)
    spatial = tuple(i for i in range(len(letters)) if i not in (0, f))
    return {"BatchNorm": (0, *spatial), "InstanceNorm": spatial, "LayerNorm": (f,)}[module.rstrip("12d")]


def _layer(module: str, features: int) -> nn.Module:
    """A fresh torch layer with identity affine, so its output is the plain normalization."""
    return getattr(nn, module)(features)


def _naive(module: str, features: int, x: torch.Tensor, expected: torch.Tensor) -> str:
    """What calling the layer on x as it is does: torch's error (with normlab's hint), silently wrong, or right."""
    try:
        with warnings.catch_warnings():  # InstanceNorm warns about num_features; the diff below says more
            warnings.simplefilter("ignore")
            out = _layer(module, features)(x)
    except (RuntimeError, ValueError) as exc:
        try:
            getattr(nlnn, module)(features)(x)
        except (RuntimeError, ValueError) as twin:
            return f"{type(exc).__name__}: {exc}" + "".join("\n" + ln for ln in str(twin).splitlines()[1:])
        return f"{type(exc).__name__}: {exc}"
    diff = (out - expected).abs().max().item() if out.shape == expected.shape else float("inf")
    return "already right" if diff < 1e-4 else f"silently wrong: runs, but max |diff| = {diff:.4f}"


def layout_recipe(layout: str, module: str, sizes: dict[str, int] | None = None, seed: int = 0) -> LayoutRecipe:
    """Run the recipe on a seeded x with torch's layer and compare with normalize over the intended dims."""
    if module not in MODULES:
        raise ValueError(f"unknown module {module!r}: choose one of {', '.join(MODULES)}.")
    letters = parse_layout(layout)
    sizes = {**DEFAULT_SIZES, **(sizes or {})}
    shape = tuple(sizes[a] for a in letters)
    x = torch.randn(shape, generator=torch.Generator().manual_seed(seed))
    dims = _dims(letters, module)
    if not dims:
        raise ValueError(f"{module} on {layout}: instance norm reduces over the spatial dims of each sample, and "
                         "this layout has none (each statistic would see a single value).")
    code = _code(letters, module)
    features = shape[next(i for i, a in enumerate(letters) if a in _FEATURE)]
    expected = normalize(x, dims)
    with torch.no_grad():
        got = eval(code, {"x": x, "norm": _layer(module, features)})  # noqa: S307 - our own generated line
        naive = _naive(module, features, x, expected)
    others = [letters[i] for i in range(len(letters)) if i not in dims]
    f = letters[next(i for i, a in enumerate(letters) if a in _FEATURE)]
    rest = ", ".join(letters[i] for i in dims) if module != "LayerNorm" else ", ".join(others)
    meaning = _MEANING[module.rstrip("12d")].format(f=f, rest=f"({rest})")
    return LayoutRecipe(layout, module, shape, dims, meaning, f"norm = nn.{module}({f})\ny = {code}",
                        (got - expected).abs().max().item(), naive, x, got)


class Recipe(nn.Module):
    """A torch norm layer wrapped in its layout recipe, so it can stand in the explorer's table of matches."""

    def __init__(self, norm: nn.Module, code: str) -> None:
        super().__init__()
        self.norm, self.code = norm, code

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return eval(self.code, {"x": x, "norm": self.norm})  # noqa: S307 - a line built by _code

    def extra_repr(self) -> str:
        return f"y = {self.code}"


# Explorer entries: (layout, example shape, feature dim, modules whose recipe becomes a torch match).
_EXPLORER = (("(B, T, E)", (2, 4, 3), 2, ("BatchNorm1d", "InstanceNorm1d")),
             ("(N, H, W, C)", (2, 2, 4, 3), 3, ("BatchNorm2d", "BatchNorm1d", "InstanceNorm2d")))


def explorer_layouts() -> list:
    """The token and channels-last layouts for normlab.explorer, each torch match running its permute recipe."""
    from normlab.axes import Layout, TorchMatch  # late: normlab.axes registers these when it is imported

    out = []
    for name, shape, f, modules in _EXPLORER:
        letters = parse_layout(name)
        matches = []
        for module in modules:
            code = _code(letters, module)
            shown = code.replace("norm(", f"nn.{module}({letters[f]})(", 1)
            matches.append(TorchMatch(shown, _dims(letters, module), lambda s, m=module, c=code, a=letters[f]:
                                      Recipe(getattr(nn, m)(s[a]), c)))
        out.append(Layout(name, shape, channel_dim=f, extra=tuple(matches)))
    return out
