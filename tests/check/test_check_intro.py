"""Notebook 00's exercises: ✓ for torch's own answer, and each wrong choice of dims named."""

import pytest
import torch
from torch import nn

import normlab
from normlab import check


def test_torchs_outputs_are_accepted():
    x = check.instance_norm_dims.x
    assert check.instance_norm_dims(nn.InstanceNorm1d(3)(x))
    assert check.layer_norm_dims(nn.LayerNorm([3, 4, 5], elementwise_affine=False)(check.layer_norm_dims.x))


@pytest.mark.parametrize("dims", [(0,), (1,), (0, 2), (0, 1, 2)])
def test_instance_norm_wrong_dims_are_named(dims):
    verdict = check.instance_norm_dims(normlab.normalize(check.instance_norm_dims.x, dims))
    assert not verdict
    said = verdict.message
    assert f"your statistics come from dims {dims} = " in said and "InstanceNorm1d on (N, C, L)" in said
    assert "(2,)" not in verdict.message and "per (N, C)" not in verdict.message  # the right grouping is not given


def test_layer_norm_unbiased_and_variance_mistakes_are_named():
    x = check.layer_norm_dims.x
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    unbiased = (x - mean) / torch.sqrt(x.var(dim=(1, 2, 3), keepdim=True) + 1e-5)
    assert check.layer_norm_dims(unbiased).mistakes == ("unbiased",)
    var = x.var(dim=(1, 2, 3), keepdim=True, unbiased=False)
    assert check.layer_norm_dims((x - mean) / (var + 1e-5)).mistakes == ("variance",)


@pytest.mark.parametrize("dims", [(2, 3), (0, 2, 3), (1,)])
def test_layer_norm_wrong_dims_describe_the_groups_without_the_right_ones(dims):
    verdict = check.layer_norm_dims(normlab.normalize(check.layer_norm_dims.x, dims))
    assert not verdict and f"your statistics come from dims {dims} = " in verdict.message
    assert "(1, 2, 3)" not in verdict.message and "per N;" not in verdict.message
