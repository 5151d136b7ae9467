"""Layout widget: pick a tensor layout and a norm layer, see the permute it needs, checked against torch."""

from __future__ import annotations

import ipywidgets as W

from normlab.layouts import LAYOUTS
from normlab.lessons.recipes import MODULES, layout_recipe, trap_shape
from normlab.pictures.layouts import recipe_html, recipe_picture
from normlab.widgets.base import NormlabWidget

__all__ = ["LayoutWidget"]


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
