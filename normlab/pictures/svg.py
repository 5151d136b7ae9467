"""SVG: how every normlab picture is drawn, in a notebook cell and inside a widget alike.

A picture is a string of SVG, built from the few shapes below; `Picture` shows it in a notebook (and names it in
a terminal), a widget puts the same string into its HTML. Sizes are pixels at normlab.pictures.style.SCALE 1 and are
multiplied by the scale when the picture is made, so the projector style enlarges pictures too. Text is
escaped here, once.
"""

from __future__ import annotations

import base64
import math
from dataclasses import dataclass
from html import escape
from pathlib import Path

from normlab.pictures import style

__all__ = ["Picture", "svg", "text", "rect", "line", "polyline", "circle", "text_width", "ticks", "Series", "Panel",
           "chart"]

FONT = "DejaVu Sans, Verdana, sans-serif"


class Picture:
    """An SVG picture: displays itself in Jupyter, says what it shows in a terminal, saves as a .svg file."""

    def __init__(self, body: str, title: str) -> None:
        # the title is also the picture's text alternative: screen readers read an SVG's <title> (see svg())
        self.svg, self.title = body.replace("<title></title>", f"<title>{escape(title)}</title>", 1), title

    def _repr_svg_(self) -> str:
        return self.svg

    def _repr_html_(self) -> str:
        # An <img> of the SVG: JupyterLab shows it in a notebook that is not trusted (a fresh clone), where it
        # leaves image/svg+xml outputs and inline <svg> out.
        data = base64.b64encode(self.svg.encode("utf-8")).decode("ascii")
        return f"<img src='data:image/svg+xml;base64,{data}' alt='{escape(self.title)}'>"

    def save(self, path: str | Path) -> Path:
        """Write the picture as a standalone .svg file."""
        path = Path(path)
        path.write_text(self.svg, encoding="utf-8")
        return path

    def __repr__(self) -> str:
        return f"<Picture: {self.title}>"


def text_width(s: str, size: float) -> float:
    """Rough width in px of one line of text: about 0.6 em per character in a sans-serif font."""
    return 0.6 * size * len(s)


def svg(width: float, height: float, body: str, title: str = "", desc: str = "") -> str:
    """The root element: width x height px at SCALE 1, drawn SCALE times larger, narrowed to fit its container.

    role='img' with a <title> (and a <desc>) is the picture's text alternative; Picture fills in an empty title.
    """
    s = style.SCALE
    alt = f"<title>{escape(title)}</title>" + (f"<desc>{escape(desc)}</desc>" if desc else "")
    return (f"<svg xmlns='http://www.w3.org/2000/svg' width='{width * s:.0f}' height='{height * s:.0f}' "
            f"viewBox='0 0 {width:.0f} {height:.0f}' role='img' style='max-width: 100%; height: auto' "
            f"font-family='{FONT}' font-size='12'>{alt}<rect width='100%' height='100%' fill='white'/>{body}</svg>")


def _class(cls: str) -> str:
    return f" class='{cls}'" if cls else ""


def text(x: float, y: float, s: str, size: float = 12, anchor: str = "middle", colour: str = "#222",
         bold: bool = False, cls: str = "") -> str:
    """One line of text whose baseline sits at y; anchor is start, middle or end."""
    weight = " font-weight='bold'" if bold else ""
    return (f"<text x='{x:.1f}' y='{y:.1f}' font-size='{size:g}' text-anchor='{anchor}' fill='{colour}'{weight}"
            f"{_class(cls)}>{escape(s)}</text>")


def rect(x: float, y: float, w: float, h: float, fill: str, stroke: str = "none", width: float = 1,
         cls: str = "") -> str:
    """A filled rectangle."""
    return (f"<rect x='{x:.1f}' y='{y:.1f}' width='{w:.1f}' height='{h:.1f}' fill='{fill}' stroke='{stroke}' "
            f"stroke-width='{width:g}'{_class(cls)}/>")


def line(x1: float, y1: float, x2: float, y2: float, colour: str = "#999", width: float = 1,
         dash: str = "") -> str:
    """A straight line (dash like '6 4' for a dashed one)."""
    dashed = f" stroke-dasharray='{dash}'" if dash else ""
    return (f"<line x1='{x1:.1f}' y1='{y1:.1f}' x2='{x2:.1f}' y2='{y2:.1f}' stroke='{colour}' "
            f"stroke-width='{width:g}'{dashed}/>")


def polyline(points: list[tuple[float, float]], colour: str, width: float = 2.5, dash: str = "") -> str:
    """A line through the points."""
    dashed = f" stroke-dasharray='{dash}'" if dash else ""
    pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    return f"<polyline points='{pts}' fill='none' stroke='{colour}' stroke-width='{width:g}'{dashed}/>"


def circle(x: float, y: float, r: float, colour: str, opacity: float = 1.0) -> str:
    """A filled dot."""
    return f"<circle cx='{x:.1f}' cy='{y:.1f}' r='{r:g}' fill='{colour}' opacity='{opacity:g}'/>"


