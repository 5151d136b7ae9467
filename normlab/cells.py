"""A small tensor as 2-D panels of numbered cells, one colour per group: the plan every normlab drawing follows.

A 2-D (N, C) tensor is one panel; (N, C, L) one C x L panel per sample; (N, C, H, W) one H x W panel per sample
and channel. normlab.viz draws the panels with matplotlib; `groups_html` draws them as HTML tables, which a
widget redraws in about a millisecond.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from matplotlib.colors import to_hex

from normlab import errors, style
from normlab.axes import Layout

__all__ = ["letters_for", "check_drawable", "number_format", "plan_panels", "cell_colours", "groups_html"]


def letters_for(ndim: int, layout: str | None) -> tuple[str, ...]:
    """Dim letters from a layout name like '(B, T, E)', or the conventional ones for ndim."""
    name = layout or errors.layout_of(ndim)
    letters = Layout(name, ()).letters if name.startswith("(") else ()
    if len(letters) != ndim:
        raise ValueError(f"layout {name!r} names {len(letters)} dims but x has {ndim}: pass layout='(A, B, ...)' "
                         "with one letter per dim.")
    return letters


def check_drawable(x: torch.Tensor) -> None:
    """Only small 2-D to 4-D tensors fit on a slide as numbered cells."""
    if not 2 <= x.dim() <= 4:
        raise ValueError(f"viz draws 2-D (N, C), 3-D (N, C, L) or 4-D (N, C, H, W) tensors; x has shape "
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
    return [to_hex(style.tint(c)) for c in style.palette(n)]


def groups_html(x: torch.Tensor, groups: torch.Tensor, *, layout: str | None = None, header: str = "") -> str:
    """The same drawing as HTML tables (fast to redraw in a widget); sizes in em, so page CSS can scale them."""
    check_drawable(x)
    letters, x = letters_for(x.dim(), layout), x.detach().float().cpu()
    colours = cell_colours(int(groups.max()) + 1)
    rows, cols, panels = plan_panels(x, letters)
    fmt = number_format(x)
    label = "style='color:#595959;font-size:0.75em;padding:0 0.3em'"
    cell = "width:2.7em;height:1.9em;text-align:center;border:2px solid white"
    tables = []
    for title, grid, index in panels:
        ids = groups[index]
        body = "".join(
            f"<tr><td {label}>{letters[-2].lower()}{r}</td>" + "".join(
                f"<td style='{cell};background:{colours[int(ids[r, c])]}'>{fmt.format(float(grid[r, c]))}</td>"
                for c in range(grid.shape[1])) + "</tr>" for r in range(grid.shape[0]))
        foot = "<tr><td></td>" + "".join(f"<td {label} align='center'>{letters[-1].lower()}{c}</td>"
                                         for c in range(grid.shape[1])) + "</tr>"
        tables.append(f"<table style='border-collapse:collapse'><caption>{title}</caption>"
                      f"{body}{foot}</table>")
    panels_html = "".join(f"<div>{t}</div>" for t in tables)
    head = f"<div style='font-size:1.1em;text-align:center'>{header}</div>" if header else ""
    return (f"<div class='normlab-grid'>{head}<div style='display:grid;grid-template-columns:repeat({cols}, auto);"
            f"gap:4px 12px'>{panels_html}</div></div>")
