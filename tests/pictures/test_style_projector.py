"""normlab.pictures.style.projector(): one call makes figure fonts, visualizer cells and widget controls larger."""

from __future__ import annotations

import re
from collections.abc import Iterator

import matplotlib as mpl
import pytest
import torch

from normlab.pictures import style

FONT_KEYS = ("font.size", "axes.titlesize", "axes.labelsize", "xtick.labelsize", "legend.fontsize")


@pytest.fixture(autouse=True)
def normal_style() -> Iterator[None]:
    """Every test starts and ends at the normal scale (SCALE is session state)."""
    style.use(1.0)
    yield
    style.use(1.0)


def test_projector_scales_every_figure_font() -> None:
    normal = {k: mpl.rcParams[k] for k in FONT_KEYS}
    style.projector(1.5)
    assert style.SCALE == 1.5
    for key in FONT_KEYS:
        assert mpl.rcParams[key] == pytest.approx(1.5 * normal[key]), key


def test_projector_default_is_larger_and_use_resets() -> None:
    normal = mpl.rcParams["font.size"]
    style.projector()
    assert style.SCALE > 1 and mpl.rcParams["font.size"] > normal
    style.use(1.0)
    assert mpl.rcParams["font.size"] == normal


def test_projector_css_scales_widget_sizes() -> None:
    def px(css: str, name: str) -> float:
        return float(re.search(rf"--jp-widgets-{name}: (\d+)px", css).group(1))

    normal, big = style.projector_css(1.0), style.projector_css(2.0)
    assert "[class*='normlab-']" in big and ".normlab-output-text" in big
    for name in ("font-size", "inline-height", "slider-handle-size", "inline-label-width"):
        assert px(big, name) == 2 * px(normal, name), name


def test_projector_refuses_a_non_positive_scale() -> None:
    with pytest.raises(ValueError, match="scale must be positive"):
        style.projector(0)


def test_projector_enlarges_pictures() -> None:
    from svgparse import parse

    from normlab.pictures import viz

    x = torch.arange(6.0).reshape(2, 3)
    width = float(parse(viz.show_groups(x, (0,)).svg).get("width"))
    style.projector(1.5)
    assert float(parse(viz.show_groups(x, (0,)).svg).get("width")) == pytest.approx(1.5 * width, abs=1)