@dataclass(frozen=True)
class Series:
    """One curve of a panel: (x, y) points drawn as a line, dashed line or dots, with a legend label."""

    points: tuple[tuple[float, float], ...]
    label: str
    colour: str
    kind: str = "line"  # "line", "dashed" or "dots"


@dataclass(frozen=True)
class Panel:
    """One set of axes: a title, its curves, axis labels and (optionally) fixed limits."""

    title: str
    series: tuple[Series, ...]
    xlabel: str = ""
    ylabel: str = ""
    xlim: tuple[float, float] | None = None
    ylim: tuple[float, float] | None = None


def ticks(lo: float, hi: float, most: int = 6) -> list[float]:
    """Round tick values inside [lo, hi]: steps of 1, 2 or 5 times a power of ten, at most `most` of them."""
    if hi <= lo:
        return [lo]
    step = 10 ** math.floor(math.log10((hi - lo) / most))
    step = next(m * step for m in (1, 2, 5, 10) if (hi - lo) / (m * step) <= most)
    first = math.ceil(lo / step)
    return [round(k * step, 10) for k in range(first, math.floor(hi / step) + 1)]


def _limits(values: list[float], fixed: tuple[float, float] | None) -> tuple[float, float]:
    """Fixed limits, or the data's range padded by 5%."""
    if fixed is not None:
        return fixed
    lo, hi = min(values), max(values)
    pad = 0.05 * (hi - lo) if hi > lo else 0.5
    return lo - pad, hi + pad


def _panel(p: Panel, left: float, top: float, w: float, h: float) -> str:
    """Axes, ticks, curves and legend of one panel inside the box (left, top, w, h)."""
    xs = [x for s in p.series for x, _ in s.points] or [0.0, 1.0]
    ys = [y for s in p.series for _, y in s.points] or [0.0, 1.0]
    (x0, x1), (y0, y1) = _limits(xs, p.xlim), _limits(ys, p.ylim)
    ox, oy, pw, ph = left + 52, top + 26, w - 64, h - 70

    def px(x: float, y: float) -> tuple[float, float]:
        y = min(max(y, y0), y1)  # a diverging curve stays inside its axes
        return ox + pw * (x - x0) / (x1 - x0 or 1), oy + ph * (y1 - y) / (y1 - y0 or 1)

    out = [text(ox + pw / 2, top + 16, p.title, 13), rect(ox, oy, pw, ph, "none", "#999")]
    for v in ticks(y0, y1):
        out.append(text(ox - 5, px(x0, v)[1] + 4, f"{v:g}", 10, "end", "#555"))
        out.append(line(ox - 3, px(x0, v)[1], ox, px(x0, v)[1], "#999"))
    for v in ticks(x0, x1):
        out.append(text(px(v, y0)[0], oy + ph + 14, f"{v:g}", 10, "middle", "#555"))
        out.append(line(px(v, y0)[0], oy + ph, px(v, y0)[0], oy + ph + 3, "#999"))
    out.append(text(ox + pw / 2, oy + ph + 30, p.xlabel, 11, "middle", "#333"))
    if p.ylabel:
        out.append(f"<g transform='rotate(-90 {left + 12:.1f} {oy + ph / 2:.1f})'>"
                   f"{text(left + 12, oy + ph / 2, p.ylabel, 11, 'middle', '#333')}</g>")
    for s in p.series:
        pts = [px(x, y) for x, y in s.points]
        if s.kind == "dots":
            out += [circle(x, y, 2.5, s.colour, 0.7) for x, y in pts]
        elif pts:
            out.append(polyline(pts, s.colour, 2.5 if s.kind == "line" else 2, "6 4" if s.kind == "dashed" else ""))
    for k, s in enumerate(x for x in p.series if x.label):
        ly = oy + 12 + 15 * k
        if s.kind == "dots":
            out.append(circle(ox + pw - 119, ly - 4, 3, s.colour))
        else:
            out.append(line(ox + pw - 128, ly - 4, ox + pw - 110, ly - 4, s.colour, 3, "4 3" * (s.kind == "dashed")))
        out.append(text(ox + pw - 105, ly, s.label, 10, "start", "#333"))
    return "".join(out)


def chart(panels: list[Panel], title: str = "", panel_width: float = 340, panel_height: float = 240) -> str:
    """Panels side by side under a (possibly multi-line) title, as one SVG string."""
    lines = [ln for ln in title.splitlines() if ln]
    head = 8 + 17 * len(lines)
    width = max(panel_width * len(panels), max((text_width(ln, 13) + 20 for ln in lines), default=0))
    body = [text(width / 2, 20 + 17 * i, ln, 13) for i, ln in enumerate(lines)]
    body += [_panel(p, k * panel_width, head, panel_width, panel_height) for k, p in enumerate(panels)]
    return svg(width, head + panel_height, "".join(body))
