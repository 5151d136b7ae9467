"""The state widget: flip a BatchNorm's mode and flags, take one training step, see what changed."""

from __future__ import annotations

from html import escape

import ipywidgets as W

from normlab.lessons.state import StepReport, one_step
from normlab.widgets.base import NormlabWidget

__all__ = ["StateWidget", "report_html"]


def _cell(values: tuple[float, ...] | None) -> str:
    return "—" if values is None else ", ".join(f"{v:g}" for v in values)


def report_html(report: StepReport) -> str:
    """The flags, the statistics the forward used, the optimizer's work, and a before/after table."""
    pad = "style='padding:0.1em 0.7em'"
    rows = "".join(
        f"<tr><td {pad}><code>{escape(r.name)}</code></td><td {pad}>{_cell(r.before)}</td>"
        f"<td {pad}>{_cell(r.after)}</td><td {pad}>{'<b>changed</b>' if r.changed else ''}</td></tr>"
        for r in report.rows)
    return (f"<p><code>{escape(report.flags)}</code><br>forward normalized with {escape(report.statistics)}; "
            f"{escape(report.optimizer)}</p><table><tr><th {pad}>tensor</th><th {pad}>before the step</th>"
            f"<th {pad}>after one forward, backward, SGD step</th><th {pad}>changed?</th></tr>{rows}</table>")


class StateWidget(NormlabWidget):
    """Mode and flag toggles over normlab.lessons.state.one_step on a fresh BatchNorm1d(3)."""

    name = "state"

    def __init__(self, train: bool = True, requires_grad: bool = True, track_running_stats: bool = True,
                 affine: bool = True, seed: int = 0) -> None:
        self.seed = seed
        super().__init__({
            "mode": W.ToggleButtons(options=["train", "eval"], value="train" if train else "eval", description="mode"),
            "requires_grad": W.Checkbox(value=requires_grad, description="requires_grad", indent=False),
            "track_running_stats": W.Checkbox(value=track_running_stats, description="track_running_stats",
                                              indent=False),
            "affine": W.Checkbox(value=affine, description="affine", indent=False),
        })

    def compute(self) -> str:
        c = self.controls
        return report_html(one_step(c["mode"].value == "train", c["requires_grad"].value,
                                    c["track_running_stats"].value, c["affine"].value, seed=self.seed))
