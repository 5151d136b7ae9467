"""The course website: every notebook with its stored outputs and its widgets' saved state, built by Sphinx + myst-nb.

Usage: python tools/site.py NOTEBOOKS BUILD ASSETS  ->  BUILD/site/index.html
Nothing is executed. site/ (conf.py, the home and "run it yourself" pages, the CSS), README.md, the notebooks and the
pinned web assets (ASSETS, from make web-assets: MathJax, require.js, the widget HTML manager, the fonts) are put
together in BUILD/site-src, and sphinx-build writes a site that loads every script and font from its own _static/,
so it opens from disk, a USB stick or any static server with no network.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from export_static import fonts_css

__all__ = ["build_site"]

SITE = Path(__file__).resolve().parents[1] / "site"
# What the pages load (the rest of make web-assets is for the slides and the accessibility check).
VENDORED = ["mathjax", "requirejs", "@jupyter-widgets", "dejavu-fonts-ttf"]


def build_site(notebooks: Path, build: Path, assets: Path) -> Path:
    """Assemble the sources, run sphinx-build (warnings are errors) and return the site's index.html."""
    if not (assets / "mathjax" / "MathJax.js").exists():
        sys.exit(f"no offline web assets in {assets}: run `make web-assets` once (fetches them from npm)")
    src, out = build / "site-src", build / "site"
    shutil.rmtree(src, ignore_errors=True)
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(SITE, src)
    for name in VENDORED:
        shutil.copytree(assets / name, src / "_vendor" / name)
    # The widget manager's modules look for its icon fonts beside their own ids: "@jupyter-widgets/controls" in
    # @jupyter-widgets/, "@jupyter-widgets/html-manager/dist/..." in dist/ (site/_static/require-base.js maps both).
    widgets = src / "_vendor" / "@jupyter-widgets"
    for font in (widgets / "html-manager" / "dist").iterdir():
        if font.suffix in (".woff2", ".woff", ".ttf", ".eot", ".svg"):
            shutil.copy(font, widgets / font.name)
    # the project's fonts, the same @font-face rules as the slides' (the files are in _static/dejavu-fonts-ttf)
    (src / "_static" / "fonts.css").write_text(fonts_css("."), encoding="utf-8")
    shutil.copy(SITE.parent / "README.md", src / "README.md")
    (src / "notebooks").mkdir()
    for nb in sorted(notebooks.glob("*.ipynb")):
        shutil.copy(nb, src / "notebooks" / nb.name)
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-W", "--keep-going", str(src), str(out)]
    subprocess.run(command, check=True)
    return out / "index.html"


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    print(f"site: {build_site(*map(Path, sys.argv[1:]))}")
