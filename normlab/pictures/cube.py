"""The Group Norm paper's Figure 2 drawn: the (N, C, H·W) block in an oblique projection, one colour per group.

N runs to the right, C into the depth and H·W downwards; each of the three visible faces is coloured by the groups
normlab.lessons.cube computes.
"""

from __future__ import annotations

import torch

from normlab.lessons.cube import NORMS, cube_groups
from normlab.pictures.cells import cell_colours
from normlab.pictures.svg import Picture, svg, text, text_width

__all__ = ["cube_svg", "cube_picture", "family_picture", "CUBE_DESC"]

CUBE_DESC = ("A block of N samples across, C channels into the depth and H·W positions down; each cell of the front "
             "and right faces carries its group's number, and each group has its colour: cells with the same number "
             "share one mean and variance.")


def _cube_body(ids: torch.Tensor, title: str, unit: float) -> tuple[str, float, float]:
    """The drawing of the block (without its <svg> root), and its width and height."""
    n, c, length = ids.shape
    colours = cell_colours(int(ids.max()) + 1)
    dx, dy = 0.55 * unit, -0.45 * unit  # one step along C goes right and up
    left, top = 40.0, 30 + (-dy) * c + 18 * bool(title)

    def poly(points: list[tuple[float, float]], fill: str, group: int | None = None) -> str:
        pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        shape = f"<polygon points='{pts}' fill='{fill}' stroke='white' stroke-width='1.5'/>"
        if group is None:
            return shape
        cx, cy = sum(x for x, _ in points) / 4, sum(y for _, y in points) / 4
        return shape + text(cx, cy + 3, str(group), 8, colour="#333", cls="group")  # colour is not the only cue

    parts = [text(max(left + (n * unit + c * dx) / 2, text_width(title, 13) / 2 + 10), 16, title, 13)] if title else []
    for i in range(n):  # front face (channel 0): N across, L downwards
        for k in range(length):
            x0, y0 = left + i * unit, top + k * unit
            parts.append(poly([(x0, y0), (x0 + unit, y0), (x0 + unit, y0 + unit), (x0, y0 + unit)],
                              colours[int(ids[i, 0, k])], int(ids[i, 0, k])))
    for i in range(n):  # top face (position 0): N across, C into the depth
        for j in range(c):
            x0, y0 = left + i * unit + j * dx, top + j * dy
            parts.append(poly([(x0, y0), (x0 + unit, y0), (x0 + unit + dx, y0 + dy), (x0 + dx, y0 + dy)],
                              colours[int(ids[i, j, 0])]))
    for j in range(c):  # right face (sample N - 1): C into the depth, L downwards
        for k in range(length):
            x0, y0 = left + n * unit + j * dx, top + k * unit + j * dy
            parts.append(poly([(x0, y0), (x0 + dx, y0 + dy), (x0 + dx, y0 + dy + unit), (x0, y0 + unit)],
                              colours[int(ids[n - 1, j, k])], int(ids[n - 1, j, k])))
    bottom = top + length * unit
    parts += [text(left + n * unit / 2, bottom + 16, "N", 12, colour="#444"),
              text(left - 10, top + length * unit / 2, "H·W", 12, "end", "#444"),
              text(left + n * unit + c * dx + 6, top + c * dy + 14, "C", 12, "start", "#444")]
    width, height = max(left + n * unit + c * dx + 30, text_width(title, 13) + 20), bottom + 24
    return "".join(parts), width, height


def cube_svg(ids: torch.Tensor, title: str = "", unit: float = 22) -> str:
    """The (N, C, L) block in oblique projection: front face N x L, top face N x C, right face C x L."""
    body, width, height = _cube_body(ids, title, unit)
    return svg(width, height, body, title or "the (N, C, H·W) block by group", CUBE_DESC)


def _title(norm: str, ids: torch.Tensor, groups: int) -> str:
    """'BatchNorm over (N, H·W): 6 groups of 20'; LayerNorm is the paper's, per image (not ConvNeXt's, per pixel)."""
    names = {"GroupNorm": f"GroupNorm({groups} groups)", "LayerNorm": "the paper's LayerNorm (per image)"}
    name = names.get(norm, norm)
    count = int(ids.max()) + 1
    over = {"BatchNorm": "N, H·W", "LayerNorm": "C, H·W", "InstanceNorm": "H·W", "GroupNorm": "C/G, H·W"}[norm]
    return f"{name} over ({over}): {count} groups of {ids.numel() // count}"


def cube_picture(norm: str, shape: tuple[int, int, int] = (4, 6, 5), groups: int = 2) -> Picture:
    """One norm's cube, titled with the groups it makes."""
    ids = cube_groups(norm, shape, groups)
    title = _title(norm, ids, groups)
    return Picture(cube_svg(ids, title), title)


def family_picture(shape: tuple[int, int, int] = (4, 6, 5), groups: int = 2) -> Picture:
    """The Group Norm paper's Figure 2: the four norms' cubes side by side."""
    body, x, height = [], 0.0, 0.0
    for norm in NORMS:
        ids = cube_groups(norm, shape, groups)
        drawing, w, h = _cube_body(ids, _title(norm, ids, groups), 22)
        body.append(f"<g transform='translate({x:.1f} 0)'>{drawing}</g>")
        x, height = x + w, max(height, h)
    title = f"which elements share a mean and variance, on (N, C, H·W) = {shape}"
    return Picture(svg(x, height, "".join(body), title, CUBE_DESC), title)
