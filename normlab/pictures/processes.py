"""Notebook 11's processes drawn: each rank's shard and what crosses between ranks.

`sync_picture(sizes)` draws the batch split into one shard per rank (one colour per rank, as normlab colours
groups), each rank reducing its shard to a count, a mean and an M2 per channel, the forward's all_gather that hands
every rank all of them, the combine that gives every rank the same statistics of the whole batch, and (unless
backward=False) the backward's all_reduce of two sums per channel.
"""

from __future__ import annotations

from collections.abc import Sequence

from normlab.pictures.style import palette, tint_hex
from normlab.pictures.svg import Picture, line, polyline, rect, svg, text

__all__ = ["sync_picture"]

WIDTH, CELL, TOP = 780.0, 14.0, 62.0
SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def _arrow(x1: float, y1: float, x2: float, y2: float, colour: str = "#555") -> str:
    """A line from (x1, y1) to (x2, y2) with a head at the end (horizontal arrows only)."""
    head = 6 if x2 > x1 else -6
    return line(x1, y1, x2, y2, colour, 1.5) + polyline([(x2 - head, y2 - 4), (x2, y2), (x2 - head, y2 + 4)],
                                                       colour, 1.5)


def _layout(sizes: Sequence[int]) -> list[tuple[float, float]]:
    """The top and the height of each rank's row: its shard's cells, at least a box's height."""
    rows, y = [], TOP
    for n in sizes:
        h = max(n * CELL, 62.0)
        rows.append((y, h))
        y += h + 14
    return rows


def sync_picture(sizes: Sequence[int] = (5, 4, 3), backward: bool = True) -> Picture:
    """The batch split over len(sizes) ranks, the all_gather of (count, mean, M2), and (if backward) the all_reduce."""
    sizes = [int(n) for n in sizes]
    if len(sizes) < 2 or any(n < 1 for n in sizes) or sum(sizes) > 40:
        raise ValueError(f"sync_picture draws 2 or more ranks of at least 1 sample each, 40 samples at most; got "
                         f"shard sizes {sizes}.")
    colours, rows = palette(len(sizes)), _layout(sizes)
    title = (f"SyncBatchNorm on {len(sizes)} processes: statistics over the whole batch of {sum(sizes)} = "
             f"{' + '.join(map(str, sizes))} samples")
    bottom = rows[-1][0] + rows[-1][1]
    gather_x, gather_w = 400.0, 100.0
    out = [text(WIDTH / 2, 22, title, 14, bold=True),
           text(40, 46, "batch (N, C)", 11, colour="#333"), text(205, 46, "each rank, its shard only", 11),
           text(gather_x + gather_w / 2, 46, "forward", 11, bold=True),
           text(665, 46, "each rank, the whole batch", 11)]
    out.append(rect(gather_x, TOP - 4, gather_w, bottom - TOP + 8, "#f2f2f2", "#999"))
    out.append(text(gather_x + gather_w / 2, (TOP + bottom) / 2 - 6, "all_gather", 12, bold=True))
    out.append(text(gather_x + gather_w / 2, (TOP + bottom) / 2 + 10, "n, m, M2 of", 10, colour="#555"))
    out.append(text(gather_x + gather_w / 2, (TOP + bottom) / 2 + 24, "every rank", 10, colour="#555"))
    sample = 0
    for rank, ((y, h), n, colour) in enumerate(zip(rows, sizes, colours, strict=True)):
        fill = tint_hex(colour)
        for i in range(n):  # the shard's samples, numbered as in the batch
            out.append(rect(26, y + i * CELL, 30, CELL - 1, fill, colour))
            out.append(text(41, y + i * CELL + CELL - 3.5, str(sample), 9))
            sample += 1
        mid = y + h / 2
        out.append(_arrow(60, y + n * CELL / 2, 128, mid))
        out.append(rect(130, mid - 28, 150, 56, fill, colour, 1.5))
        out.append(text(205, mid - 12, f"rank {rank}: {n} sample{'s' * (n != 1)}", 11, bold=True))
        i = str(rank).translate(SUB)
        out.append(text(205, mid + 4, f"n{i}, m{i}, M2{i}", 11))
        out.append(text(205, mid + 18, "one of each per channel", 9, colour="#555"))
        out.append(_arrow(282, mid, gather_x - 2, mid, colour))
        out.append(_arrow(gather_x + gather_w + 2, mid, 588, mid, "#555"))
        for k, c in enumerate(colours):  # every rank receives every rank's three numbers
            out.append(rect(gather_x + gather_w + 12 + 12 * k, mid - 13, 9, 9, tint_hex(c), c))
        out.append(rect(590, mid - 28, 150, 56, "white", colour, 1.5))
        out.append(text(665, mid - 12, f"rank {rank}: combine", 11, bold=True))
        out.append(text(665, mid + 4, "n, mean, var", 11))
        out.append(text(665, mid + 18, "the same on every rank", 9, colour="#555"))
    if not backward:
        return Picture(svg(WIDTH, bottom + 16, "".join(out)), title)
    y = bottom + 22
    out.append(rect(130, y, 610, 44, "#f2f2f2", "#999"))
    out.append(text(435, y + 18, "backward: all_reduce adds up two sums per channel, Σ ĝ and Σ ĝ·x̂, over the "
                                 "ranks,", 11))
    out.append(text(435, y + 34, "so every rank's input gradient uses the whole batch's means", 11))
    return Picture(svg(WIDTH, y + 56, "".join(out)), title)
