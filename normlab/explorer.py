"""The axis explorer's plain function: pick a layout and reduction dims, see the groups and the torch layer.

`explore(layout, dims)` returns an `Exploration`: which elements share a mean and variance (`groups`), the
per-group mean and biased variance, the normalized output, every torch module that normalizes over exactly
those dims (with its line of code) and the max |normlab - torch|. `LAYOUTS` is a table: `register_layout`
adds a layout such as "(B, T, E)" with its own example shape and torch candidates.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import combinations

import torch
from torch import nn

from normlab.functional import normalize

__all__ = ["Layout", "TorchMatch", "Exploration", "LAYOUTS", "register_layout", "layout", "group_ids",
           "dims_label", "all_dim_subsets", "torch_matches", "example_input", "explore", "NO_MODULE"]

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


@dataclass
class Exploration:
    """What normalizing `x` over `dims` means: groups, their statistics, the output and the matching torch code."""

    layout: Layout
    dims: tuple[int, ...]
    x: torch.Tensor
    groups: torch.Tensor
    mean: torch.Tensor
    var: torch.Tensor
    output: torch.Tensor | None
    matches: list[TorchMatch] = field(default_factory=list)
    max_diff: float | None = None
    message: str = ""

    @property
    def n_groups(self) -> int:
        """How many separate (mean, variance) pairs there are."""
        return int(self.groups.max()) + 1

    @property
    def code(self) -> str:
        """The usual torch line for these dims, or the plain 'no single module' message."""
        return self.matches[0].code if self.matches else NO_MODULE

    def stats_rows(self, limit: int = 12) -> list[tuple[int, float, float]]:
        """(group, mean, biased variance) for the first `limit` groups, rounded to 4 decimals."""
        return [(g, round(float(m), 4), round(float(v), 4))
                for g, (m, v) in enumerate(zip(self.mean[:limit], self.var[:limit], strict=True))]

    def summary(self) -> str:
        """A few printable lines: groups, the torch line, max |difference| and per-group statistics."""
        lines = [f"layout {self.layout.name}, x of shape {tuple(self.x.shape)}, reduce over "
                 f"{dims_label(self.dims, self.layout.letters)}", self.message]
        lines += [f"torch: {m.code}" for m in self.matches]
        if self.max_diff is not None:  # a bound, not the last digits, which can vary with threads
            close = "< 1e-5: equal up to float32 rounding" if self.max_diff < 1e-5 else f"= {self.max_diff:.4f}"
            lines.append(f"max |normlab - torch| {close}")
        lines += [f"group {g}: mean {m:.4f}, var {v:.4f}" for g, m, v in self.stats_rows()]
        if self.n_groups > 12:
            lines.append(f"... {self.n_groups - 12} more groups")
        return "\n".join(lines)

    def __repr__(self) -> str:
        diff = "" if self.max_diff is None else f", max |normlab - torch| = {self.max_diff:.1e}"
        return (f"Exploration({self.layout.name} {tuple(self.x.shape)}, reduce over "
                f"{dims_label(self.dims, self.layout.letters)}: {_groups_of(self.n_groups, self.x.numel())}; "
                f"{self.code}{diff})")


def _groups_of(n_groups: int, numel: int) -> str:
    """'3 groups of 8 values' with the right plurals."""
    per = numel // n_groups
    return f"{n_groups} group{'s' * (n_groups != 1)} of {per} value{'s' * (per != 1)}"


def example_input(lay: Layout) -> torch.Tensor:
    """Small seeded integers 0..9 in the layout's example shape, easy to check by eye."""
    return torch.randint(0, 10, lay.shape, generator=torch.Generator().manual_seed(0)).float()


def explore(layout_name: str, dims: Iterable[int], x: torch.Tensor | None = None, eps: float = 1e-5) -> Exploration:
    """Normalize x (default: the layout's example) over dims with normlab and with every matching torch module."""
    lay = layout(layout_name)
    x = example_input(lay) if x is None else x
    dims = tuple(sorted(set(dims)))
    if x.dim() != len(lay.letters) or any(not 0 <= d < x.dim() for d in dims):
        raise ValueError(f"layout {lay.name} has dims 0..{len(lay.letters) - 1}; got x of shape "
                         f"{tuple(x.shape)} and dims {dims}.")
    groups = group_ids(x.shape, dims)
    flat = x.reshape(-1)
    count = torch.bincount(groups.reshape(-1)).to(x.dtype)
    mean = torch.zeros(len(count), dtype=x.dtype).index_add_(0, groups.reshape(-1), flat) / count
    var = torch.zeros_like(mean).index_add_(0, groups.reshape(-1), (flat - mean[groups.reshape(-1)]) ** 2) / count
    if not dims:
        msg = ("no dims ticked: every element is its own group, its mean is itself and its variance 0, so "
               "the output would be all zeros. Tick at least one dim to reduce over.")
        return Exploration(lay, dims, x, groups, mean, var, None, [], None, msg + " " + NO_MODULE + ".")
    out = normalize(x, dims, eps)
    matches = torch_matches(lay, dims)
    diffs = []
    for m in matches:
        module = m.make(lay.sizes(x.shape)).train()
        with torch.no_grad():
            diffs.append((module(x) - out).abs().max().item())
    max_diff = max(diffs) if diffs else None
    msg = (f"{_groups_of(len(mean), x.numel())}; " +
           (" = ".join(m.code for m in matches) if matches else NO_MODULE + " (normlab.normalize still does)."))
    return Exploration(lay, dims, x, groups, mean, var, out, matches, max_diff, msg)


# Token (B, T, E) and channels-last (N, H, W, C) layouts: their torch matches need a permute (normlab.layouts).
from normlab.layouts import explorer_layouts  # noqa: E402

for _lay in explorer_layouts():
    register_layout(_lay)
