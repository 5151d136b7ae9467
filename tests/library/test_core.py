"""normlab.normalize (normlab.core), the one idea: standardize over the reduction dims, then scale and shift."""

import pytest
import torch

from normlab.core import normalize


@pytest.mark.parametrize("dims", [(0,), (1,), (0, 2), (2, 0), (-1,), (0, 1, 2)])
def test_normalize_is_the_one_idea(dims, ref):
    x = torch.randn(4, 3, 5, dtype=torch.float64)
    mean = x.mean(dim=dims, keepdim=True)
    var = ((x - mean) ** 2).mean(dim=dims, keepdim=True)
    ref.same(normalize(x, dims, eps=1e-5), (x - mean) / torch.sqrt(var + 1e-5))
    rms = torch.sqrt((x * x).mean(dim=dims, keepdim=True) + 1e-5)
    ref.same(normalize(x, dims, eps=1e-5, center=False), x / rms)


def test_normalize_scales_and_shifts_after_standardizing(ref):
    x = torch.randn(4, 3, 5, dtype=torch.float64)
    w, b = torch.rand(1, 3, 1, dtype=torch.float64) + 0.5, torch.randn(1, 3, 1, dtype=torch.float64)
    ref.same(normalize(x, (0, 2), weight=w, bias=b), normalize(x, (0, 2)) * w + b)
    ref.same(normalize(x, -1, weight=w[0, :, :] * 2), normalize(x, -1) * w[0] * 2)


@pytest.mark.parametrize("dims, words", [((), "at least one reduction dim"), ((3,), "out of range"),
                                         ((0, -3), "names a dim twice")])
def test_normalize_rejects_bad_dims_with_a_reason(dims, words):
    with pytest.raises(ValueError, match=words):
        normalize(torch.randn(2, 3, 4), dims)
