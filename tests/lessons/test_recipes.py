"""lessons.recipes and normlab.layouts: every recipe's output equals torch's functional norm over the intended dims."""

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from normlab.layouts import LAYOUTS, layout, parse_layout
from normlab.lessons import explorer as X
from normlab.lessons.matches import NO_MODULE
from normlab.lessons.recipes import MODULES, Recipe, layout_recipe


def _reference(x: torch.Tensor, layout: str, module: str) -> torch.Tensor:
    """torch's own functional norms on x with the feature dim moved by movedim (not the recipe's code)."""
    letters = parse_layout(layout)
    f = next(i for i, a in enumerate(letters) if a in "CE")
    if module == "LayerNorm":
        return F.layer_norm(x.movedim(f, -1), (x.shape[f],)).movedim(-1, f)
    canon = x.movedim(f, 1)
    flat = canon.reshape(canon.shape[0], canon.shape[1], -1)
    if module.startswith("BatchNorm"):
        out = F.batch_norm(flat, None, None, training=True)
    else:
        out = F.instance_norm(flat)
    return out.reshape(canon.shape).movedim(1, f)


_VALID = [(lay, mod) for lay in LAYOUTS for mod in MODULES if not (lay == "(N, C)" and "Instance" in mod)]


@pytest.mark.parametrize(("layout", "module"), _VALID)
def test_recipe_matches_torch_reference(layout: str, module: str) -> None:
    r = layout_recipe(layout, module, seed=1)
    torch.testing.assert_close(r.y, _reference(r.x, layout, module), atol=1e-5, rtol=1e-5)
    assert r.max_diff < 1e-5
    assert r.y.shape == r.x.shape == r.shape


@settings(max_examples=25, deadline=None)
@given(layout=st.sampled_from(list(LAYOUTS)), module=st.sampled_from(MODULES),
       sizes=st.lists(st.integers(2, 4), min_size=4, max_size=4), seed=st.integers(0, 99))
