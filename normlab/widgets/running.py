"""Running-statistics widget: step through batches and watch BatchNorm's running mean and variance converge."""

from __future__ import annotations

from functools import lru_cache

import ipywidgets as W

from normlab import style
from normlab.running import RunningTrace, convert_momentum, simulate_running_stats
from normlab.svg import Panel, Picture, Series, chart
from normlab.widgets.base import NormlabWidget

__all__ = ["STEPS", "running_picture", "running_text", "RunningStatsWidget"]

STEPS = 60


def _title(trace: RunningTrace) -> str:
    """What each batch statistic reduces over, and the update rule with this momentum."""
    m = trace.momentum
    rule = ("cumulative average (momentum=None)" if m is None else
            f"running = {1 - m:.2f}·running + {m:.2f}·batch (torch momentum {m:.2f}; written "
            f"{convert_momentum(m, 'torch', 'd2l'):.2f} where momentum weighs the old value)")
    return f"each batch statistic reduces over the batch: N = {trace.batches.shape[1]} values\n{rule}"


def running_picture(trace: RunningTrace, step: int | None = None) -> Picture:
    """Running mean and variance over the first `step` batches, the batch values and the true population values."""
    steps = len(trace.batch_mean)
    step = steps if step is None else max(0, min(step, steps))
    colours, panels = style.palette(3), []
    for key, running, batch, true in (("mean", trace.running_mean, trace.batch_mean, trace.true_mean),
                                      ("var", trace.running_var, trace.batch_var, trace.true_var)):
        values = [*running.tolist(), *batch.tolist(), true]  # fixed axes: moving the step slider moves no axis
        pad = 0.05 * (max(values) - min(values))
        series = (Series(tuple(enumerate(running[: step + 1].tolist())), f"running_{key}", colours[0]),
                  Series(tuple(enumerate(batch[:step].tolist(), start=1)), f"batch {key}", colours[1], "dots"),
                  Series(((0, true), (steps, true)), f"true {key}", colours[2], "dashed"))
        panels.append(Panel(f"running_{key}", series, "batches seen", xlim=(0, steps),
                            ylim=(min(values) - pad, max(values) + pad)))
    title = _title(trace)
    return Picture(chart(panels, title), title.replace("\n", "; "))


def running_text(trace: RunningTrace, step: int) -> str:
    """The update at `step` written out with its numbers (rounded to 4 decimals)."""
    step = max(1, min(step, len(trace.batch_mean)))
    m = 1.0 / step if trace.momentum is None else trace.momentum
    old, new, got = (trace.running_mean[step - 1].item(), trace.batch_mean[step - 1].item(),
                     trace.running_mean[step].item())
    return (f"<p>batch {step}: running_mean = (1 - {m:.4f}) × {old:.4f} + {m:.4f} × {new:.4f} = <b>{got:.4f}</b>"
            f" (true mean {trace.true_mean:.4f}); running_var = <b>{trace.running_var[step].item():.4f}</b> "
            f"(true variance {trace.true_var:.4f}, batch variance unbiased)</p>")


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
