"""A small tensor as panels of numbered cells, one colour per group of elements that share a mean and variance.

A 2-D (N, C) tensor is one panel; (N, C, L) one C x L panel per sample; (N, C, H, W) one H x W panel per sample
and channel. `grids_svg` draws one or more such blocks side by side (e.g. input and output) as SVG: the same
drawing in a notebook cell (normlab.pictures.viz) and in a widget, redrawn in about a millisecond.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from normlab.layouts import layout_of, parse_layout
from normlab.pictures import style
from normlab.pictures.svg import rect, svg, text, text_width

__all__ = ["Block", "letters_for", "check_drawable", "number_format", "plan_panels", "cell_colours", "grids_svg",
           "GROUPS_DESC"]

# Colour is never the only cue: every cell also carries its group's number, small, in its top-left corner.
GROUPS_DESC = ("Each cell shows one value; the small number in its corner is its group, and its colour the "
               "group's colour: cells with the same number share one mean and variance.")
Block = tuple[torch.Tensor, torch.Tensor, str]  # (values, group id of every value, header above the block)
_W, _H, _GAP_X, _GAP_Y, _LABEL, _CAPTION, _BETWEEN = 42, 26, 14, 30, 26, 16, 36  # px at SCALE 1


def letters_for(ndim: int, layout: str | None) -> tuple[str, ...]:
    """Dim letters from a layout name like '(B, T, E)', or the conventional ones for ndim."""
    letters = parse_layout(layout or layout_of(ndim))
    if len(letters) != ndim:
        raise ValueError(f"layout {layout!r} names {len(letters)} dims but x has {ndim}: pass layout='(A, B, ...)' "
                         "with one letter per dim.")
    return letters


def check_drawable(x: torch.Tensor) -> None:
    """Only small 2-D to 4-D tensors fit on a slide as numbered cells."""
    if not 2 <= x.dim() <= 4:
        raise ValueError(f"normlab draws 2-D (N, C), 3-D (N, C, L) or 4-D (N, C, H, W) tensors; x has shape "
                         f"{tuple(x.shape)}. Reshape it, e.g. x.reshape(N, C, -1), or pick a slice.")
    if x.numel() > 400:
        raise ValueError(f"x has {x.numel()} elements, too many numbers to read; draw a slice of <= 400.")


def number_format(x: torch.Tensor) -> str:
    """Whole numbers as integers, anything else with two decimals."""
    return "{:.0f}" if bool((x == x.round()).all()) and float(x.abs().max()) < 1000 else "{:.2f}"


def plan_panels(x: torch.Tensor, letters: Sequence[str]) -> tuple[int, int, list[tuple[str, torch.Tensor, tuple]]]:
    """Grid rows, grid cols and (title, 2-D slice, leading index) for each panel."""
    if x.dim() == 2:
        return 1, 1, [("", x, ())]
    if x.dim() == 3:
        return 1, x.shape[0], [(f"{letters[0].lower()} = {i}", x[i], (i,)) for i in range(x.shape[0])]
    return x.shape[0], x.shape[1], [(f"{letters[0].lower()} = {i}, {letters[1].lower()} = {j}", x[i, j], (i, j))
                                    for i in range(x.shape[0]) for j in range(x.shape[1])]


def cell_colours(n: int) -> list[str]:
    """Hex background colours of n groups: the palette tinted so black numbers stay readable."""
    return [style.tint_hex(c) for c in style.palette(n)]


def _block(x: torch.Tensor, groups: torch.Tensor, letters: Sequence[str], header: str, left: float,
           top: float) -> tuple[str, float, float]:
    """One block's SVG at (left, top), and its width and height."""
    x = x.detach().float().cpu()
    rows, cols, panels = plan_panels(x, letters)
    h, w = panels[0][1].shape
    caption = _CAPTION if x.dim() > 2 else 0
    grid_w = _LABEL + cols * w * _W + (cols - 1) * _GAP_X
    width = max(grid_w, text_width(header, 13))
    ox = left + (width - grid_w) / 2 + _LABEL
    oy = top + (20 if header else 0) + caption
    colours, fmt = cell_colours(int(groups.max()) + 1), number_format(x)
    row_name, col_name = letters[-2].lower(), letters[-1].lower()
    out = [text(left + width / 2, top + 14, header, 13, cls="header")] if header else []
    for k, (title, grid, index) in enumerate(panels):
        px, py = ox + (k % cols) * (w * _W + _GAP_X), oy + (k // cols) * (h * _H + _GAP_Y)
        ids = groups[index]
        if title:
            out.append(text(px + w * _W / 2, py - 5, title, 11, colour="#444"))
        for r in range(h):
            for c in range(w):
                cx, cy = px + c * _W, py + r * _H
                out.append(rect(cx, cy, _W, _H, colours[int(ids[r, c])], "white", 2, cls="cell"))
                out.append(text(cx + _W / 2 + 3, cy + _H / 2 + 5, fmt.format(float(grid[r, c])), 12, cls="cell"))
                out.append(text(cx + 2.5, cy + 8, str(int(ids[r, c])), 7, "start", "#333", cls="group"))
        if k % cols == 0:
            out += [text(px - 4, py + r * _H + _H / 2 + 4, f"{row_name}{r}", 10, "end", "#595959") for r in range(h)]
        if k // cols == rows - 1:
            out += [text(px + c * _W + _W / 2, py + h * _H + 12, f"{col_name}{c}", 10, colour="#595959")
                    for c in range(w)]
    height = (oy - top) + rows * h * _H + (rows - 1) * _GAP_Y + 16
    return "".join(out), width, height


def grids_svg(blocks: Sequence[Block], *, layout: str | None = None, title: str = "") -> str:
    """Blocks of numbered, coloured cells side by side under a title (one line per '\\n'), as an SVG string."""
    for x, _, _ in blocks:
        check_drawable(x)
    letters = letters_for(blocks[0][0].dim(), layout)
    lines = [ln for ln in title.splitlines() if ln]
    top = 8 + 18 * len(lines)
    parts, left, height = [], 10.0, 0.0
    for x, groups, header in blocks:
        body, w, h = _block(x, groups, letters, header, left, top)
        parts.append(body)
        left, height = left + w + _BETWEEN, max(height, h)
    blocks_w = left - _BETWEEN + 10
    width = max(blocks_w, max((text_width(ln, 14) + 20 for ln in lines), default=0))
    heads = "".join(text(width / 2, 22 + 18 * i, ln, 14) for i, ln in enumerate(lines))
    grids = f"<g transform='translate({(width - blocks_w) / 2:.1f} 0)'>{''.join(parts)}</g>"
    return svg(width, top + height + 6, heads + grids, title.replace("\n", "; ") or "a tensor's values by group",
               GROUPS_DESC)
