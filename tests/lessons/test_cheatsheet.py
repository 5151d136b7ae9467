"""lessons.cheatsheet finds each row by running the layer: the dims against torch, the flags against the module."""

import pytest
import torch
from torch import nn

from normlab.lessons.cheatsheet import describe, reduction_dims, render

X = torch.randn(4, 6, 5, generator=torch.Generator().manual_seed(0)) * 2 + 1  # (N, C, L)


@pytest.mark.parametrize(("layer", "groups", "center", "dims"), [
    (nn.BatchNorm1d(6), 1, True, (0, 2)), (nn.LayerNorm([6, 5]), 1, True, (1, 2)), (nn.LayerNorm(5), 1, True, (2,)),
    (nn.InstanceNorm1d(6), 1, True, (2,)), (nn.GroupNorm(3, 6), 3, True, (2, 3)),
    (nn.RMSNorm([6, 5]), 1, False, (1, 2))])
def test_reduction_dims_are_the_ones_whose_normalize_equals_torch(layer, groups, center, dims):
    assert reduction_dims(layer, X, groups, center) == dims


def test_a_layer_no_dims_reproduce_is_refused_with_its_name():
    with pytest.raises(ValueError, match="Linear"):
        describe("Linear", nn.Linear(5, 5), X, "NCL")


def test_rows_read_parameters_buffers_and_behaviour_off_the_module():
    bn, ln = describe("bn", nn.BatchNorm1d(6), X, "NCL"), describe("ln", nn.LayerNorm(5), X, "NCL")
    assert bn.reduces_over == "(N, L)" and bn.eval_differs and bn.batch_coupled
    assert "running_var (6,)" in bn.buffers and bn.parameters == "weight (6,), bias (6,)"
    assert ln.reduces_over == "(L)" and not ln.eval_differs and not ln.batch_coupled and ln.buffers == "none"
    assert describe("gn", nn.GroupNorm(2, 6), X, "NCL", groups=2).reduces_over == "(C/G, L)"
    frozen = describe("frozen", nn.BatchNorm1d(6, momentum=0.0), X, "NCL")
    assert frozen.eval_differs  # running statistics that never moved from (0, 1) still differ from the batch's


def test_render_aligns_one_line_per_row():
    rows = [describe("bn", nn.BatchNorm1d(6), X, "NCL"), describe("ln", nn.LayerNorm(5), X, "NCL")]
    for part, column in (("behaviour", "reduces over"), ("state", "buffers")):
        lines = render(rows, part).splitlines()
        assert len(lines) == 4 and lines[0].startswith("layer") and column in lines[0] and lines[2].startswith("bn ")
        assert all(line == line.rstrip() for line in lines)
    assert "running_var (6,)" in render(rows, "state") and "(N, L)" in render(rows, "behaviour")
