"""Pre-LN and Post-LN encoder stacks drawn: gradient norms and hidden-state scales per layer (lessons.transformer)."""

from __future__ import annotations

from normlab.lessons.transformer import WIDTH
from normlab.pictures import style
from normlab.pictures.svg import Panel, Picture, Series, chart

__all__ = ["depth_picture"]


def depth_picture(gradients: dict[str, list[float]], scales: dict[str, list[float]]) -> Picture:
    """Per layer: the feed-forward weight's gradient norm (left) and the hidden states' std (right), per stack."""
    names = list(dict.fromkeys([*gradients, *scales]))  # one colour per stack, the same in both panels
    colours = dict(zip(names, style.palette(len(names)), strict=True))

    def panel(title: str, values: dict[str, list[float]]) -> Panel:
        series = tuple(Series(tuple(enumerate(v, start=1)), name, colours[name]) for name, v in values.items())
        top = max(max(v) for v in values.values())
        return Panel(title, series, "layer (1 = next to the input)", xlim=(1, len(next(iter(values.values())))),
                     ylim=(0, 1.1 * top))

    title = (f"{len(next(iter(gradients.values())))}-layer encoders at initialization, E = {WIDTH}: each LayerNorm "
             "reduces over the E features of one token")
    return Picture(chart([panel("gradient norm of linear2.weight", gradients),
                          panel("std of the hidden states after the layer", scales)], title, panel_width=400),
                   title)
