"""Box-and-arrow diagrams in normlab's picture style: BatchNorm's forward graph and the Post-LN and Pre-LN blocks.

`forward_graph_picture()` draws the forward of BatchNorm on (N, D) node by node (x -> mean -> centered -> var ->
rstd -> x_hat -> y, with gamma and beta), one colour per kind of shape, so the nodes whose gradient sums over the
batch stand out (notebook 08). `blocks_picture()` draws a Post-LN and a Pre-LN transformer block side by side, the
LayerNorms in one colour and the residual stream in grey (notebook 09).
"""

from __future__ import annotations

from normlab.pictures import style
from normlab.pictures.svg import Picture, line, polyline, rect, svg, text, text_width

__all__ = ["forward_graph_picture", "blocks_picture"]

ARROW = ("<defs><marker id='nl-arrow' viewBox='0 0 10 10' refX='9' refY='5' markerWidth='7' markerHeight='7' "
         "orient='auto'><path d='M0,0 L10,5 L0,10 z' fill='#555'/></marker></defs>")
GREY = "#555"


def _arrow(x1: float, y1: float, x2: float, y2: float, colour: str = GREY) -> str:
    """A straight arrow from (x1, y1) to (x2, y2)."""
    return line(x1, y1, x2, y2, colour, 1.6).replace("/>", " marker-end='url(#nl-arrow)'/>")


def _box(cx: float, cy: float, w: float, h: float, label: str, fill: str, sub: str = "") -> str:
    """A rounded box centred at (cx, cy): a label and, below it, a smaller line (a formula or a shape)."""
    body = rect(cx - w / 2, cy - h / 2, w, h, style.tint_hex(fill, 0.55), fill, 1.5).replace(
        "/>", " rx='6'/>")
    if not sub:
        return body + text(cx, cy + 4.5, label, 13)
    return body + text(cx, cy - 3, label, 13, bold=True) + text(cx, cy + 13, sub, 11, colour="#333")


def _edge(a: tuple[float, float], b: tuple[float, float], w: float, h: float) -> str:
    """An arrow from box a to box b, leaving and entering at the box borders."""
    (ax, ay), (bx, by) = a, b
    dx, dy = bx - ax, by - ay
    scale = min(w / 2 / abs(dx) if dx else 1e9, h / 2 / abs(dy) if dy else 1e9)  # from a centre to its border
    return _arrow(ax + dx * scale, ay + dy * scale, bx - dx * scale, by - dy * scale)


def forward_graph_picture() -> Picture:
    """BatchNorm on (N, D) as a computation graph: one box per node, coloured by its shape."""
    full, stat, param = style.palette(3)
    w, h, step = 118, 46, 140
    col = {name: 70 + k * step for k, name in enumerate(("x", "mean", "centered", "var", "rstd", "x_hat", "y"))}
    top, mid, low = 100, 190, 280
    nodes = {
        "x": (col["x"], mid, "x", "(N, D)", full),
        "mean": (col["mean"], top, "mean μ", "mean over N of x", stat),
        "centered": (col["centered"], mid, "centered c", "x − μ", full),
        "var": (col["var"], top, "var v", "mean over N of c²", stat),
        "rstd": (col["rstd"], top, "rstd r", "1 / √(v + ε)", stat),
        "x_hat": (col["x_hat"], mid, "x̂", "c · r", full),
        "gamma": (col["x_hat"] + step / 2, low, "γ", "(D,)", param),
        "beta": (col["y"] + step / 2 - 10, low, "β", "(D,)", param),
        "y": (col["y"] + 20, mid, "y", "γ x̂ + β", full),
    }
    edges = [("x", "mean"), ("x", "centered"), ("mean", "centered"), ("centered", "var"), ("var", "rstd"),
             ("centered", "x_hat"), ("rstd", "x_hat"), ("x_hat", "y"), ("gamma", "y"), ("beta", "y")]
    width = col["y"] + 20 + w / 2 + 40
    title = "BatchNorm's forward on (N, D), node by node: μ and v reduce over the batch N, one value per feature"
    body = [ARROW, text(width / 2, 24, title, 13)]
    body += [_edge(nodes[a][:2], nodes[b][:2], w, h) for a, b in edges]
    body += [_box(cx, cy, w, h, label, fill, sub) for cx, cy, label, sub, fill in nodes.values()]
    legend = ((full, "shape (N, D): one value per sample and feature"),
              (stat, "shape (1, D): one value per feature, shared by the whole batch"),
              (param, "shape (D,): a parameter, one per feature"))
    for k, (colour, words) in enumerate(legend):
        y = 340 + 20 * k
        body += [rect(30, y - 11, 22, 14, style.tint_hex(colour, 0.55), colour, 1.5), text(60, y, words, 12, "start")]
    return Picture(svg(width, 400, "".join(body)), title)


