"""The pictures of notebook 07, drawn with normlab.pictures.svg from the numbers the experiments return.

Each function takes an experiment's result and returns a `Picture`; the training widget draws `training_picture`,
the same picture a notebook cell shows for one run.
"""

from __future__ import annotations

import math

from normlab.lessons.landscape import LayerStats
from normlab.lessons.train import Run
from normlab.lessons.why import status
from normlab.pictures import style
from normlab.pictures.svg import Panel, Picture, Series, chart, line, rect, svg, text

__all__ = ["digits_picture", "figure1_picture", "noise_picture", "blocks_picture", "init_picture", "sweep_picture",
           "epoch_means", "training_picture"]

NONE, BATCH = style.OKABE_ITO[5], style.OKABE_ITO[4]  # vermillion without BatchNorm, blue with it
NOISY = style.OKABE_ITO[2]  # green: BatchNorm followed by noise


def digits_picture(x, y, n: int = 12) -> Picture:
    """The first n images (rows of 64 pixels in [0, 1]) as 8 x 8 grey squares, each with its label."""
    cell, gap, parts = 6, 14, []
    for k in range(n):
        left = 10 + k * (8 * cell + gap)
        img = x[k].reshape(8, 8).clamp(0, 1)
        for r in range(8):
            for c in range(8):
                grey = round(255 * (1 - float(img[r, c])))
                parts.append(rect(left + c * cell, 24 + r * cell, cell, cell, f"#{grey:02x}{grey:02x}{grey:02x}"))
        parts.append(text(left + 4 * cell, 16, str(int(y[k])), 12))
    width = 20 + n * (8 * cell + gap) - gap
    return Picture(svg(width, 24 + 8 * cell + 8, "".join(parts)), f"{n} digits with their labels")


def figure1_picture(runs: dict[str, tuple[Run, ...]]) -> Picture:
    """Ioffe & Szegedy's Figure 1: (a) test accuracy vs steps for every seed, (b, c) the 15/50/85th percentiles of
    one input in the first seed's run."""
    acc = Panel("(a) test accuracy, every seed", tuple(
        Series(tuple(zip(r.checkpoints, r.test_acc, strict=True)), label if k == 0 else "", colour)
        for label, key, colour in (("without BN", "none", NONE), ("with BN", "batch", BATCH))
        for k, r in enumerate(runs[key])), "training steps", ylim=(0, 1))
    panels = [acc]
    for letter, key, colour in (("b", "none", NONE), ("c", "batch", BATCH)):
        r = runs[key][0]
        steps = r.checkpoints[: len(r.percentiles)]
        series = tuple(Series(tuple(zip(steps, [p[k] for p in r.percentiles], strict=True)), label, colour, kind)
                       for k, (label, kind) in enumerate((("15th", "dashed"), ("50th", "line"), ("85th", "dashed"))))
        panels.append(Panel(f"({letter}) a sigmoid's input, {'with' if key == 'batch' else 'without'} BN", series,
                            "training steps", ylim=(-7, 3)))
    title = "sigmoid MLP on the digits, batch 60: with BatchNorm it learns at once, and its input distribution stays"
    return Picture(chart(panels, title, panel_width=330), "Ioffe & Szegedy's Figure 1 on the digits")


def noise_picture(runs: dict[str, tuple[Run, ...]]) -> Picture:
    """Santurkar et al.'s test, small: (a) test accuracy of every seed, (b) the median input of one sigmoid (first
    seed), for the plain, BatchNorm and noisy-BatchNorm networks."""
    colours = {"none": NONE, "batch": BATCH, "noisy": NOISY}
    labels = {"none": "without BN", "batch": "with BN", "noisy": "noisy BN"}
    acc = Panel("(a) test accuracy, every seed", tuple(
        Series(tuple(zip(r.checkpoints, r.test_acc, strict=True)), labels[key] if k == 0 else "", colours[key])
        for key, seeds in runs.items() for k, r in enumerate(seeds)), "training steps", ylim=(0, 1))
    median = Panel("(b) median input of one sigmoid", tuple(
        Series(tuple((c, p[1]) for c, p in zip(seeds[0].checkpoints[:len(seeds[0].percentiles)],
                                               seeds[0].percentiles, strict=True)), labels[key], colours[key])
        for key, seeds in runs.items()), "training steps")
    title = "noisy BN: its sigmoid's input moves most, and it still learns like BN"
    return Picture(chart([acc, median], title, panel_width=360), "noisy BatchNorm on the digits")


