"""One style for every normlab picture: projector-sized text and the colour-blind-safe Okabe-Ito palette.

`palette(n)` gives n group colours and `SCALE` enlarges every size (SVG pictures, widget controls, matplotlib
figures); `use()` applies the same fonts and colours to matplotlib, whose figures (d2l's plots, histograms) a
notebook displays as PNG; `projector()` raises SCALE for presenting.
"""

from __future__ import annotations

import io

__all__ = ["OKABE_ITO", "SCALE", "use", "palette", "fontsize", "tint", "tint_hex", "figure_png", "projector",
           "projector_css"]

# Okabe & Ito (2008), black left out: it is reserved for the numbers drawn on top of the colours.
OKABE_ITO = ("#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7")
# Paul Tol's light scheme continues the palette when a figure has more groups than Okabe-Ito has colours.
_TOL_LIGHT = ("#77AADD", "#EE8866", "#EEDD88", "#FFAABB", "#99DDFF", "#44BB99", "#BBCC33", "#AAAA00")

SCALE: float = 1.0
_BASE = 12.0


def fontsize(points: float = _BASE) -> float:
    """A font size in points, multiplied by the current SCALE."""
    return points * SCALE


def palette(n: int) -> list[str]:
    """n hex colours: Okabe-Ito first, then Tol's light scheme, cycling if a figure needs more."""
    if n < 0:
        raise ValueError(f"palette(n) needs n >= 0 colours, got {n}.")
    colours = OKABE_ITO + _TOL_LIGHT
    return [colours[i % len(colours)] for i in range(n)]


def tint(colour: str, amount: float = 0.45) -> tuple[float, float, float]:
    """The hex colour mixed with `amount` of white (RGB in 0..1), so black numbers stay readable on top of it."""
    rgb = (int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
    return tuple(c + (1 - c) * amount for c in rgb)


def tint_hex(colour: str, amount: float = 0.45) -> str:
    """tint() as a hex colour."""
    return "#" + "".join(f"{round(255 * c):02x}" for c in tint(colour, amount))


def figure_png(fig: object, dpi: int = 100) -> bytes:
    """A matplotlib figure as PNG bytes (Agg, no pyplot state)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def _show_figures_in_ipython() -> None:
    """Let a notebook display a bare matplotlib Figure (normlab never uses pyplot) as a PNG."""
    try:
        from IPython import get_ipython
        from matplotlib.figure import Figure
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None:
        shell.display_formatter.formatters["image/png"].for_type(Figure, figure_png)


def use(scale: float | None = None) -> None:
    """Apply the normlab style to matplotlib's rcParams (optionally setting SCALE first); show figures inline."""
    global SCALE
    if scale is not None:
        if scale <= 0:
            raise ValueError(f"scale must be positive (1.0 = normal, 1.5 = projector), got {scale}.")
        SCALE = float(scale)
    import matplotlib as mpl

    mpl.rcParams.update({
        "font.size": fontsize(), "axes.titlesize": fontsize(13), "axes.labelsize": fontsize(),
        "xtick.labelsize": fontsize(10), "ytick.labelsize": fontsize(10), "legend.fontsize": fontsize(10),
        "figure.titlesize": fontsize(14), "axes.prop_cycle": mpl.cycler(color=list(OKABE_ITO)),
        "axes.spines.top": False, "axes.spines.right": False, "lines.linewidth": 2.0 * SCALE, "figure.dpi": 80,
        "savefig.dpi": 80, "figure.facecolor": "white", "image.cmap": "cividis",
    })
    _show_figures_in_ipython()


def projector_css(scale: float) -> str:
    """CSS that scales every normlab widget's controls and output text (ipywidgets sizes are CSS variables)."""
    sizes = {"font-size": 13, "inline-height": 28, "inline-label-width": 80, "inline-width": 300,
             "inline-width-short": 148, "slider-handle-size": 16, "slider-track-thickness": 4, "input-padding": 4}
    variables = "".join(f"--jp-widgets-{name}: {px * scale:.0f}px; " for name, px in sizes.items())
    return (f".jupyter-widgets[class*='normlab-'] {{ {variables}font-size: {13 * scale:.0f}px; }}\n"
            f".normlab-output-text {{ font-size: {13 * scale:.0f}px; line-height: 1.4; }}")


def projector(scale: float = 1.5) -> None:
    """For presenting: pictures, figure fonts and widget controls `scale` times larger from now on."""
    use(scale)
    try:
        from IPython import get_ipython
        from IPython.display import HTML, display
    except ImportError:
        return
    if get_ipython() is not None:
        # a <style> output applies to the whole page, so widgets shown before and after this call grow alike
        display(HTML(f"<style>{projector_css(SCALE)}</style>"))
        print(f"projector style: pictures, figures and widget controls x{SCALE:g} (style.use(1.0) resets "
              "them; clear this cell's output to reset the widget controls)")
