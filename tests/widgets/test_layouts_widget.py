"""LayoutWidget driven like a learner: choose layout and module, check the recipe it shows."""

from svgparse import cells, texts

from normlab.lessons.recipes import layout_recipe, trap_shape
from normlab.pictures.layouts import recipe_picture
from normlab.widgets.layouts import LayoutWidget


def _svg(html: str) -> str:
    return html[html.index("<svg"):html.index("</svg>") + 6]


def test_default_shows_the_token_transpose_and_torchs_error() -> None:
    w = LayoutWidget()
    assert "y = norm(x.transpose(1, 2)).transpose(1, 2)" in w.text.value
    assert "running_mean should contain 4 elements not 3" in w.text.value
    assert "✓" in w.text.value
    assert len(cells(_svg(w.text.value))[0]) == 24 and "BatchNorm1d on (B, T, E)" in texts(_svg(w.text.value))[0]


def test_switching_to_layernorm_needs_no_permute() -> None:
    w = LayoutWidget()
    w.controls["module"].value = "LayerNorm"
    assert "y = norm(x)</pre>" in w.text.value
    assert "already right" in w.text.value


def test_nhwc_batchnorm2d_permute() -> None:
    w = LayoutWidget(layout="(N, H, W, C)", module="BatchNorm2d")
    assert "permute(0, 3, 1, 2)).permute(0, 2, 3, 1)" in w.text.value


def test_same_sizes_reveals_the_silent_wrong_axis() -> None:
    w = LayoutWidget()
    w.controls["same_sizes"].value = True
    expected = layout_recipe("(B, T, E)", "BatchNorm1d", (2, 3, 3))
    assert "silently wrong" in w.text.value and expected.naive in w.text.value
    assert "(2, 3, 3)" in w.text.value


def test_impossible_combination_is_a_message_not_a_traceback() -> None:
    w = LayoutWidget(layout="(N, C)", module="InstanceNorm1d")
    assert w.text.value.startswith("<p><b>ValueError</b>")
    assert "has none" in w.text.value and "<svg" not in w.text.value


def test_trap_shape_and_static_picture() -> None:
    assert trap_shape("(N, C, H, W)", False) == (2, 3, 2, 4)
    assert trap_shape("(N, C, H, W)", True) == (2, 3, 3, 3)
    assert trap_shape("(B, T, E)", True) == (2, 3, 3)
    picture = recipe_picture(layout_recipe("(B, T, E)", "BatchNorm1d"))
    assert picture.svg == _svg(LayoutWidget().text.value)  # the widget draws exactly the notebook's picture
    assert "one mean/var per E, over (B, T)" in texts(picture.svg)[0]
