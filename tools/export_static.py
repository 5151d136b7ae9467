"""Offline static copies of the notebooks, from their stored outputs (nothing is executed, notebooks/ is only read).

Usage: python tools/export_static.py {html,slides} NOTEBOOKS BUILD ASSETS
  html   -> BUILD/html/NN_name.html and BUILD/html/index.html (links to the pages and, if built, the slides)
  slides -> BUILD/slides/NN_name.slides.html (reveal.js; a cell's slideshow.slide_type starts slides)
Every script and font the pages load (reveal.js, require.js, jQuery, MathJax, the ipywidgets HTML manager that draws
each widget's saved state, figure included; DejaVu Sans and Sans Mono) is copied from ASSETS (make web-assets) into
BUILD/vendor and linked relatively, so the pages open from disk or a USB stick with no network and look the same on
every machine.
"""

from __future__ import annotations

import json
import shutil
import sys
from html import escape
from pathlib import Path

from nbconvert import HTMLExporter, SlidesExporter

__all__ = ["SLIDE_WIDTH", "SLIDE_HEIGHT", "FONTS_CSS", "export", "write_index"]

VENDOR = "../vendor"
# Slides are laid out on a 1280 x 800 frame (a common projector resolution); reveal.js scales the frame to the screen.
SLIDE_WIDTH, SLIDE_HEIGHT = 1280, 800
# What makes a cell fit that frame: code and printed output wrap at the frame's edge instead of running off it
# (the notebooks' lines are at most 120 characters), and pictures are scaled to the frame, keeping their proportions.
SLIDE_CSS = f"""<style>
.reveal .jp-InputArea-editor pre, .reveal .jp-OutputArea-output pre {{
  white-space: pre-wrap; overflow-wrap: break-word; }}
.reveal .jp-OutputArea-output img, .reveal .jp-OutputArea-output svg {{
  max-width: 100%; max-height: {SLIDE_HEIGHT - 260}px; width: auto; height: auto; }}
.reveal .jp-OutputArea-output img[src^="data:image/svg"] {{ height: {SLIDE_HEIGHT - 360}px; object-fit: contain; }}
.reveal .jp-Cell {{ max-width: {SLIDE_WIDTH - 40}px; }}
.reveal .slides {{ text-align: left; }}
</style>
"""
# Every page uses the project's own fonts (DejaVu Sans and Sans Mono from a pinned npm package, copied into
# build/vendor), never the machine's: a slide's height depends on its fonts, and so does whether it fits the frame.
# The pictures' inline SVG names 'DejaVu Sans' too, so it draws with the same font.
_FACES = [("DejaVu Sans", "DejaVuSans", ""), ("DejaVu Sans", "DejaVuSans-Bold", "font-weight: bold;"),
          ("DejaVu Sans", "DejaVuSans-Oblique", "font-style: italic;"),
          ("DejaVu Sans", "DejaVuSans-BoldOblique", "font-weight: bold; font-style: italic;"),
          ("DejaVu Sans Mono", "DejaVuSansMono", ""), ("DejaVu Sans Mono", "DejaVuSansMono-Bold", "font-weight: bold;"),
          ("DejaVu Sans Mono", "DejaVuSansMono-Oblique", "font-style: italic;")]
FONTS_CSS = "<style>\n" + "".join(
    f"@font-face {{ font-family: '{family}'; src: url('{VENDOR}/dejavu-fonts-ttf/ttf/{file}.ttf'); {extra} }}\n"
    for family, file, extra in _FACES) + """:root {
  --jp-ui-font-family: 'DejaVu Sans', sans-serif; --jp-content-font-family: 'DejaVu Sans', sans-serif;
  --jp-code-font-family: 'DejaVu Sans Mono', monospace; }
body, .reveal, .reveal h1, .reveal h2, .reveal h3, .reveal h4 { font-family: 'DejaVu Sans', sans-serif; }
.reveal pre, .reveal code, pre, code { font-family: 'DejaVu Sans Mono', monospace; }
</style>
"""
# The reveal template imports mermaid unconditionally; the notebooks draw no mermaid diagrams, so a stub will do.
# A data: URL, because browsers refuse module imports from file:// pages.
MERMAID_STUB = "data:text/javascript,export%20default%20%7Binitialize()%7B%7D%2Crun()%7B%7D%7D%3B"


