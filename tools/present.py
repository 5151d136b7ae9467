"""Live slides: a notebook as a reveal.js slideshow whose widgets work, served by Voila on 127.0.0.1 with a token.

Usage: python tools/present.py NOTEBOOK BUILD ASSETS [SCALE]      (make present NB=notebooks/09_....ipynb)
Voila runs the notebook in a fresh kernel when the page is opened (each visit starts its own kernel) and shows it
with its reveal template; tools/present/ holds our template on top of it, which takes reveal.js 4.0.2, the fonts and
the CSS from its own static folder (copied here from ASSETS, make web-assets), so nothing comes from a CDN. The
kernel starts in projector style (normlab.pictures.style at SCALE, default 1.5) and the widgets' controls are
scaled alike. Stop with Ctrl-C: Voila shuts its kernels down.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from export_static import SLIDE_HEIGHT, SLIDE_RULES, SLIDE_WIDTH, fonts_css
from ports import free_port

from normlab.pictures.style import projector_css

__all__ = ["TEMPLATE", "prepare", "command", "start", "main"]

TEMPLATE = "normlab-reveal"
SOURCE = Path(__file__).with_name("present")
# The site's script that names each slider handle after its widget (ipywidgets gives it no accessible name).
WIDGET_LABELS = SOURCE.parents[1] / "site" / "_static" / "widget-labels.js"
# Voila's page loads reveal's theme after our CSS: the project's fonts need the more specific selector to win. A
# widget's table keeps the notebook's compact rows (the theme's slide tables are spaced for a few big numbers).
LIVE_RULES = """
.reveal .slides, .reveal .slides h1, .reveal .slides h2, .reveal .slides h3, .reveal .slides h4 {
  font-family: 'DejaVu Sans', sans-serif; }
.reveal .slides .normlab-output-text table { margin: 0.3em 0; }
.reveal .slides .normlab-output-text th, .reveal .slides .normlab-output-text td {
  padding: 0 0.5em; line-height: 1.1; }
"""


def prepare(build: Path, assets: Path, scale: float = 1.5) -> dict[str, str]:
    """Write the template (with its static files) and an IPython profile under build/present; return the env."""
    if not (assets / "reveal.js" / "dist" / "reveal.js").exists():
        sys.exit(f"no offline web assets in {assets}: run `make web-assets` once (fetches them from npm)")
    root = (build / "present").resolve()
    shutil.rmtree(root, ignore_errors=True)
    template = root / "share" / "voila" / "templates" / TEMPLATE
    static = template / "static"
    static.mkdir(parents=True)
    for name in ("conf.json", "index.html.j2"):
        shutil.copy(SOURCE / name, template / name)
    shutil.copy(SOURCE / "present.js", static / "normlab-present.js")
    shutil.copy(WIDGET_LABELS, static / "widget-labels.js")
    for package in ("reveal.js", "dejavu-fonts-ttf"):
        shutil.copytree(assets / package, static / package)
    (static / "normlab-present.css").write_text(
        fonts_css(".") + SLIDE_RULES + LIVE_RULES + projector_css(scale) + "\n", encoding="utf-8")
    startup = root / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-normlab-projector.py").write_text(
        f"from normlab.pictures import style\nstyle.use({scale!r})  # projector style for every picture\n")
    env = dict(os.environ, IPYTHONDIR=str(root / "ipython"), MPLBACKEND="module://matplotlib_inline.backend_inline")
    env["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(root / "share"), os.environ.get("JUPYTER_PATH")]))
    return env


def command(notebook: Path, port: int, token: str) -> list[str]:
    """The Voila command line: our template, code cells shown, 127.0.0.1 only, token required."""
    resources = {"reveal": {"url_prefix": f"/voila/templates/{TEMPLATE}/static/reveal.js", "theme": "white",
                            "width": SLIDE_WIDTH, "height": SLIDE_HEIGHT}}
    cmd = [sys.executable, "-m", "voila", str(notebook), "--no-browser", "--Voila.ip=127.0.0.1", f"--port={port}",
           "--Voila.port_retries=0", f"--token={token}", f"--template={TEMPLATE}", "--strip_sources=False",
           f"--VoilaConfiguration.resources={json.dumps(resources)}"]
    if os.getuid() == 0:
        cmd.append("--ServerApp.allow_root=True")
    return cmd


def start(notebook: Path, build: Path, assets: Path, port: int, token: str, scale: float = 1.5,
          **popen: object) -> subprocess.Popen:
    """Prepare the template and start Voila in the background; the caller stops it (terminate, then wait)."""
    if not notebook.is_file():
        sys.exit(f"no notebook {notebook}: make present NB=notebooks/09_group_instance_rms_norm.ipynb")
    return subprocess.Popen(command(notebook, port, token), env=prepare(build, assets, scale), **popen)


def main(notebook: Path, build: Path, assets: Path, scale: float = 1.5) -> int:
    """Serve the slides until Ctrl-C; print the address to open."""
    port, token = free_port(), secrets.token_hex(24)
    process = start(notebook, build, assets, port, token, scale)
    print(f"present: open http://127.0.0.1:{port}/?token={token}\n"
          "present: the notebook runs when the page opens (a few seconds); arrow keys or space move through the "
          "slides, Esc shows them all; stop with Ctrl-C", flush=True)
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # `kill` or a timeout stops Voila too, as Ctrl-C does
    try:
        return process.wait()
    except KeyboardInterrupt:
        process.terminate()
        try:
            return process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            return process.wait(timeout=10)


if __name__ == "__main__":
    if len(sys.argv) not in (4, 5):
        sys.exit(__doc__)
    sys.exit(main(*map(Path, sys.argv[1:4]), *map(float, sys.argv[4:])))
