"""Draw a small 2-D, 3-D or 4-D tensor as numbered cells, one colour per normalization group.

`show_groups(x, dims)` colours the elements that share a mean and variance; `before_after(x, dims)` puts the
input groups next to the normalized output; `side_by_side(x, dims_a, dims_b)` compares two choices of dims
(e.g. BatchNorm vs LayerNorm). Each returns a `pictures.svg.Picture`, drawn by pictures.cells exactly as the
widgets draw it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import torch

from normlab.core import normalize
from normlab.errors import check_dims
from normlab.layouts import dims_label, group_ids
from normlab.pictures.cells import check_drawable, grids_svg, letters_for
from normlab.pictures.svg import Picture

__all__ = ["dims_title", "show_groups", "before_after", "side_by_side"]


def dims_title(dims: Iterable[int], letters: Sequence[str], n_groups: int) -> str:
    """'reduce over (0, 2) = N, L: 3 groups', what every normlab picture of groups says."""
    return f"reduce over {dims_label(dims, tuple(letters))}: {n_groups} group{'s' * (n_groups != 1)}"


def _groups(x: torch.Tensor, dims: Iterable[int], layout: str | None) -> tuple[tuple[int, ...], torch.Tensor, str]:
    """Sorted non-negative dims, every element's group id and the title for them."""
    check_drawable(x)
    dims = check_dims(x, dims, allow_empty=True)
    groups = group_ids(x.shape, dims)
    return dims, groups, dims_title(dims, letters_for(x.dim(), layout), int(groups.max()) + 1)


def show_groups(x: torch.Tensor, dims: Iterable[int], *, layout: str | None = None, title: str | None = None
                ) -> Picture:
    """x as numbered cells, one colour per group of elements that share a mean and variance over dims."""
    _, groups, head = _groups(x, dims, layout)
    title = title or head
    return Picture(grids_svg([(x, groups, "")], layout=layout, title=title), title)


def before_after(x: torch.Tensor, dims: Iterable[int], *, layout: str | None = None, eps: float = 1e-5,
                 title: str | None = None) -> Picture:
    """Input groups on the left, normalize(x, dims) on the right in the same colours: each group -> mean 0, var 1."""
    dims, groups, head = _groups(x, dims, layout)
    title = title or f"{head} → each normalized to mean 0, var 1"
    blocks = [(x, groups, "input x"), (normalize(x.float(), dims, eps), groups, "normalized")]
    return Picture(grids_svg(blocks, layout=layout, title=title), title)


def side_by_side(x: torch.Tensor, dims_a: Iterable[int], dims_b: Iterable[int], *, layout: str | None = None,
                 labels: Sequence[str] = ("", ""), title: str = "") -> Picture:
    """The same x grouped two ways (e.g. BatchNorm vs LayerNorm), each block headed by its label and dims."""
    blocks = []
    for dims, label in zip((dims_a, dims_b), labels, strict=True):
        _, groups, head = _groups(x, dims, layout)
        blocks.append((x, groups, f"{label}: {head}" if label else head))
    return Picture(grids_svg(blocks, layout=layout, title=title), title or " vs ".join(b[2] for b in blocks))
