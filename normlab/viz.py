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
from matplotlib.text import Text

from normlab import style
from normlab.axes import dims_label, group_ids
from normlab.cells import cell_colours, check_drawable, groups_html, letters_for, number_format, plan_panels
from normlab.functional import normalize

__all__ = ["dims_title", "GroupGrid", "show_groups", "before_after", "side_by_side", "groups_html", "cell_colours"]

_CELL = 0.48  # inches per cell at SCALE 1


def dims_title(dims: Iterable[int], letters: Sequence[str], n_groups: int) -> str:
    """'reduce over (0, 2) = N, L: 3 groups' — what every normlab figure title says."""
    return f"reduce over {dims_label(dims, tuple(letters))}: {n_groups} group{'s' * (n_groups != 1)}"


# Layout in cell units: gaps leave room for row/column labels and panel titles.
_GAP_X, _GAP_Y, _LEFT, _HEAD, _PANEL_TITLE, _BOTTOM, _BETWEEN = 0.5, 1.3, 0.9, 0.9, 0.7, 0.6, 0.8


def _block_size(shape: tuple[int, ...]) -> tuple[float, float]:
    """Width and height (in cells) of one drawing of a tensor of this shape."""
    rows, cols, panels = plan_panels(torch.zeros(shape), "NCHW"[: len(shape)])
    h, w = panels[0][1].shape
    title = _PANEL_TITLE if len(shape) > 2 else 0.0
    return _LEFT + cols * w + (cols - 1) * _GAP_X, _HEAD + title + rows * h + (rows - 1) * _GAP_Y + _BOTTOM


def _text_cells(text: str, points: float) -> float:
    """Rough width of a one-line text in cells (DejaVu Sans averages ~0.55 em per character)."""
    return len(text) * points * 0.55 / 72 / _CELL + 0.3 if text else 0.0


