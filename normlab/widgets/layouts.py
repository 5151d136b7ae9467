"""Layout widget: pick a tensor layout and a norm layer, see the permute it needs, checked against torch."""

from __future__ import annotations

import math
from html import escape

import ipywidgets as W
from matplotlib.figure import Figure

from normlab.axes import group_ids
from normlab.layouts import DEFAULT_SIZES, LAYOUTS, MODULES, LayoutRecipe, layout_recipe, parse_layout
from normlab.viz import dims_title, groups_html, show_groups
from normlab.widgets.base import NormlabWidget

__all__ = ["recipe_sizes", "recipe_html", "plot_recipe", "LayoutWidget"]


def recipe_sizes(layout: str, same: bool) -> dict[str, int]:
    """Default sizes, or (same=True) every non-batch dim as long as the features: the silent T == E trap."""
    if not same:
        return dict(DEFAULT_SIZES)
    letters = parse_layout(layout)
    feature = next(a for a in letters if a in ("C", "E"))
    return {**DEFAULT_SIZES, **{a: DEFAULT_SIZES[feature] for a in letters[1:]}}


def recipe_html(r: LayoutRecipe) -> str:
    """The recipe as HTML: meaning, code, torch check and what the call without the permute does."""
    ok = "✓" if r.max_diff < 1e-5 else "✗"
    return (f"<p><b>{escape(r.module)} on {escape(r.layout)}</b>, x of shape {r.shape}: {escape(r.meaning)} "
            f"(dims {r.dims}).</p><pre>{escape(r.code)}</pre>"
            f"<p>{ok} torch's layer through this code vs normlab.normalize(x, {r.dims}): "
            f"max |diff| = {r.max_diff:.1e}</p>"
            f"<p>Calling the layer on x as it is: <pre>{escape(r.naive)}</pre></p>")


def _title(r: LayoutRecipe) -> str:
    """'BatchNorm1d on (B, T, E)' and what it reduces over."""
    groups = r.x.numel() // math.prod(r.shape[d] for d in r.dims)
    return f"{r.module} on {r.layout}\n{dims_title(r.dims, parse_layout(r.layout), groups)}"


def plot_recipe(r: LayoutRecipe) -> Figure:
    """x in its own layout, one colour per group of elements that share a mean and variance."""
    return show_groups(r.x, r.dims, layout=r.layout, title=_title(r))


class LayoutWidget(NormlabWidget):
    """Layout and module dropdowns (and a 'same sizes' trap switch) over layout_recipe."""

    name = "layouts"

    def __init__(self, layout: str = "(B, T, E)", module: str = "BatchNorm1d", same_sizes: bool = False,
                 seed: int = 0) -> None:
        self.seed = seed
        super().__init__({
            "layout": W.Dropdown(options=LAYOUTS, value=layout, description="layout"),
            "module": W.Dropdown(options=MODULES, value=module, description="module"),
            "same_sizes": W.Checkbox(value=same_sizes, description="feature size = other dims (T == E)",
                                     indent=False),
        })

    def compute(self) -> tuple[str, None]:
        c = self.controls
        layout = c["layout"].value
        r = layout_recipe(layout, c["module"].value, recipe_sizes(layout, c["same_sizes"].value), self.seed)
        # HTML grids rather than plot_recipe's PNG: the same drawing, redrawn in milliseconds.
        head = "<br>".join(escape(line) for line in _title(r).splitlines())
        return groups_html(r.x, group_ids(r.shape, r.dims), layout=r.layout, header=head) + recipe_html(r), None
