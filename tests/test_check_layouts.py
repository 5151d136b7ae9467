"""normlab.check's layout exercises (notebook 06): torch's answer gets ✓, each recognised mistake is named."""

import pytest
import torch
from torch import nn

from normlab.check.layouts import nhwc_to_nchw, tokens_batchnorm


def test_tokens_batchnorm_right_and_not_transposed_back() -> None:
    x = tokens_batchnorm.x
    bn = nn.BatchNorm1d(3)
    assert tokens_batchnorm(bn(x.transpose(1, 2)).transpose(1, 2)).ok
    assert tokens_batchnorm(bn(x.transpose(1, 2))).mistakes == ("not_back",)


def test_tokens_batchnorm_wrong_axes_are_named_in_letters() -> None:
    x = tokens_batchnorm.x
    verdict = tokens_batchnorm(nn.BatchNorm1d(4)(x))  # no transpose: T read as channels
    assert verdict.mistakes == ("dims(0, 2)",) and "(0, 2) = B, E" in str(verdict) and "(0, 1)" not in str(verdict)
    assert tokens_batchnorm(nn.LayerNorm(3)(x)).mistakes == ("dims(2,)",)


def test_tokens_batchnorm_slips() -> None:
    x = tokens_batchnorm.x
    mean, var = x.mean((0, 1)), x.var((0, 1), unbiased=False)
    assert tokens_batchnorm((x - mean) / torch.sqrt(x.var((0, 1)) + 1e-5)).mistakes == ("unbiased",)
    assert tokens_batchnorm((x - mean) / var.sqrt()).mistakes == ("no_eps",)
    assert tokens_batchnorm((x - mean) / (var + 1e-5)).mistakes == ("variance",)


@pytest.mark.parametrize(("answer", "mistake"), [((0, 2, 3, 1), "inverse"), ((0, 3, 2, 1), "swapped_hw"),
                                                 ((2, 3, 5, 7), "reshape")])
def test_nhwc_permute_mistakes(answer: tuple, mistake: str) -> None:
    assert nhwc_to_nchw(answer).mistakes == (mistake,)


def test_nhwc_permute_right_answer_checked_by_torch() -> None:
    x = torch.randn(nhwc_to_nchw.shape)
    order = (0, 3, 1, 2)
    assert nhwc_to_nchw(order).ok
    y = nn.BatchNorm2d(3)(x.permute(*order)).permute(0, 2, 3, 1)
    torch.testing.assert_close(y, (x - x.mean((0, 1, 2))) / torch.sqrt(x.var((0, 1, 2), unbiased=False) + 1e-5))
