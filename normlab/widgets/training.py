"""Training widget: pick a learning rate and with/without BatchNorm, see that run's curves and its final accuracy.

The runs come from `normlab.why.lr_sweep()`, computed once (the notebook's sweep cell already did, and it is
cached), so moving a control only redraws.
"""

from __future__ import annotations

import ipywidgets as W

from normlab.train import Run
from normlab.why import LRS, lr_sweep, status
from normlab.whyplots import training_picture
from normlab.widgets.base import NormlabWidget

__all__ = ["TrainingWidget", "training_text"]


def training_text(run: Run) -> str:
    """One line: the run's final training loss and test accuracy."""
    return (f"<p>final training loss <b>{run.final_loss:.4f}</b>, test accuracy <b>{run.test_acc[-1]:.4f}</b> "
            f"after {len(run.loss)} steps of batch {run.batch_size}</p>")


class TrainingWidget(NormlabWidget):
    """Learning rate (over the sweep's rates) and with / without BatchNorm, drawn by whyplots.training_picture."""

    name = "training"

    def __init__(self, lr: float = 1.0, batch_norm: bool = False) -> None:
        self.sweep = lr_sweep()
        super().__init__({
            "lr": W.SelectionSlider(options=list(LRS), value=lr, description="learning rate",
                                    continuous_update=False, style={"description_width": "initial"}),
            "norm": W.ToggleButtons(options=[("without BN", "none"), ("with BN", "batch")],
                                    value="batch" if batch_norm else "none", description="network"),
        })

    def compute(self) -> str:
        run = self.sweep[(self.controls["norm"].value, self.controls["lr"].value)]
        return training_picture(run, status(run)).svg + training_text(run)
