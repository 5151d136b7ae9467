"""Draw a small 2-D, 3-D or 4-D tensor as grids of numbered cells, one colour per normalization group.

`show_groups(x, dims)` colours the elements that share a mean and variance; `before_after(x, dims)` puts the
input groups next to the normalized output; `side_by_side(x, dims_a, dims_b)` compares two choices of dims
(e.g. BatchNorm vs LayerNorm). Each returns a `matplotlib.figure.Figure` (no pyplot state) in normlab.style.
A 2-D (N, C) tensor is one grid; (N, C, L) is one C x L grid per sample; (N, C, H, W) one H x W grid per
sample and channel.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from normlab import errors, style
from normlab.explorer import Layout, dims_label, group_ids
from normlab.functional import normalize

__all__ = ["dims_title", "draw_tensor", "show_groups", "before_after", "side_by_side"]

_CELL = 0.48  # inches per cell at SCALE 1


def _letters(ndim: int, layout: str | None) -> tuple[str, ...]:
    """Dim letters from a layout name like '(B, T, E)', or the conventional ones for ndim."""
    name = layout or errors.layout_of(ndim)
    letters = Layout(name, ()).letters if name.startswith("(") else ()
    if len(letters) != ndim:
        raise ValueError(f"layout {name!r} names {len(letters)} dims but x has {ndim}: pass layout='(A, B, ...)' "
                         "with one letter per dim.")
    return letters


def _check_drawable(x: torch.Tensor) -> None:
    """Only small 2-D to 4-D tensors fit on a slide as numbered cells."""
    if not 2 <= x.dim() <= 4:
        raise ValueError(f"viz draws 2-D (N, C), 3-D (N, C, L) or 4-D (N, C, H, W) tensors; x has shape "
                         f"{tuple(x.shape)}. Reshape it, e.g. x.reshape(N, C, -1), or pick a slice.")
    if x.numel() > 400:
        raise ValueError(f"x has {x.numel()} elements, too many numbers to read; draw a slice of <= 400.")


def dims_title(dims: Iterable[int], letters: Sequence[str], n_groups: int) -> str:
    """'reduce over (0, 2) = N, L: 3 groups' — what every normlab figure title says."""
    return f"reduce over {dims_label(dims, tuple(letters))}: {n_groups} group{'s' * (n_groups != 1)}"


def _fmt(x: torch.Tensor) -> str:
    """Whole numbers as integers, anything else with two decimals."""
    return "{:.0f}" if bool((x == x.round()).all()) and float(x.abs().max()) < 1000 else "{:.2f}"


def _panels(x: torch.Tensor, letters: Sequence[str]) -> tuple[int, int, list[tuple[str, torch.Tensor, tuple]]]:
    """Grid rows, grid cols and (title, 2-D slice, leading index) for each panel."""
    if x.dim() == 2:
        return 1, 1, [("", x, ())]
    if x.dim() == 3:
        return 1, x.shape[0], [(f"{letters[0].lower()} = {i}", x[i], (i,)) for i in range(x.shape[0])]
    return x.shape[0], x.shape[1], [(f"{letters[0].lower()} = {i}, {letters[1].lower()} = {j}", x[i, j], (i, j))
                                    for i in range(x.shape[0]) for j in range(x.shape[1])]


# Layout in cell units: gaps leave room for row/column labels and panel titles.
_GAP_X, _GAP_Y, _LEFT, _HEAD, _PANEL_TITLE, _BOTTOM, _BETWEEN = 1.0, 1.4, 0.9, 1.0, 0.7, 0.7, 1.0


def _block_size(x: torch.Tensor) -> tuple[float, float]:
    """Width and height (in cells) of one drawing of x."""
    rows, cols, panels = _panels(x, "NCHW"[: x.dim()])
    h, w = panels[0][1].shape
    title = _PANEL_TITLE if x.dim() > 2 else 0.0
    return _LEFT + cols * w + (cols - 1) * _GAP_X, _HEAD + title + rows * h + (rows - 1) * _GAP_Y + _BOTTOM


def draw_tensor(ax: Axes, x: torch.Tensor, groups: torch.Tensor, letters: Sequence[str], header: str = "",
                left: float = 0.0) -> None:
    """Draw x on ax (cell units, y down) from `left`: numbered cells coloured by group (colour = shared stats)."""
    x = x.detach().float().cpu()
    colours = np.array([style.tint(c) for c in style.palette(int(groups.max()) + 1)])
    rows, cols, panels = _panels(x, letters)
    h, w = panels[0][1].shape
    fmt, size, small = _fmt(x), style.fontsize(11), style.fontsize(8.5)
    top = _HEAD + (_PANEL_TITLE if x.dim() > 2 else 0.0)
    row_name, col_name = letters[-2].lower(), letters[-1].lower()
    for k, (label, grid, index) in enumerate(panels):
        ox, oy = left + _LEFT + (k % cols) * (w + _GAP_X), top + (k // cols) * (h + _GAP_Y)
        ax.imshow(colours[groups[index].numpy()], extent=(ox, ox + w, oy + h, oy), interpolation="nearest")
        ax.vlines(np.arange(ox + 1, ox + w), oy, oy + h, colors="white", linewidth=2 * style.SCALE)
        ax.hlines(np.arange(oy + 1, oy + h), ox, ox + w, colors="white", linewidth=2 * style.SCALE)
        for (r, c), value in np.ndenumerate(grid.numpy()):
            ax.text(ox + c + 0.5, oy + r + 0.5, fmt.format(value), ha="center", va="center", fontsize=size)
        for r in range(h):
            ax.text(ox - 0.1, oy + r + 0.5, f"{row_name}{r}", ha="right", va="center", fontsize=small, color="0.35")
        for c in range(w):
            ax.text(ox + c + 0.5, oy + h + 0.1, f"{col_name}{c}", ha="center", va="top", fontsize=small, color="0.35")
        if label:
            ax.text(ox + w / 2, oy - 0.15, label, ha="center", va="bottom", fontsize=style.fontsize(10))
    if header:
        width = _block_size(x)[0]
        ax.text(left + width / 2, 0.15, header, ha="center", va="top", fontsize=style.fontsize(12))


def _canvas(x: torch.Tensor, blocks: int, title: str) -> tuple[Figure, Axes, float]:
    """A figure with one borderless axes in cell units, sized for `blocks` drawings of x; returns the block width."""
    bw, bh = _block_size(x)
    width = blocks * bw + (blocks - 1) * _BETWEEN
    cell = _CELL * style.SCALE
    title_h = 0.4 * style.SCALE * (title.count("\n") + 1) if title else 0.0
    total = bh * cell + title_h
    fig = Figure(figsize=((width + 0.2) * cell, total))
    ax = fig.add_axes((0, 0, 1, bh * cell / total))
    ax.set_xlim(0, width + 0.2)
    ax.set_ylim(bh, 0)
    ax.set_autoscale_on(False)  # imshow would otherwise re-fit the limits to the last panel
    ax.set_axis_off()
    if title:
        fig.text(0.5, 1 - 0.06 / total, title, ha="center", va="top", fontsize=style.fontsize(13))
    return fig, ax, bw + _BETWEEN


def _prepare(x: torch.Tensor, dims: Iterable[int], layout: str | None) -> tuple[tuple[int, ...], tuple[str, ...]]:
    """Validate x and return sorted non-negative dims and the dim letters."""
    _check_drawable(x)
    return tuple(sorted({d % x.dim() for d in dims})), _letters(x.dim(), layout)


def show_groups(x: torch.Tensor, dims: Iterable[int], *, layout: str | None = None, title: str | None = None) -> Figure:
    """x as numbered cells, one colour per group of elements that share a mean and variance over dims."""
    dims, letters = _prepare(x, dims, layout)
    groups = group_ids(x.shape, dims)
    fig, ax, _ = _canvas(x, 1, title or dims_title(dims, letters, int(groups.max()) + 1))
    draw_tensor(ax, x, groups, letters)
    return fig


def before_after(x: torch.Tensor, dims: Iterable[int], *, layout: str | None = None, eps: float = 1e-5,
                 title: str | None = None) -> Figure:
    """Input groups on the left, normalize(x, dims) on the right in the same colours: each group -> mean 0, var 1."""
    dims, letters = _prepare(x, dims, layout)
    groups = group_ids(x.shape, dims)
    y = normalize(x.float(), dims, eps)
    fig, ax, step = _canvas(x, 2, title or dims_title(dims, letters, int(groups.max()) + 1))
    draw_tensor(ax, x, groups, letters, "input x")
    draw_tensor(ax, y, groups, letters, "normalized: each colour has mean 0, var 1", left=step)
    return fig


def side_by_side(x: torch.Tensor, dims_a: Iterable[int], dims_b: Iterable[int], *, layout: str | None = None,
                 labels: Sequence[str] = ("", ""), title: str = "") -> Figure:
    """The same x grouped two ways (e.g. BatchNorm vs LayerNorm), each block headed by its label and dims."""
    letters = _prepare(x, (), layout)[1]
    fig, ax, step = _canvas(x, 2, title)
    for k, (dims, label) in enumerate(zip((dims_a, dims_b), labels, strict=True)):
        dims = tuple(sorted({d % x.dim() for d in dims}))
        groups = group_ids(x.shape, dims)
        head = dims_title(dims, letters, int(groups.max()) + 1)
        draw_tensor(ax, x, groups, letters, f"{label}: {head}" if label else head, left=k * step)
    return fig