class GroupGrid:
    """A figure of `blocks` side-by-side drawings of tensors of one shape; `update` recolours and renumbers them.

    Building the artists once and updating them in place keeps a redraw cheap. Pass the longest header and the
    title you will show so the figure is made wide enough for them.
    """

    def __init__(self, shape: Sequence[int], layout: str | None = None, blocks: int = 1, header: str = "",
                 title: str = "") -> None:
        self.shape, self.letters = tuple(shape), letters_for(len(shape), layout)
        check_drawable(torch.zeros(self.shape))
        grid_w, bh = _block_size(self.shape)
        bw = max(grid_w, _text_cells(header, 12))  # wide enough for the block's header
        width = max(blocks * bw + (blocks - 1) * _BETWEEN, _text_cells(title, 13)) + 0.2
        cell = _CELL * style.SCALE
        title_h = 0.4 * style.SCALE if title else 0.05
        total = bh * cell + title_h
        self.fig = Figure(figsize=(width * cell, total))
        ax = self.fig.add_axes((0, 0, 1, bh * cell / total))
        ax.set_xlim(0, width)
        ax.set_ylim(bh, 0)
        ax.set_autoscale_on(False)  # imshow would re-fit the limits to each panel
        ax.set_axis_off()
        self.title = self.fig.text(0.5, 1 - 0.06 / total, "", ha="center", va="top", fontsize=style.fontsize(13))
        first = (width - 0.2 - blocks * bw - (blocks - 1) * _BETWEEN) / 2
        self._blocks = [self._draw_block(ax, first + k * (bw + _BETWEEN), bw) for k in range(blocks)]

    def _draw_block(self, ax: Axes, left: float, width: float) -> tuple[list, list, Text]:
        """Create one block's images, number texts and static labels; return (images, numbers, header)."""
        rows, cols, panels = plan_panels(torch.zeros(self.shape), self.letters)
        h, w = panels[0][1].shape
        top = _HEAD + (_PANEL_TITLE if len(self.shape) > 2 else 0.0)
        row_name, col_name = self.letters[-2].lower(), self.letters[-1].lower()
        size, small, white = style.fontsize(11), style.fontsize(8.5), 2 * style.SCALE
        images, numbers, header_x = [], [], left + width / 2
        left += (width - _block_size(self.shape)[0]) / 2  # centre the grids under a wider header
        for k, (label, _, _) in enumerate(panels):
            ox, oy = left + _LEFT + (k % cols) * (w + _GAP_X), top + (k // cols) * (h + _GAP_Y)
            images.append(ax.imshow(np.ones((h, w, 3)), extent=(ox, ox + w, oy + h, oy), interpolation="nearest"))
            ax.vlines(np.arange(ox + 1, ox + w), oy, oy + h, colors="white", linewidth=white)
            ax.hlines(np.arange(oy + 1, oy + h), ox, ox + w, colors="white", linewidth=white)
            numbers += [ax.text(ox + c + 0.5, oy + r + 0.5, "", ha="center", va="center", fontsize=size)
                        for r in range(h) for c in range(w)]
            if k % cols == 0:
                for r in range(h):
                    ax.text(ox - 0.1, oy + r + 0.5, f"{row_name}{r}", ha="right", va="center", fontsize=small,
                            color="0.35")
            if k // cols == rows - 1:
                for c in range(w):
                    ax.text(ox + c + 0.5, oy + h + 0.1, f"{col_name}{c}", ha="center", va="top", fontsize=small,
                            color="0.35")
            if label:
                ax.text(ox + w / 2, oy - 0.15, label, ha="center", va="bottom", fontsize=style.fontsize(10))
        header = ax.text(header_x, 0.15, "", ha="center", va="top", fontsize=style.fontsize(12))
        return images, numbers, header

    def update(self, title: str, *blocks: tuple[torch.Tensor, torch.Tensor, str]) -> Figure:
        """Show (x, group ids, header) in each block under `title`; returns the (same) figure."""
        self.title.set_text(title)
        for (images, numbers, header), (x, groups, head) in zip(self._blocks, blocks, strict=True):
            x = x.detach().float().cpu().reshape(self.shape)
            colours = np.array([style.tint(c) for c in style.palette(int(groups.max()) + 1)])
            fmt = number_format(x)
            for image, (_, _, index) in zip(images, plan_panels(x, self.letters)[2], strict=True):
                image.set_data(colours[groups[index].numpy()])
            for text, value in zip(numbers, x.numpy().reshape(-1), strict=True):
                text.set_text(fmt.format(value))
            header.set_text(head)
        return self.fig


def _prepare(x: torch.Tensor, dims: Iterable[int], layout: str | None) -> tuple[tuple[int, ...], tuple[str, ...]]:
    """Validate x and return sorted non-negative dims and the dim letters."""
    check_drawable(x)
    return tuple(sorted({d % x.dim() for d in dims})), letters_for(x.dim(), layout)


def show_groups(x: torch.Tensor, dims: Iterable[int], *, layout: str | None = None, title: str | None = None) -> Figure:
    """x as numbered cells, one colour per group of elements that share a mean and variance over dims."""
    dims, letters = _prepare(x, dims, layout)
    groups = group_ids(x.shape, dims)
    title = title or dims_title(dims, letters, int(groups.max()) + 1)
    return GroupGrid(x.shape, layout, blocks=1, title=title).update(title, (x, groups, ""))


def before_after(x: torch.Tensor, dims: Iterable[int], *, layout: str | None = None, eps: float = 1e-5,
                 title: str | None = None, grid: GroupGrid | None = None) -> Figure:
    """Input groups on the left, normalize(x, dims) on the right in the same colours: each group -> mean 0, var 1."""
    dims, letters = _prepare(x, dims, layout)
    groups = group_ids(x.shape, dims)
    title = title or dims_title(dims, letters, int(groups.max()) + 1) + " → each normalized to mean 0, var 1"
    after = "normalized"
    grid = grid or GroupGrid(x.shape, layout, blocks=2, header=after, title=title)
    return grid.update(title, (x, groups, "input x"), (normalize(x.float(), dims, eps), groups, after))


def side_by_side(x: torch.Tensor, dims_a: Iterable[int], dims_b: Iterable[int], *, layout: str | None = None,
                 labels: Sequence[str] = ("", ""), title: str = "") -> Figure:
    """The same x grouped two ways (e.g. BatchNorm vs LayerNorm), each block headed by its label and dims."""
    letters = _prepare(x, (), layout)[1]
    blocks = []
    for dims, label in zip((dims_a, dims_b), labels, strict=True):
        dims = tuple(sorted({d % x.dim() for d in dims}))
        groups = group_ids(x.shape, dims)
        head = dims_title(dims, letters, int(groups.max()) + 1)
        blocks.append((x, groups, f"{label}: {head}" if label else head))
    widest = max((b[2] for b in blocks), key=len)
    return GroupGrid(x.shape, layout, blocks=2, header=widest, title=title).update(title, *blocks)