def blocks_picture() -> Picture:
    """One hidden block of the digits MLP in the three arrangements the notebook trains."""
    rows = (("BN before the activation", ("Linear", "BatchNorm", "sigmoid / ReLU"), BATCH),
            ("BN after the activation", ("Linear", "sigmoid / ReLU", "BatchNorm"), BATCH),
            ("noisy BN", ("Linear", "BatchNorm", "noise: × s + m", "sigmoid / ReLU"), NOISY))
    parts, w, h = [], 118, 30
    for k, (name, boxes, colour) in enumerate(rows):
        y = 34 + 52 * k
        parts.append(text(10, y + 20, name, 12, "start"))
        for j, box in enumerate(boxes):
            x = 190 + j * (w + 24)
            fill = colour if box == "BatchNorm" else NOISY if box.startswith("noise") else "#eeeeee"
            parts += [rect(x, y, w, h, style.tint_hex(fill, 0.35) if fill != "#eeeeee" else fill, "#555"),
                      text(x + w / 2, y + 19, box, 11)]
            if j:
                parts.append(line(x - 22, y + h / 2, x - 2, y + h / 2, "#555", 1.5))
    parts.append(text(10, 18, "one hidden block, three ways (s, m: a random scale and shift per unit, new every "
                      "step)", 12, "start"))
    return Picture(svg(190 + 4 * (w + 24), 34 + 52 * 3, "".join(parts)), "the three blocks")


def init_picture(stats: dict[str, list[LayerStats]]) -> Picture:
    """Per-layer activation histograms for each configuration, then saturation and gradient scale per layer."""
    colours = style.palette(len(next(iter(stats.values()))))
    panels = [Panel(name, tuple(Series(s.histogram, f"layer {s.layer}" if s.layer in (1, len(layers)) else "",
                                       colours[s.layer - 1]) for s in layers), "tanh output", ylim=(0, 4))
              for name, layers in stats.items()]
    per_layer = [Series(tuple((s.layer, 100 * s.saturated) for s in layers), name, c)
                 for (name, layers), c in zip(stats.items(), style.palette(len(stats)), strict=True)]
    grads = [Series(tuple((s.layer, math.log10(s.grad_std)) for s in layers), name, c)
             for (name, layers), c in zip(stats.items(), style.palette(len(stats)), strict=True)]
    panels += [Panel("% saturated (|tanh| > 0.97)", tuple(per_layer), "layer", ylim=(0, 100)),
               Panel("log10 std of the gradient", tuple(grads), "layer")]
    title = "an 8-layer tanh MLP at initialization, one forward and backward of the 360 test images"
    return Picture(chart(panels, title, panel_width=260, panel_height=230), title)


def sweep_picture(sweep: dict[tuple[str, float], tuple[Run, ...]]) -> Picture:
    """How many of the seeds train at each learning rate, with and without BatchNorm, over log10(learning rate)."""
    series = []
    for norm, label, colour in (("none", "without BN", NONE), ("batch", "with BN", BATCH)):
        points = tuple((math.log10(lr), sum(status(r) == "trains" for r in runs))
                       for (n, lr), runs in sorted(sweep.items()) if n == norm)
        series += [Series(points, label, colour), Series(points, "", colour, "dots")]
    seeds = len(next(iter(sweep.values())))
    panel = Panel(f"seeds that train (of {seeds})", tuple(series), "log10 learning rate", ylim=(0, seeds))
    return Picture(chart([panel], "6 epochs of SGD on the digits, ReLU MLP: the range that trains",
                         panel_width=520), "learning-rate sweep")


def epoch_means(run: Run, steps_per_epoch: int = 23) -> list[float]:
    """The training loss averaged over each epoch (inf once it blew up)."""
    out = []
    for k in range(0, len(run.loss), steps_per_epoch):
        chunk = run.loss[k:k + steps_per_epoch]
        out.append(sum(chunk) / len(chunk) if all(math.isfinite(v) for v in chunk) else math.inf)
    return out


def training_picture(run: Run, status: str) -> Picture:
    """One run of the sweep: training loss per epoch and test accuracy at each epoch's start."""
    colour = BATCH if run.norm == "batch" else NONE
    losses = [(k + 1, min(v, 3.0)) for k, v in enumerate(epoch_means(run))]
    accs = [(k, a) for k, a in enumerate(run.test_acc)]
    name = "with BN" if run.norm == "batch" else "without BN"
    title = (f"{name}, learning rate {run.lr:g}: {status}; final test accuracy {run.test_acc[-1]:.3f}")
    return Picture(chart([Panel("training loss per epoch (3 = diverged)", (Series(tuple(losses), "", colour),),
                                "epoch", ylim=(0, 3)),
                          Panel("test accuracy", (Series(tuple(accs), "", colour),), "epoch", ylim=(0, 1))],
                         title, panel_width=320, panel_height=220), title)
