"""Running-statistics widget: step through batches and watch BatchNorm's running mean and variance converge."""

from __future__ import annotations

from functools import lru_cache
from html import escape

import ipywidgets as W
from matplotlib.figure import Figure

from normlab import style
from normlab.running import RunningTrace, convert_momentum, simulate_running_stats
from normlab.widgets.base import NormlabWidget

__all__ = ["plot_running", "running_svg", "running_text", "RunningStatsWidget"]

STEPS = 60


def _title(trace: RunningTrace) -> str:
    """What each batch statistic reduces over, and the update rule with this momentum."""
    m = trace.momentum
    rule = ("cumulative average (momentum=None)" if m is None else
            f"running = {1 - m:.2f}·running + {m:.2f}·batch (torch momentum {m:.2f} = d2l/Keras "
            f"{convert_momentum(m, 'torch', 'd2l'):.2f})")
    return f"each batch statistic reduces over the batch: N = {trace.batches.shape[1]} values\n{rule}"


def plot_running(trace: RunningTrace, step: int | None = None) -> Figure:
    """Running mean and variance over the first `step` batches against the true population values."""
    steps = len(trace.batch_mean)
    step = steps if step is None else max(0, min(step, steps))
    fig = Figure(figsize=(9, 3.8), layout="constrained")
    colours = style.palette(3)
    for k, (key, running, batch, true) in enumerate((("mean", trace.running_mean, trace.batch_mean, trace.true_mean),
                                                     ("var", trace.running_var, trace.batch_var, trace.true_var))):
        ax = fig.add_subplot(1, 2, k + 1)
        ax.plot(range(step + 1), running[: step + 1].tolist(), color=colours[0], label=f"running_{key}")
        ax.plot(range(1, step + 1), batch[:step].tolist(), "o", color=colours[1], markersize=3, alpha=0.6,
                label=f"batch {key}")
        ax.plot([0, steps], [true, true], "--", color=colours[2], label=f"true {key}")
        values = [*running.tolist(), *batch.tolist(), true]
        ax.set(xlim=(0, steps), ylim=(min(values) - 0.3, max(values) + 0.3), xlabel="batches seen",
               title=f"running_{key}")
        ax.legend(loc="upper right", fontsize=style.fontsize(9))
    fig.suptitle(_title(trace), fontsize=style.fontsize(11))
    return fig


def running_text(trace: RunningTrace, step: int) -> str:
    """The update at `step` written out with its numbers (rounded to 4 decimals)."""
    step = max(1, min(step, len(trace.batch_mean)))
    m = 1.0 / step if trace.momentum is None else trace.momentum
    old, new, got = (trace.running_mean[step - 1].item(), trace.batch_mean[step - 1].item(),
                     trace.running_mean[step].item())
    return (f"<p>batch {step}: running_mean = (1 - {m:.4f}) × {old:.4f} + {m:.4f} × {new:.4f} = <b>{got:.4f}</b>"
            f" (true mean {trace.true_mean:.4f}); running_var = <b>{trace.running_var[step].item():.4f}</b> "
            f"(true variance {trace.true_var:.4f}, batch variance unbiased)</p>")


def _panel_svg(left: float, label: str, running: list[float], batch: list[float], true: float, steps: int,
               step: int) -> str:
    """One 330 x 220 px panel: running line, batch dots and the dashed true value, on fixed axes."""
    colours = style.palette(3)
    lo, hi = min(*running, *batch, true), max(*running, *batch, true)
    lo, hi = lo - 0.05 * (hi - lo + 1e-9), hi + 0.05 * (hi - lo + 1e-9)
    x0, y0, w, h = left + 45, 30, 270, 160

    def px(k: float, v: float) -> str:
        return f"{x0 + w * k / steps:.1f},{y0 + h * (hi - v) / (hi - lo):.1f}"

    line = " ".join(px(k, v) for k, v in enumerate(running[: step + 1]))
    dots = "".join(f"<circle cx='{px(k, v).split(',')[0]}' cy='{px(k, v).split(',')[1]}' r='2.5' "
                   f"fill='{colours[1]}' opacity='0.7'/>" for k, v in enumerate(batch[:step], start=1))
    ticks = "".join(f"<text x='{x0 - 4}' y='{y0 + h * (hi - v) / (hi - lo) + 4:.1f}' text-anchor='end'>{v:.2f}</text>"
                    for v in (lo, (lo + hi) / 2, hi))
    ty = px(0, true).split(",")[1]
    return (f"<text x='{x0 + w / 2}' y='18' text-anchor='middle' font-size='14'>{label}</text>"
            f"<rect x='{x0}' y='{y0}' width='{w}' height='{h}' fill='none' stroke='#999'/>{ticks}"
            f"<text x='{x0}' y='{y0 + h + 16}' text-anchor='middle'>0</text>"
            f"<text x='{x0 + w}' y='{y0 + h + 16}' text-anchor='middle'>{steps}</text>"
            f"<text x='{x0 + w / 2}' y='{y0 + h + 28}' text-anchor='middle'>batches seen</text>"
            f"<line x1='{x0}' x2='{x0 + w}' y1='{ty}' y2='{ty}' stroke='{colours[2]}' stroke-dasharray='6 4' "
            f"stroke-width='2'/>{dots}<polyline points='{line}' fill='none' stroke='{colours[0]}' "
            f"stroke-width='2.5'/>")


def running_svg(trace: RunningTrace, step: int) -> str:
    """The widget's drawing of plot_running as inline SVG: redraws in milliseconds, no PNG rendering."""
    steps = len(trace.batch_mean)
    step = max(0, min(step, steps))
    panels = "".join(_panel_svg(k * 360, f"running_{key} vs true {key} (dashed); dots: batch {key}",
                                running.tolist(), batch.tolist(), true, steps, step)
                     for k, (key, running, batch, true) in enumerate(
                         (("mean", trace.running_mean, trace.batch_mean, trace.true_mean),
                          ("var", trace.running_var, trace.batch_var, trace.true_var))))
    title = "".join(f"<div>{escape(line)}</div>" for line in _title(trace).splitlines())
    return (f"<div style='text-align:center;font-size:1.05em'>{title}</div><svg width='720' height='230' "
            f"viewBox='0 0 720 230' font-family='sans-serif' font-size='11'>{panels}</svg>")


@lru_cache(maxsize=64)
def _trace(momentum: float, batch_size: int, seed: int) -> RunningTrace:
    """One simulation per (momentum, batch size, seed): moving the step slider only redraws."""
    return simulate_running_stats(STEPS, momentum, batch_size, seed=seed)


class RunningStatsWidget(NormlabWidget):
    """Momentum, batch size and step sliders over simulate_running_stats, drawn by running_svg."""

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

    def compute(self) -> tuple[str, None]:
        # Inline SVG rather than a PNG: Agg needs ~100 ms or more per redraw, SVG text a few ms.
        c = self.controls
        self.trace = _trace(round(c["momentum"].value, 4), c["batch_size"].value, self.seed)
        return running_svg(self.trace, c["step"].value) + running_text(self.trace, c["step"].value), None
