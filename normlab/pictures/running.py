"""Running statistics drawn: BatchNorm's running mean and variance following the batches (normlab.lessons.running).

`running_picture(trace, step)` is the chart notebook 05 and its widget show; `running_text` writes one step's update
out with its numbers.
"""

from __future__ import annotations

from normlab.lessons.running import RunningTrace, convert_momentum
from normlab.pictures import style
from normlab.pictures.svg import Panel, Picture, Series, chart

__all__ = ["running_picture", "running_text"]


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
