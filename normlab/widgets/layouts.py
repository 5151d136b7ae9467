"""Layout widget: pick a tensor layout and a norm layer, see the permute it needs, checked against torch."""

from __future__ import annotations

from html import escape

import ipywidgets as W

from normlab.layouts import LAYOUTS, layout
from normlab.recipes import MODULES, LayoutRecipe, layout_recipe
from normlab.svg import Picture
from normlab.viz import show_groups
from normlab.widgets.base import NormlabWidget

__all__ = ["trap_shape", "recipe_html", "recipe_picture", "LayoutWidget"]


def trap_shape(layout_name: str, same: bool) -> tuple[int, ...]:
    """The layout's example shape, or (same=True) every non-batch dim as long as the features: the T == E trap."""
    lay = layout(layout_name)
    if not same:
        return lay.shape
    return tuple(lay.shape[0] if d == 0 else lay.shape[lay.feature] for d in range(len(lay.shape)))


def recipe_html(r: LayoutRecipe) -> str:
    """The recipe as HTML: meaning, code, torch check and what the call without the permute does."""
    ok = "✓" if r.max_diff < 1e-5 else "✗"
    return (f"<p><b>{escape(r.module)} on {escape(r.layout)}</b>, x of shape {r.shape}: {escape(r.meaning)} "
            f"(dims {r.dims}).</p><pre>{escape(r.code)}</pre>"
            f"<p>{ok} torch's layer through this code vs normlab.normalize(x, {r.dims}): "
            f"max |diff| = {r.max_diff:.1e}</p>"
            f"<p>Calling the layer on x as it is: <pre>{escape(r.naive)}</pre></p>")


def recipe_picture(r: LayoutRecipe) -> Picture:
    """x in its own layout, one colour per group of elements that share a mean and variance."""
    return show_groups(r.x, r.dims, layout=r.layout, title=f"{r.module} on {r.layout}: {r.meaning}")


class LayoutWidget(NormlabWidget):
    """Layout and module dropdowns (and a 'same sizes' trap switch) over layout_recipe."""

    name = "layouts"

    def __init__(self, layout: str = "(B, T, E)", module: str = "BatchNorm1d", same_sizes: bool = False,
                 seed: int = 0) -> None:
        self.seed = seed
        super().__init__({
            "layout": W.Dropdown(options=list(LAYOUTS), value=layout, description="layout"),
            "module": W.Dropdown(options=MODULES, value=module, description="module"),
            "same_sizes": W.Checkbox(value=same_sizes, description="feature size = other dims (T == E)",
                                     indent=False),
        })

    def compute(self) -> str:
        c = self.controls
        name = c["layout"].value
        r = layout_recipe(name, c["module"].value, trap_shape(name, c["same_sizes"].value), self.seed)
        return recipe_picture(r).svg + recipe_html(r)
