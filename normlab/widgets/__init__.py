"""ipywidgets UIs: each is a NormlabWidget whose compute() calls a plain, tested normlab function.

May import the library, normlab.lessons and normlab.pictures, and ipywidgets; nothing in normlab imports a widget
(`make lint` checks it).

TrainingWidget (notebook 07) loads on first use: it brings d2l and scikit-learn, which the other widgets do not need.
"""

from __future__ import annotations

import importlib

from normlab.widgets.base import NormlabWidget
from normlab.widgets.cube import CubeWidget
from normlab.widgets.explorer import AxisExplorer
from normlab.widgets.layouts import LayoutWidget
from normlab.widgets.running import RunningStatsWidget
from normlab.widgets.state import StateWidget

__all__ = ["NormlabWidget", "AxisExplorer", "RunningStatsWidget", "LayoutWidget", "CubeWidget", "StateWidget",
           "TrainingWidget"]

_LAZY = {"TrainingWidget": "normlab.widgets.training"}


def __getattr__(name: str) -> type:
    """Widgets whose module is heavy to import are loaded when first asked for."""
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'normlab.widgets' has no attribute {name!r}")