def _copy_assets(assets: Path, build: Path) -> None:
    if not (assets / "reveal.js" / "dist" / "reveal.js").exists():
        sys.exit(f"no offline web assets in {assets}: run `make web-assets` once (fetches them from npm)")
    shutil.copytree(assets, build / "vendor", dirs_exist_ok=True, ignore=shutil.ignore_patterns(".stamp"))


def _exporter(kind: str) -> HTMLExporter:
    # "white" uses its bundled font (other themes @import Google Fonts); long slides scroll instead of clipping
    if kind == "slides":
        exporter = SlidesExporter(reveal_theme="white", reveal_scroll=False, reveal_width=str(SLIDE_WIDTH),
                                  reveal_height=str(SLIDE_HEIGHT))
    else:
        exporter = HTMLExporter(template_name="lab")
    exporter.require_js_url = f"{VENDOR}/requirejs/require.js"
    exporter.jquery_url = f"{VENDOR}/jquery/dist/jquery.min.js"
    exporter.mathjax_url = f"{VENDOR}/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe"
    exporter.widget_renderer_url = f"{VENDOR}/@jupyter-widgets/html-manager/dist/embed-amd.js"
    exporter.mermaid_js_url = MERMAID_STUB
    if kind == "slides":
        exporter.reveal_url_prefix = f"{VENDOR}/reveal.js"
    return exporter


def export(kind: str, notebooks: Path, build: Path, assets: Path) -> list[Path]:
    """Write one page (or slide deck) per notebook into build/<kind>/ and return their paths."""
    _copy_assets(assets, build)
    out_dir, exporter = build / kind, _exporter(kind)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for nb in sorted(notebooks.glob("*.ipynb")):
        body, _ = exporter.from_filename(str(nb))
        body = body.replace("</head>", FONTS_CSS + (SLIDE_CSS if kind == "slides" else "") + "</head>", 1)
        target = out_dir / (nb.stem + (".slides.html" if kind == "slides" else ".html"))
        target.write_text(body, encoding="utf-8")
        written.append(target)
        print(f"{kind}: {nb} -> {target}")
    return written


def _title(nb: Path) -> str:
    for cell in json.loads(nb.read_text(encoding="utf-8"))["cells"]:
        if cell["cell_type"] == "markdown":
            first = "".join(cell["source"]).strip().splitlines()[0]
            return first.lstrip("# ").strip()
    return nb.stem


def write_index(notebooks: Path, build: Path) -> Path:
    """build/html/index.html: every notebook's title, its page and its slides."""
    rows = []
    for nb in sorted(notebooks.glob("*.ipynb")):
        slides = f" · <a href='../slides/{nb.stem}.slides.html'>slides</a>"
        rows.append(f"<li><a href='{nb.stem}.html'>{escape(_title(nb))}</a> <small>({nb.name}{slides})</small></li>")
    page = ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>normlab notebooks</title>"
            "<style>body{font:18px/1.5 sans-serif;max-width:50em;margin:2em auto}small{color:#555}</style></head>"
            "<body><h1>normlab notebooks</h1><p>Static copies with their outputs (widgets show their saved state; "
            "run <code>make lab</code> to move them). Slides need <code>make slides</code>.</p>"
            f"<ol>{''.join(rows)}</ol></body></html>\n")
    target = build / "html" / "index.html"
    target.write_text(page, encoding="utf-8")
    return target


if __name__ == "__main__":
    if len(sys.argv) != 5 or sys.argv[1] not in ("html", "slides"):
        sys.exit(__doc__)
    kind, notebooks, build, assets = sys.argv[1], *map(Path, sys.argv[2:])
    export(kind, notebooks, build, assets)
    if kind == "html":
        print(f"html: index -> {write_index(notebooks, build)}")
