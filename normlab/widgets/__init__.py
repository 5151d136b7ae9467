"""ipywidgets UIs: each is a NormlabWidget whose compute() calls a plain, tested normlab function."""

from normlab.widgets.base import NormlabWidget, figure_png
from normlab.widgets.explorer import AxisExplorer

__all__ = ["NormlabWidget", "figure_png", "AxisExplorer"]