def test_recipe_matches_torch_for_any_sizes(layout: str, module: str, sizes: list, seed: int) -> None:
    if layout == "(N, C)" and "Instance" in module:
        return
    r = layout_recipe(layout, module, tuple(sizes[: len(parse_layout(layout))]), seed)
    torch.testing.assert_close(r.y, _reference(r.x, layout, module), atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize(("layout", "module", "dims", "code"), [
    ("(B, T, E)", "BatchNorm1d", (0, 1), "norm(x.transpose(1, 2)).transpose(1, 2)"),
    ("(B, T, E)", "LayerNorm", (2,), "norm(x)"),
    ("(N, H, W, C)", "BatchNorm2d", (0, 1, 2), "norm(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)"),
    ("(N, H, W, C)", "BatchNorm1d", (0, 1, 2), "norm(x.reshape(-1, x.shape[-1])).reshape(x.shape)"),
    ("(N, C, H, W)", "BatchNorm1d", (0, 2, 3), "norm(x.flatten(2)).reshape(x.shape)"),
    ("(N, C, H, W)", "LayerNorm", (1,), "norm(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)"),
    ("(N, C, H, W)", "InstanceNorm2d", (2, 3), "norm(x)"),
])
def test_known_recipes(layout: str, module: str, dims: tuple, code: str) -> None:
    r = layout_recipe(layout, module)
    assert r.dims == dims
    assert r.code.splitlines() == [f"norm = nn.{module}({'E' if 'E' in layout else 'C'})", f"y = {code}"]


def test_naive_call_on_tokens_raises_torchs_error_with_a_hint() -> None:
    r = layout_recipe("(B, T, E)", "BatchNorm1d", (2, 4, 3))
    assert r.naive.startswith("RuntimeError: running_mean should contain 4 elements not 3")
    assert "hint:" in r.naive and "transpose(1, 2)" in r.naive


def test_naive_call_is_silently_wrong_when_t_equals_e() -> None:
    r = layout_recipe("(B, T, E)", "BatchNorm1d", (2, 3, 3))
    assert r.naive.startswith("silently wrong")
    wrong = torch.nn.BatchNorm1d(3)(r.x)  # torch reads T as the channels
    assert (wrong - r.y).abs().max().item() > 0.1
    assert f"{(wrong - r.y).abs().max().item():.4f}" in r.naive


def test_naive_layernorm_c_on_nchw_raises() -> None:
    r = layout_recipe("(N, C, H, W)", "LayerNorm")
    assert r.naive.startswith("RuntimeError: Given normalized_shape=[3]")
    assert "permute(0, 2, 3, 1)" in r.naive


def test_naive_is_right_when_the_layout_already_fits() -> None:
    assert layout_recipe("(N, C, H, W)", "BatchNorm2d").naive == "already right"
    assert layout_recipe("(B, T, E)", "LayerNorm").naive == "already right"


def test_meaning_names_the_groups() -> None:
    assert layout_recipe("(B, T, E)", "BatchNorm1d").meaning == "one mean/var per E, over (B, T)"
    assert layout_recipe("(B, T, E)", "LayerNorm").meaning == "one mean/var per (B, T), over the features E"


@pytest.mark.parametrize(("layout", "module", "match"), [
    ("(N, C)", "InstanceNorm1d", "has none"),
    ("(N, C, H, W)", "BatchNorm3d", "unknown module"),
    ("(N, C, D, H, W)", "BatchNorm1d", "known layouts"),
])
def test_errors_teach(layout: str, module: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        layout_recipe(layout, module)


@pytest.mark.parametrize(("name", "match"), [("(C, N, L)", "batch"), ("(N, L)", "feature dim"),
                                             ("(N, C, C)", "letters")])
def test_bad_layout_names_teach(name: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        parse_layout(name)


def test_parse_layout_and_what_each_family_reduces() -> None:
    assert parse_layout("(N, H, W, C)") == ("N", "H", "W", "C")
    assert parse_layout("B,T,E") == ("B", "T", "E")
    lay = layout("(N, H, W, C)")
    assert (lay.feature, lay.spatial) == (3, (1, 2))
    assert [lay.reduces(f) for f in ("BatchNorm", "InstanceNorm", "LayerNorm")] == [(0, 1, 2), (1, 2), (3,)]
    with pytest.raises(ValueError, match="unknown family"):
        lay.reduces("GroupNorm")


def test_a_recipe_is_data_written_as_code() -> None:
    r = Recipe((("permute", (0, 3, 1, 2)),), (("permute", (0, 2, 3, 1)),))
    assert r.code() == "norm(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)"
    assert r.code("bn") == "bn(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)"
    x = torch.randn(2, 4, 5, 3)
    torch.testing.assert_close(r.apply(torch.nn.BatchNorm2d(3), x),
                               torch.nn.BatchNorm2d(3)(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1))


@pytest.fixture
def explorer():
    """normlab.lessons.explorer, which knows the token and channels-last layouts through their recipes."""
    return X


@pytest.mark.parametrize(("layout", "dims", "first"), [
    ("(B, T, E)", (0, 1), "nn.BatchNorm1d(E)(x.transpose(1, 2)).transpose(1, 2)"),
    ("(B, T, E)", (1,), "nn.InstanceNorm1d(E)(x.transpose(1, 2)).transpose(1, 2)"),
    ("(B, T, E)", (2,), "nn.LayerNorm(E)"),
    ("(N, H, W, C)", (0, 1, 2), "nn.BatchNorm2d(C)(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)"),
    ("(N, H, W, C)", (1, 2), "nn.InstanceNorm2d(C)(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)"),
    ("(N, H, W, C)", (3,), "nn.LayerNorm(C)"),
])
def test_explorer_knows_token_and_channels_last_layouts(explorer, layout: str, dims: tuple, first: str) -> None:
    result = explorer.explore(layout, dims)
    assert result.code == first
    assert result.max_diff < 1e-5
    module = "LayerNorm" if "LayerNorm" in first else first.split("(")[0].removeprefix("nn.")
    torch.testing.assert_close(result.output, _reference(result.x, layout, module), atol=1e-5, rtol=1e-5)


def test_explorer_nhwc_batchnorm_has_both_recipes(explorer) -> None:
    codes = [m.code for m in explorer.explore("(N, H, W, C)", (0, 1, 2)).matches]
    assert codes[1] == "nn.BatchNorm1d(C)(x.reshape(-1, x.shape[-1])).reshape(x.shape)"


def test_explorer_has_no_module_for_batch_only_tokens(explorer) -> None:
    assert explorer.explore("(B, T, E)", (0,)).code == NO_MODULE
