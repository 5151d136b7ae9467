"""Notebook 09's pieces: the cube's groups and statistics against torch, the transformer stacks, the exercises."""

import pytest
import torch
import torch.nn.functional as F
from svgparse import parse, texts
from torch import nn

from normlab import check
from normlab.check.family import broken, dims_only, group_slips, view_only
from normlab.lessons import cube
from normlab.lessons import transformer as T
from normlab.pictures.cube import family_picture
from normlab.pictures.transformer import depth_picture
from normlab.widgets import CubeWidget

SHAPE = (4, 6, 5)


def _torch_groups(norm: str, x: torch.Tensor, groups: int) -> int:
    """How many distinct (mean, var) pairs torch's own statistics have for this norm."""
    n, c, length = x.shape
    if norm == "BatchNorm":
        return c
    if norm == "LayerNorm":
        return n
    if norm == "InstanceNorm":
        return n * c
    return n * groups


@pytest.mark.parametrize("norm", cube.NORMS)
@pytest.mark.parametrize("groups", [1, 2, 3, 6])
def test_cube_statistics_match_torch(norm: str, groups: int) -> None:
    x = torch.randn(SHAPE, generator=torch.Generator().manual_seed(groups), dtype=torch.float64)
    s = cube.cube_stats(norm, x, groups)
    assert s.max_diff < 1e-10
    assert s.n_groups == _torch_groups(norm, x, groups) and s.n_groups * s.per_group == x.numel()
    ids = cube.cube_groups(norm, SHAPE, groups)
    for g in range(s.n_groups):  # every group's mean is the mean of the elements of its colour
        assert torch.allclose(s.means[g], x[ids == g].mean()) and torch.allclose(s.variances[g], x[ids == g].var(
            unbiased=False))


def test_group_norm_groups_are_consecutive_channels() -> None:
    ids = cube.cube_groups("GroupNorm", (1, 6, 1), groups=3).flatten()
    assert ids.tolist() == [0, 0, 1, 1, 2, 2]


def test_cube_refuses_a_group_count_that_does_not_divide_c() -> None:
    with pytest.raises(ValueError, match="divisor of 6"):
        cube.cube_groups("GroupNorm", SHAPE, groups=4)
    with pytest.raises(ValueError, match="choose one of"):
        cube.cube_groups("BatchNorm2d", SHAPE)


def test_family_picture_draws_the_four_cubes_with_their_reduction_dims() -> None:
    picture = family_picture(SHAPE, groups=2)
    parse(picture.svg)
    words = " ".join(texts(picture.svg))
    for norm, over in (("BatchNorm", "N, H·W"), ("the paper's LayerNorm (per image)", "C, H·W"),
                       ("InstanceNorm", "(H·W)"), ("GroupNorm(2 groups)", "C/G, H·W")):
        assert norm in words and over in words
    assert picture._repr_html_().startswith("<img")


def test_cube_widget_redraws_with_the_chosen_norm_and_never_raises() -> None:
    w = CubeWidget(norm="BatchNorm")
    assert "6 groups of 20 values" in w.text.value and "nn.BatchNorm1d(6)" in w.text.value and "✓" in w.text.value
    w.controls["norm"].value = "GroupNorm"
    w.controls["groups"].value = 3
    assert "12 groups of 10 values" in w.text.value and "nn.GroupNorm(3, 6)" in w.text.value
    w.controls["norm"].value = "InstanceNorm"
    assert "24 groups of 5 values" in w.text.value and "more groups" in w.text.value
    assert "Traceback" not in w.text.value


def test_transformer_layer_norm_is_per_token() -> None:
    block = T.encoder(norm_first=True, layers=1).layers[0]
    x, _ = T.example_batch(batch=2)
    ref = F.layer_norm(x, (T.WIDTH,), block.norm1.weight, block.norm1.bias)
    assert torch.allclose(block.norm1(x), ref, atol=1e-5)


def test_post_ln_gradients_grow_towards_the_output_and_pre_ln_do_not() -> None:
    x, y = T.example_batch()
    post = T.layer_gradients(T.encoder(False), x, y)
    pre = T.layer_gradients(T.encoder(True), x, y)
    assert post[-1] > 2 * post[len(post) // 2] and pre[-1] < pre[0]
    scales, out = T.residual_scale(T.encoder(True), x)
    assert scales[-1] > 3 * scales[0] and abs(out - 1) < 0.01
    assert all(abs(s - 1) < 0.01 for s in T.residual_scale(T.encoder(False), x)[0])


def test_residual_scale_matches_the_stack_forward() -> None:
    x, _ = T.example_batch(batch=2)
    for norm_first in (False, True):
        stack = T.encoder(norm_first, layers=3)
        with torch.no_grad():
            out = stack(x)
        assert abs(T.residual_scale(stack, x)[1] - out.std().item()) < 1e-5


def test_depth_picture_has_both_panels() -> None:
    picture = depth_picture({"a": [1.0, 2.0], "b": [2.0, 1.0]}, {"a": [1.0, 1.0]})
    parse(picture.svg)
    assert {"gradient norm of linear2.weight", "std of the hidden states after the layer"} <= set(texts(picture.svg))


def _group_norm(x, groups, eps):
    n, c, h, w = x.shape
    g = x.reshape(n, groups, c // groups, h * w)
    return ((g - g.mean((2, 3), keepdim=True)) / torch.sqrt(g.var((2, 3), unbiased=False, keepdim=True) + eps)
            ).reshape(x.shape)


def test_bug_group_norm_accepts_a_repair_and_names_the_original_and_each_slip() -> None:
    assert check.bug_group_norm(_group_norm)
    original = check.bug_group_norm(broken)
    assert original.mistakes == ("original",) and "consecutive" not in original.message
    for key, (fn, message) in group_slips().items():
        verdict = check.bug_group_norm(fn)
        assert not verdict and verdict.mistakes == (key,) and message in verdict.message, key
    assert check.bug_group_norm(None).mistakes == ("missing",)
    assert not check.bug_group_norm(lambda x, g, eps: x)
    assert check.bug_group_norm(view_only).mistakes == ("view_only",)  # the two half repairs
    assert check.bug_group_norm(dims_only).mistakes == ("dims_only",)


def test_the_slips_are_not_group_norm() -> None:
    x = torch.randn(2, 6, 3, 4, dtype=torch.float64)
    for key, (fn, _) in group_slips().items():
        assert not torch.allclose(fn(x, 3, 0.5), F.group_norm(x, 3, eps=0.5)), key  # a large eps shows eps slips


def test_the_slip_messages_describe_the_result_not_the_fix() -> None:
    for key, (_, message) in group_slips().items():
        assert "consecutive" not in message and "sqrt(var + eps)" not in message and "should" not in message, key
    x = torch.randn(2, 6, 3, 4, dtype=torch.float64)
    out = group_slips()["unbiased"][0](x, 3, 1e-5).reshape(2, 3, -1)
    assert (out.var(-1, unbiased=False) < 1).all()  # "a little below 1", as its message says


def test_instance_eval_prediction() -> None:
    assert check.predict_instance_eval("the same") and check.predict_instance_eval("same")
    wrong = check.predict_instance_eval("different")
    assert not wrong and "same" not in wrong.message.split(":", 1)[1]
    train = nn.InstanceNorm2d(3)
    x = torch.randn(2, 3, 4, 4)
    assert torch.equal(train.train()(x), train.eval()(x))  # what the prediction claims, against torch
