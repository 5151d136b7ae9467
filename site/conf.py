"""Sphinx configuration of the course website (`make site`): myst-nb renders the notebooks' stored outputs.

Nothing is executed and nothing is fetched: MathJax 2, require.js and the ipywidgets HTML manager come from the
pinned npm tarballs (make web-assets), which tools/site.py puts beside this file as _vendor/ before building.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

project = "normlab"
author = "the normlab authors"
copyright = "the normlab authors, MIT licence"
language = "en"
smartquotes = False  # code words and their quotes stay as typed (BatchNorm's, 'eval')

extensions = ["myst_nb"]
root_doc = "index"
exclude_patterns = ["_build", "_vendor", "_templates", "README.md", "**/.ipynb_checkpoints"]
# The notebooks are committed with their outputs (nbval re-derives them in `make test`): show those, run nothing.
nb_execution_mode = "off"
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3

# Anchors as JupyterLab makes them ("## Course map" -> #Course-map), so the notebooks' own links work here too.
myst_heading_slug_func = "site_slug.jupyterlab_slug"
suppress_warnings = ["myst.header"]

html_theme = "sphinx_book_theme"
html_title = "normlab"
html_context = {"default_mode": "light"}
html_static_path = ["_static", "_vendor"]
html_css_files = ["fonts.css", "normlab.css"]  # fonts.css: written by tools/site.py
html_js_files = ["widget-labels.js"]
templates_path = ["_templates"]
html_copy_source = True
# Search results without a snippet: a snippet is fetched from its page, which browsers refuse on file:// pages.
html_show_search_summary = False
html_show_sourcelink = False
html_last_updated_fmt = None
html_theme_options = {
    "use_download_button": True,   # "download this notebook": the .ipynb, as committed
    "use_fullscreen_button": False,
    "show_navbar_depth": 1,
    "show_toc_level": 2,
    "navigation_with_keys": True,
    "home_page_in_toc": True,
}

# Offline: MathJax 2.7.7 and the widget scripts from _static/ (copied from the pinned npm packages), never a CDN.
mathjax_path = "mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe"
# myst-nb marks each section tex2jax_ignore and the math (and outputs) to process: MathJax 2 is told the same.
myst_update_mathjax = False
mathjax2_config = {"tex2jax": {"inlineMath": [["\\(", "\\)"]], "displayMath": [["\\[", "\\]"]],
                               "processClass": "tex2jax_process|mathjax_process|math|output_area",
                               "processRefs": False, "processEnvironments": False}}
nb_ipywidgets_js = {
    "requirejs/require.js": {},
    "require-base.js": {},
    "@jupyter-widgets/html-manager/dist/embed-amd.js": {"data-jupyter-widgets-cdn-only": "false"},
}
