"""Running-statistics widget: step through batches and watch BatchNorm's running mean and variance converge."""

from __future__ import annotations

from functools import lru_cache

import ipywidgets as W

from normlab.lessons.running import RunningTrace, simulate_running_stats
from normlab.pictures.running import running_picture, running_text
from normlab.widgets.base import NormlabWidget

__all__ = ["STEPS", "RunningStatsWidget"]

STEPS = 60


@lru_cache(maxsize=64)
def _trace(momentum: float, batch_size: int, seed: int) -> RunningTrace:
    """One simulation per (momentum, batch size, seed): moving the step slider only redraws."""
    return simulate_running_stats(STEPS, momentum, batch_size, seed=seed)


class RunningStatsWidget(NormlabWidget):
    """Momentum, batch size and step sliders over simulate_running_stats, drawn by running_picture."""

    name = "running"

    def __init__(self, momentum: float = 0.1, batch_size: int = 8, step: int = 10, seed: int = 0) -> None:
        self.seed = seed
        slider = {"continuous_update": False, "style": {"description_width": "initial"}}
        super().__init__({
            "momentum": W.FloatSlider(value=momentum, min=0.01, max=1.0, step=0.01, description="momentum",
                                      **slider),
            "batch_size": W.IntSlider(value=batch_size, min=2, max=64, description="batch size", **slider),
            "step": W.IntSlider(value=step, min=1, max=STEPS, description="batches seen", **slider),
        })

    def compute(self) -> str:
        c = self.controls
        self.trace = _trace(round(c["momentum"].value, 4), c["batch_size"].value, self.seed)
        return running_picture(self.trace, c["step"].value).svg + running_text(self.trace, c["step"].value)