def _block(cx: float, top: float, steps: list[str], colours: dict[str, str],
           adds: tuple[int, ...]) -> tuple[str, float]:
    """One block drawn downwards: a box per step, a '+' where a residual joins; the drawing and where it ends."""
    w, h, gap = 170, 32, 22
    body, y = [], top
    body.append(text(cx, y, "x (B, T, E)", 12, colour="#333"))
    y += 12
    branch = (cx, y + 6) if -1 in adds else None  # the first residual leaves from the block's input
    if branch:
        body.append(f"<circle cx='{cx:.1f}' cy='{y + 6:.1f}' r='3' fill='#999'/>")
    for k, step in enumerate(steps):
        if step == "+":
            cy = y + gap + 11
            body += [_arrow(cx, y, cx, cy - 11), f"<circle cx='{cx:.1f}' cy='{cy:.1f}' r='11' fill='white' "
                     f"stroke='{GREY}' stroke-width='1.6'/>", text(cx, cy + 5, "+", 16, bold=True)]
            bx, by = branch
            body.append(polyline([(bx, by), (cx + w / 2 + 24, by), (cx + w / 2 + 24, cy), (cx + 13, cy)], "#999", 2))
            body.append(_arrow(cx + 24, cy, cx + 12, cy, "#999"))
            y = cy + 11
        else:
            cy = y + gap + h / 2
            body += [_arrow(cx, y, cx, cy - h / 2), _box(cx, cy, w, h, step, colours[step.split(" (")[0]])]
            y = cy + h / 2
        if k in adds:  # the residual branches off here, before the next step
            branch = (cx, y + 6)
            body.append(f"<circle cx='{cx:.1f}' cy='{y + 6:.1f}' r='3' fill='#999'/>")
    return "".join(body), y


def blocks_picture() -> Picture:
    """A Post-LN block (LayerNorm after each residual sum) next to a Pre-LN block (LayerNorm before each sublayer)."""
    norm, sub, head = style.palette(3)
    colours = {"LayerNorm": norm, "attention": sub, "feed-forward": sub, "final LayerNorm": norm, "head": head}
    post = ["attention", "+", "LayerNorm", "feed-forward", "+", "LayerNorm"]
    pre = ["LayerNorm", "attention", "+", "LayerNorm", "feed-forward", "+"]
    title = "Post-LN and Pre-LN blocks: every LayerNorm reduces over the E features of one token"
    width = 2 * 320
    body, bottom = [ARROW, text(width / 2, 22, title, 13)], 0.0
    for cx, name, steps, adds in ((160, "Post-LN (the original transformer)", post, (-1, 2)),
                                  (480, "Pre-LN (most current models)", pre, (-1, 2))):
        body.append(text(cx, 50, name, 13, bold=True))
        drawing, end = _block(cx - 20, 72, steps, colours, adds)
        body.append(drawing)
        body.append(_arrow(cx - 20, end, cx - 20, end + 22))
        body.append(text(cx - 20, end + 36, "to the next block", 12, colour="#333"))
        bottom = max(bottom, end + 36)
    legend = ((norm, "LayerNorm(E): per token, over its E features"), ("#999999", "residual stream: x + sublayer(...)"))
    y = bottom + 40
    for k, (colour, words) in enumerate(legend):
        body += [rect(30 + 320 * k, y - 11, 22, 14, style.tint_hex(colour, 0.55), colour, 1.5),
                 text(60 + 320 * k, y, words, 12, "start")]
    note = "Pre-LN stacks add one final LayerNorm after the last block, before the head"
    body.append(text(width / 2, y + 26, note, 12, colour="#333"))
    width = max(width, text_width(title, 13) + 20)
    return Picture(svg(width, y + 40, "".join(body)), title)
