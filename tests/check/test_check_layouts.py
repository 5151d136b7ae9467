"""normlab.check's layout exercises (notebook 06): torch's answer gets ✓, each recognised mistake is named."""

import torch
from torch import nn

from normlab.check.layouts import tokens_batch_norm


def test_tokens_batchnorm_right_and_not_transposed_back() -> None:
    x = tokens_batch_norm.x
    bn = nn.BatchNorm1d(3)
    assert tokens_batch_norm(bn(x.transpose(1, 2)).transpose(1, 2)).ok
    assert tokens_batch_norm(bn(x.transpose(1, 2))).mistakes == ("not_back",)


def test_tokens_batchnorm_wrong_axes_are_named_in_letters() -> None:
    x = tokens_batch_norm.x
    verdict = tokens_batch_norm(nn.BatchNorm1d(4)(x))  # no transpose: T read as channels
    assert verdict.mistakes == ("dims(0, 2)",) and "(0, 2) = B, E" in str(verdict) and "(0, 1)" not in str(verdict)
    assert tokens_batch_norm(nn.LayerNorm(3)(x)).mistakes == ("dims(2,)",)


def test_tokens_batchnorm_slips() -> None:
    x = tokens_batch_norm.x
    mean, var = x.mean((0, 1)), x.var((0, 1), unbiased=False)
    assert tokens_batch_norm((x - mean) / torch.sqrt(x.var((0, 1)) + 1e-5)).mistakes == ("unbiased",)
    assert tokens_batch_norm((x - mean) / var.sqrt()).mistakes == ("no_eps",)
    assert tokens_batch_norm((x - mean) / (var + 1e-5)).mistakes == ("variance",)
