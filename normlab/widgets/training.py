"""Training widget: pick a learning rate, with/without BatchNorm and a seed, see that run's curves and accuracy.

The runs are those of `normlab.lessons.why.lr_sweep()`, cached per learning rate and network: after the notebook's sweep
cell, moving a control only redraws; on its own, the widget trains a run's seeds the first time they are shown.
"""

from __future__ import annotations

import ipywidgets as W

from normlab.lessons.train import Run
from normlab.lessons.why import LRS, SEEDS, count, status, sweep_runs
from normlab.pictures.whyplots import training_picture
from normlab.widgets.base import NormlabWidget

__all__ = ["TrainingWidget", "training_text"]


def training_text(run: Run, runs: tuple[Run, ...]) -> str:
    """The run's final training loss and test accuracy, and how many of the seeds train at its rate."""
    return (f"<p>final training loss <b>{run.final_loss:.4f}</b>, test accuracy <b>{run.test_acc[-1]:.4f}</b> "
            f"after {len(run.loss)} steps of batch {run.batch_size}; at this rate <b>{count(runs)} of {len(runs)}</b> "
            "seeds train</p>")


class TrainingWidget(NormlabWidget):
    """Learning rate (over the sweep's rates), with / without BatchNorm and the seed, drawn by
    whyplots.training_picture."""

    name = "training"

    def __init__(self, lr: float = 1.0, batch_norm: bool = False, seed: int = SEEDS[0]) -> None:
        super().__init__({
            "lr": W.SelectionSlider(options=list(LRS), value=lr, description="learning rate",
                                    continuous_update=False, style={"description_width": "initial"}),
            "norm": W.ToggleButtons(options=[("without BN", "none"), ("with BN", "batch")],
                                    value="batch" if batch_norm else "none", description="network"),
            "seed": W.SelectionSlider(options=list(SEEDS), value=seed, description="seed", continuous_update=False),
        })

    def compute(self) -> str:
        runs = sweep_runs(self.controls["norm"].value, self.controls["lr"].value)
        run = runs[SEEDS.index(self.controls["seed"].value)]
        return training_picture(run, status(run)).svg + training_text(run, runs)
