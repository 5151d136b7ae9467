"""The cube widget: pick a normalization (and GroupNorm's group count), see which elements share statistics."""

from __future__ import annotations

from html import escape

import ipywidgets as W
import torch

from normlab.lessons.cube import NORMS, CubeStats, cube_stats
from normlab.pictures.cells import cell_colours
from normlab.pictures.cube import cube_picture
from normlab.widgets.base import NormlabWidget

__all__ = ["CubeWidget", "stats_html"]


def stats_html(s: CubeStats) -> str:
    """The groups, torch's layer with its check, and the first groups' mean and variance."""
    colours, pad = cell_colours(s.n_groups), "style='padding:0.1em 0.6em;text-align:right'"
    rows = "".join(f"<tr><td style='background:{colours[g]};width:1.5em'></td><td {pad}>{g}</td>"
                   f"<td {pad}>{float(m):.4f}</td><td {pad}>{float(v):.4f}</td></tr>"
                   for g, (m, v) in enumerate(zip(s.means[:8], s.variances[:8], strict=True)))
    more = f"<p><small>… {s.n_groups - 8} more groups</small></p>" if s.n_groups > 8 else ""
    ok = "✓" if s.max_diff < 1e-5 else "✗"
    return (f"<p><b>{s.n_groups} groups of {s.per_group} values</b>; torch: <code>{escape(s.layer)}</code> "
            f"{ok} max |normlab - torch| = {s.max_diff:.1e}</p><table><tr><th>colour</th><th>group</th><th>mean</th>"
            f"<th>var</th></tr>{rows}</table>{more}")


class CubeWidget(NormlabWidget):
    """Normalization toggle and group count over cube_picture and cube_stats, on a seeded (4, 6, 5) tensor."""

    name = "cube"

    def __init__(self, norm: str = "GroupNorm", groups: int = 2, seed: int = 0) -> None:
        self.x = torch.randn(4, 6, 5, generator=torch.Generator().manual_seed(seed))  # (N, C, H·W)
        super().__init__({
            "norm": W.ToggleButtons(options=list(NORMS), value=norm, description="norm"),
            "groups": W.SelectionSlider(options=[1, 2, 3, 6], value=groups, description="groups (GroupNorm)",
                                        continuous_update=False, style={"description_width": "initial"}),
        })

    def compute(self) -> str:
        norm, groups = self.controls["norm"].value, self.controls["groups"].value
        picture, stats = cube_picture(norm, tuple(self.x.shape), groups), cube_stats(norm, self.x, groups)
        return (f"<div style='display:flex;gap:1.5em;align-items:flex-start'><div>{picture.svg}</div>"  # side by side
                f"<div>{stats_html(stats)}</div></div>")
