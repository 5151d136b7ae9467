"""Static pages in the browser: the project's tools loaded by path, a page opened with the network cut, a static
file server on 127.0.0.1, and axe-core's accessibility audit."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from browser_lab import REPO, free_port

from tests.tooling import tool

__all__ = ["ASSETS", "SLIDE_SIZES_JS", "SLIDE_MARGIN", "tool", "open_offline", "static_server", "axe_violations"]

ASSETS = REPO / ".venv" / "web-assets"
LOCAL = ("file:", "data:", "blob:", "http://127.0.0.1:")


def open_offline(browser: Any, url: str, viewport: tuple[int, int] = (1280, 900)) -> tuple[Any, Any, list, list]:
    """Open a page with every request to another host aborted and recorded, and collect its script errors."""
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
    outside, errors = [], []
    context.route(lambda url: not url.startswith(LOCAL), lambda route: (outside.append(route.request.url),
                                                                         route.abort()))
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(url)
    return context, page, outside, errors


@contextlib.contextmanager
def static_server(directory: Path, timeout: float = 20) -> Iterator[str]:
    """Python's own static file server on 127.0.0.1 and a free port, stopped on exit; yields its base URL."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
                                "--directory", str(directory)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                urllib.request.urlopen(base, timeout=2).close()
                break
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError(f"the static server on {base} did not answer") from None
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


# axe-core's own result, reduced to what a failure message needs: rule, impact, and each node's CSS path and HTML.
AXE_JS = """async (context) => (await axe.run(context || document, {resultTypes: ["violations"]})).violations
  .map((v) => ({rule: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map((n) => ({target: n.target.join(" "), html: n.html.slice(0, 160)}))}))"""


def axe_violations(page: Any, context: str | None = None) -> list[dict[str, Any]]:
    """axe-core (pinned, from make web-assets) run in the page: every violated rule with its nodes."""
    page.add_script_tag(path=str(ASSETS / "axe-core" / "axe.min.js"))
    return page.evaluate(AXE_JS, context)


# A slide must fit its frame with room to spare: a margin for what still differs between browsers (their text layout).
SLIDE_MARGIN = 40

# Every leaf slide of a reveal.js deck (a <section> without sections inside), shown on its own: its size on the
# slide frame, and the elements that stick out on the right (code, pictures or widgets wider than the frame, or
# scrolling sideways).
SLIDE_SIZES_JS = """() => [...document.querySelectorAll('.reveal .slides section')]
  .filter((s) => !s.querySelector('section'))
  .map((s, i) => {
    s.style.display = 'block';
    const right = s.getBoundingClientRect().right;
    const wide = [...s.querySelectorAll('pre, img, svg, table, .jp-Cell, .jupyter-widgets')]
      .filter((e) => e.scrollWidth > e.clientWidth + 1 || e.getBoundingClientRect().right > right + 1).length;
    const size = {slide: i, height: s.scrollHeight, width: s.scrollWidth, wide,
                  starts: (s.textContent || '').trim().slice(0, 60)};
    s.style.display = '';
    return size;
  })"""
