"""The axis explorer's plain function: pick a layout and reduction dims, see the groups and the torch layer.

`explore(layout, dims)` returns an `Exploration`: which elements share a mean and variance (`groups`), the
per-group mean and biased variance, the normalized output, every torch module that normalizes over exactly
those dims (with its line of code) and the max |normlab - torch|. The layouts come from normlab.layouts, the
torch modules from normlab.lessons.matches.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import torch

from normlab.core import normalize
from normlab.errors import check_dims
from normlab.layouts import Layout, dims_label, group_ids, layout
from normlab.lessons.matches import NO_MODULE, TorchMatch, torch_matches
from normlab.stats import group_stats

__all__ = ["Exploration", "example_input", "explore"]


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
    dims = tuple(dims)
    if x.dim() != len(lay.letters) or any(not 0 <= d < x.dim() for d in dims):
        raise ValueError(f"layout {lay.name} has dims 0..{len(lay.letters) - 1}; got x of shape "
                         f"{tuple(x.shape)} and dims {dims}.")
    dims = check_dims(x, dims, allow_empty=True)
    groups = group_ids(x.shape, dims)
    _, mean, var = group_stats(x, groups)
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

