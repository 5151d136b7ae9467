"""LayoutWidget driven like a learner: choose layout and module, check the recipe it shows."""

from normlab.layouts import layout_recipe
from normlab.widgets.layouts import LayoutWidget, plot_recipe, recipe_sizes


def test_default_shows_the_token_transpose_and_torchs_error() -> None:
    w = LayoutWidget()
    assert "y = norm(x.transpose(1, 2)).transpose(1, 2)" in w.text.value
    assert "running_mean should contain 4 elements not 3" in w.text.value
    assert "✓" in w.text.value
    assert "reduce over (0, 1) = B, T: 3 groups" in w.text.value and "<table" in w.text.value


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
    expected = layout_recipe("(B, T, E)", "BatchNorm1d", {"T": 3, "E": 3})
    assert "silently wrong" in w.text.value and expected.naive in w.text.value
    assert "(2, 3, 3)" in w.text.value


def test_impossible_combination_is_a_message_not_a_traceback() -> None:
    w = LayoutWidget(layout="(N, C)", module="InstanceNorm1d")
    assert w.text.value.startswith("<p><b>ValueError</b>")
    assert "has none" in w.text.value
    assert w.image.layout.display == "none"


def test_recipe_sizes_and_static_figure() -> None:
    assert recipe_sizes("(N, C, H, W)", True) == {**recipe_sizes("(N, C, H, W)", False), "H": 3, "W": 3, "C": 3}
    fig = plot_recipe(layout_recipe("(B, T, E)", "BatchNorm1d"))
    assert "reduce over (0, 1) = B, T: 3 groups" in fig.texts[-1].get_text()
