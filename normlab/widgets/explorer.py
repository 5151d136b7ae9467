"""The axis explorer: choose a layout, tick the dims to reduce over, see the groups and the torch layer that does it.

`AxisExplorer()` shows what `normlab.lessons.explorer.explore(layout, dims)` computes: coloured groups, the normalized
output, per-group mean and variance, the matching torch line of code and max |normlab - torch|.
"""

from __future__ import annotations

from html import escape

import ipywidgets as W

from normlab.layouts import LAYOUTS, layout
from normlab.lessons.explorer import Exploration, explore
from normlab.pictures import viz
from normlab.pictures.cells import cell_colours
from normlab.widgets.base import NormlabWidget

__all__ = ["AxisExplorer", "exploration_html"]


def exploration_html(result: Exploration) -> str:
    """The explorer's text: torch line(s), max |difference| and a per-group statistics table with colour swatches."""
    if result.matches:
        code = "<br>".join(f"<code>{escape(m.code)}</code>" for m in result.matches)
        sizes = ", ".join(f"{k} = {v}" for k, v in result.layout.sizes(result.x.shape).items())
        torch_part = (f"<p><b>torch:</b> {code} &nbsp;<small>({sizes})</small><br>max |normlab − torch| = "
                      f"{result.max_diff:.1e}</p>")
    else:
        torch_part = f"<p><b>torch:</b> {escape(result.message)}</p>"
    colours, pad = cell_colours(result.n_groups), "style='padding:0.1em 0.6em;text-align:right'"
    rows = "".join(f"<tr><td style='background:{colours[g]};width:1.5em'></td><td {pad}>{g}</td><td {pad}>{m:.4f}</td>"
                   f"<td {pad}>{v:.4f}</td></tr>" for g, m, v in result.stats_rows())
    more = f"<p><small>… {result.n_groups - 12} more groups</small></p>" if result.n_groups > 12 else ""
    head = escape(viz.dims_title(result.dims, result.layout.letters, result.n_groups))
    return (f"<p><b>{head}</b></p>{torch_part}<table><tr><th>colour</th><th>group</th><th>mean</th><th>var</th></tr>"
            f"{rows}</table>{more}")


class AxisExplorer(NormlabWidget):
    """Layout dropdown and one checkbox per dim; redraws groups, output, statistics and the torch line."""

    name = "axis-explorer"

    def __init__(self, layout_name: str = "(N, C, L)", dims: tuple[int, ...] = (0, 2)) -> None:
        self._hold = True
        controls: dict[str, W.Widget] = {"layout": W.Dropdown(options=list(LAYOUTS), value=layout_name,
                                                                description="layout")}
        for d in range(max(len(lay.shape) for lay in LAYOUTS.values())):
            controls[f"dim{d}"] = W.Checkbox(value=d in dims, indent=False, layout=W.Layout(width="auto"))
        self.result: Exploration | None = None
        self._relabel(controls, layout_name)
        self._hold = False
        super().__init__(controls)

    @staticmethod
    def _relabel(controls: dict[str, W.Widget], layout_name: str) -> None:
        """One visible checkbox per dim of the layout, labelled '0: N'; the rest hidden and unticked."""
        letters = layout(layout_name).letters
        for key, box in controls.items():
            if key.startswith("dim"):
                d = int(key[3:])
                box.description = f"{d}: {letters[d]}" if d < len(letters) else ""
                box.layout.display = None if d < len(letters) else "none"
                if d >= len(letters):
                    box.value = False

    def _on_change(self, change: dict) -> None:
        if self._hold:
            return
        if change["owner"] is self.controls["layout"]:
            self._hold = True
            try:
                self._relabel(self.controls, change["new"])
            finally:
                self._hold = False
        self.render()

    @property
    def dims(self) -> tuple[int, ...]:
        """The ticked dims of the current layout."""
        ndim = len(layout(self.controls["layout"].value).letters)
        return tuple(d for d in range(ndim) if self.controls[f"dim{d}"].value)

    def compute(self) -> str:
        name = self.controls["layout"].value
        self.result = result = explore(name, self.dims)
        if result.output is None:
            picture = viz.show_groups(result.x, result.dims, layout=name)
        else:  # the picture normlab.pictures.viz.before_after draws in a notebook cell, as SVG: redrawn in milliseconds
            picture = viz.before_after(result.x, result.dims, layout=name)
        return picture.svg + exploration_html(result)
