"""Offline reveal.js slides of the notebooks, from their stored outputs (nothing is executed, notebooks/ is only read).

Usage: python tools/export_static.py slides NOTEBOOKS BUILD ASSETS
  -> BUILD/slides/NN_name.slides.html (a cell's slideshow.slide_type starts slides)
The course website is tools/site.py (Sphinx + myst-nb); live slides with working widgets are tools/present.py.
Every script and font the slides load (reveal.js, require.js, jQuery, MathJax, the ipywidgets HTML manager that draws
each widget's saved state, figure included; DejaVu Sans and Sans Mono) is copied from ASSETS (make web-assets) into
BUILD/vendor and linked relatively, so the pages open from disk or a USB stick with no network and look the same on
every machine.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from nbconvert import SlidesExporter

__all__ = ["SLIDE_WIDTH", "SLIDE_HEIGHT", "SLIDE_RULES", "SLIDE_CSS", "FONTS_CSS", "fonts_css", "export"]

VENDOR = "../vendor"
# Slides are laid out on a 1280 x 800 frame (a common projector resolution); reveal.js scales the frame to the screen.
SLIDE_WIDTH, SLIDE_HEIGHT = 1280, 800
# What makes a cell fit that frame: code and printed output wrap at the frame's edge instead of running off it
# (the notebooks' lines are at most 120 characters), and pictures are scaled to the frame, keeping their proportions.
SLIDE_RULES = f"""
.reveal .jp-InputArea-editor pre, .reveal .jp-OutputArea-output pre {{
  white-space: pre-wrap; overflow-wrap: break-word; }}
.reveal .jp-OutputArea-output img, .reveal .jp-OutputArea-output svg {{
  max-width: 100%; max-height: {SLIDE_HEIGHT - 260}px; width: auto; height: auto; }}
.reveal .jp-OutputArea-output img[src^="data:image/svg"] {{ height: {SLIDE_HEIGHT - 360}px; object-fit: contain; }}
.reveal .jp-Cell {{ max-width: {SLIDE_WIDTH - 40}px; }}
.reveal .slides {{ text-align: left; }}
"""
SLIDE_CSS = f"<style>{SLIDE_RULES}</style>\n"
# Every page uses the project's own fonts (DejaVu Sans and Sans Mono from a pinned npm package, copied into
# build/vendor), never the machine's: a slide's height depends on its fonts, and so does whether it fits the frame.
# The pictures' inline SVG names 'DejaVu Sans' too, so it draws with the same font.
_FACES = [("DejaVu Sans", "DejaVuSans", ""), ("DejaVu Sans", "DejaVuSans-Bold", "font-weight: bold;"),
          ("DejaVu Sans", "DejaVuSans-Oblique", "font-style: italic;"),
          ("DejaVu Sans", "DejaVuSans-BoldOblique", "font-weight: bold; font-style: italic;"),
          ("DejaVu Sans Mono", "DejaVuSansMono", ""), ("DejaVu Sans Mono", "DejaVuSansMono-Bold", "font-weight: bold;"),
          ("DejaVu Sans Mono", "DejaVuSansMono-Oblique", "font-style: italic;")]


def fonts_css(prefix: str) -> str:
    """@font-face rules for the project's fonts under prefix/dejavu-fonts-ttf, and the page's font families."""
    return "".join(
        f"@font-face {{ font-family: '{family}'; src: url('{prefix}/dejavu-fonts-ttf/ttf/{file}.ttf'); {extra} }}\n"
        for family, file, extra in _FACES) + """:root {
  --jp-ui-font-family: 'DejaVu Sans', sans-serif; --jp-content-font-family: 'DejaVu Sans', sans-serif;
  --jp-code-font-family: 'DejaVu Sans Mono', monospace; }
body, .reveal, .reveal h1, .reveal h2, .reveal h3, .reveal h4 { font-family: 'DejaVu Sans', sans-serif; }
.reveal pre, .reveal code, pre, code { font-family: 'DejaVu Sans Mono', monospace; }
"""


FONTS_CSS = f"<style>\n{fonts_css(VENDOR)}</style>\n"
# The reveal template imports mermaid unconditionally; the notebooks draw no mermaid diagrams, so a stub will do.
# A data: URL, because browsers refuse module imports from file:// pages.
MERMAID_STUB = "data:text/javascript,export%20default%20%7Binitialize()%7B%7D%2Crun()%7B%7D%7D%3B"


def _copy_assets(assets: Path, build: Path) -> None:
    if not (assets / "reveal.js" / "dist" / "reveal.js").exists():
        sys.exit(f"no offline web assets in {assets}: run `make web-assets` once (fetches them from npm)")
    shutil.copytree(assets, build / "vendor", dirs_exist_ok=True, ignore=shutil.ignore_patterns(".stamp"))


def _exporter() -> SlidesExporter:
    # "white" uses its bundled font (other themes @import Google Fonts)
    exporter = SlidesExporter(reveal_theme="white", reveal_scroll=False, reveal_width=str(SLIDE_WIDTH),
                              reveal_height=str(SLIDE_HEIGHT))
    exporter.require_js_url = f"{VENDOR}/requirejs/require.js"
    exporter.jquery_url = f"{VENDOR}/jquery/dist/jquery.min.js"
    exporter.mathjax_url = f"{VENDOR}/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe"
    exporter.widget_renderer_url = f"{VENDOR}/@jupyter-widgets/html-manager/dist/embed-amd.js"
    exporter.mermaid_js_url = MERMAID_STUB
    exporter.reveal_url_prefix = f"{VENDOR}/reveal.js"
    return exporter


def export(notebooks: Path, build: Path, assets: Path) -> list[Path]:
    """Write one slide deck per notebook into build/slides/ and return their paths."""
    _copy_assets(assets, build)
    out_dir, exporter = build / "slides", _exporter()
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for nb in sorted(notebooks.glob("*.ipynb")):
        body, _ = exporter.from_filename(str(nb))
        body = body.replace("</head>", FONTS_CSS + SLIDE_CSS + "</head>", 1)
        target = out_dir / (nb.stem + ".slides.html")
        target.write_text(body, encoding="utf-8")
        written.append(target)
        print(f"slides: {nb} -> {target}")
    return written


if __name__ == "__main__":
    if len(sys.argv) != 5 or sys.argv[1] != "slides":
        sys.exit(__doc__)
    export(*map(Path, sys.argv[2:]))
