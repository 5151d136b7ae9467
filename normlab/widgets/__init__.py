"""ipywidgets UIs: each is a NormlabWidget whose compute() calls a plain, tested normlab function."""

from normlab.widgets.base import NormlabWidget
from normlab.widgets.explorer import AxisExplorer
from normlab.widgets.layouts import LayoutWidget
from normlab.widgets.running import RunningStatsWidget

__all__ = ["NormlabWidget", "AxisExplorer", "RunningStatsWidget", "LayoutWidget"]
