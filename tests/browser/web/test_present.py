"""Live slides (make present): Voila serves a notebook as reveal.js slides with working widgets; Chromium opens the
deck with every request to another host refused, moves a widget's controls, and measures every slide."""

from __future__ import annotations

import secrets
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from browser_lab import NOTEBOOKS
from browser_static import ASSETS, SLIDE_MARGIN, SLIDE_SIZES_JS, open_offline, tool

pytestmark = pytest.mark.skipif(not (ASSETS / ".stamp").exists(),
                                reason="offline web assets missing: run `make web-assets`")
NOTEBOOK = NOTEBOOKS / "09_group_instance_rms_norm.ipynb"  # the README's example: the Group Norm cube widget
WIDGET = ".jupyter-widgets.normlab-cube"
OUTPUT = f"{WIDGET} .normlab-output-text"
# the frame make present lays slides out on (the static slides' frame)
_SLIDES = tool("export_static")
FRAME = (_SLIDES.SLIDE_WIDTH, _SLIDES.SLIDE_HEIGHT)


class Deck:
    """A running `make present` server: its URL with and without the token."""

    def __init__(self, url: str, bare: str) -> None:
        self.url, self.bare = url, bare


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _status(url: str) -> int:
    """The HTTP status of a GET, without following a redirect (to the login page)."""
    try:
        with urllib.request.build_opener(_NoRedirect).open(url, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.fixture(scope="module")
def deck(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deck]:
    """Voila started as make present starts it (127.0.0.1, a free port, a token), stopped by its process id."""
    present, build = tool("present"), tmp_path_factory.mktemp("present")
    port, token = present.free_port(), secrets.token_hex(24)
    log = (build / "voila.log").open("wb")
    process = present.start(NOTEBOOK, build, ASSETS, port, token, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, (build / "voila.log").read_text()
            try:
                # the tree page does not run the notebook: a cheap way to see the server answer
                _status(base + f"voila/static/voila.js?token={token}")
                break
            except (urllib.error.URLError, ConnectionError):
                assert time.monotonic() < deadline, "Voila did not answer within 60 s"
                time.sleep(0.3)
        yield Deck(base + f"?token={token}", base)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()


def test_the_deck_needs_its_token(deck: Deck) -> None:
    """Without the token, or with a wrong one, the server sends the visitor to its login page, not the slides."""
    assert _status(deck.bare) in (302, 401, 403)
    assert _status(deck.bare + "?token=wrong") in (302, 401, 403)


def _open(browser: Any, deck: Deck) -> tuple[Any, Any, list, list]:
    context, page, outside, errors = open_offline(browser, deck.url, viewport=FRAME)
    page.wait_for_selector(".reveal.ready", state="attached", timeout=120_000)
    page.wait_for_selector(OUTPUT + " svg", state="attached", timeout=60_000)  # the widgets draw after the slides
    page.wait_for_function("() => document.fonts.check(\"16px 'DejaVu Sans'\")", timeout=20_000)
    return context, page, outside, errors


def test_a_widget_slide_is_live(deck: Deck, browser: Any) -> None:
    """Go to the cube widget's slide; a click on another norm and an arrow key on the groups slider redraw the
    picture and the numbers; the arrow key moves the slider, not the slides."""
    context, page, outside, errors = _open(browser, deck)
    try:
        where = page.evaluate(f"""() => {{ const s = document.querySelector("{WIDGET}").closest("section");
            const i = Reveal.getIndices(s); Reveal.slide(i.h, i.v); return i; }}""")
        page.wait_for_function(f"""() => document.querySelector("{WIDGET}").closest("section.present")""")
        assert page.locator(WIDGET).is_visible()

        def shown() -> tuple[str, str]:
            svg = page.locator(f"{OUTPUT} svg").first.inner_html()
            return svg, page.locator(OUTPUT).inner_text()

        before = shown()
        active = page.locator(f"{WIDGET} .widget-toggle-buttons button.mod-active").inner_text().strip()
        other = next(t.strip() for t in page.locator(f"{WIDGET} .widget-toggle-buttons button").all_inner_texts()
                     if t.strip() not in (active, "GroupNorm"))
        page.locator(f"{WIDGET} .widget-toggle-buttons button", has_text=other).click()
        page.wait_for_function(f"""(old) => document.querySelector("{OUTPUT}").innerText !== old""", arg=before[1])
        after = shown()
        assert after[0] != before[0], "the picture did not change"
        assert other.split("Norm")[0] in after[1] and after[1] != before[1]

        page.locator(f"{WIDGET} .widget-toggle-buttons button", has_text="GroupNorm").click()
        page.wait_for_function(f"""() => document.querySelector("{OUTPUT}").innerText.includes("GroupNorm")""")
        handle = page.locator(f"{WIDGET} [role=slider]").first
        label = page.locator(f"{WIDGET} .widget-slider .widget-label").first.inner_text().strip()
        assert handle.get_attribute("aria-label") == label, "the slider handle is not named after its widget"
        value, text = handle.get_attribute("aria-valuenow"), page.locator(OUTPUT).inner_text()
        handle.focus()
        page.keyboard.press("ArrowRight")
        page.wait_for_function(f"""(old) => document.querySelector("{OUTPUT}").innerText !== old""", arg=text)
        assert handle.get_attribute("aria-valuenow") != value
        assert page.evaluate("() => Reveal.getIndices()")["h"] == where["h"], "the arrow key changed the slide"
        assert page.get_by_text("Error displaying widget").count() == 0
        assert outside == [], f"the deck asked other hosts for {outside}"
        assert errors == [], f"script errors: {errors}"
    finally:
        context.close()


def test_every_slide_fits_the_frame(deck: Deck, browser: Any) -> None:
    """Live, in projector style, with the project's fonts: every slide fits 1280 x 800 with 40 px to spare."""
    context, page, outside, errors = _open(browser, deck)
    try:
        sizes = page.evaluate(SLIDE_SIZES_JS)
        assert len(sizes) > 10
        too_big = [s for s in sizes if s["height"] > FRAME[1] - SLIDE_MARGIN or s["width"] > FRAME[0] or s["wide"]]
        assert too_big == []
        assert page.evaluate("() => getComputedStyle(document.querySelector('.normlab-output-text')).fontSize") \
            == "20px", "projector style (x1.5 of 13 px) is not on"
        assert outside == [] and errors == [], (outside, errors)
    finally:
        context.close()


def test_the_notebook_is_left_as_it_was() -> None:
    """Presenting runs a copy in Voila's kernel: the notebook file is not written."""
    assert subprocess.run(["git", "diff", "--quiet", "--", str(NOTEBOOK)], cwd=NOTEBOOK.parent).returncode == 0
