"""normlab.check's LayerNorm exercises (notebook 04): torch's answer gets ✓, each recognised mistake is named."""

import pytest
import torch
from torch import nn

from normlab.check.layernorm import layer_norm_channels, layer_norm_weight_shape


def by_hand(x: torch.Tensor, dims: tuple[int, ...], unbiased: bool = False, by_var: bool = False,
            eps: float = 1e-5) -> torch.Tensor:
    """A learner's normalization over dims with the given slips."""
    var = x.var(dims, unbiased=unbiased, keepdim=True) + eps
    return (x - x.mean(dims, keepdim=True)) / (var if by_var else var.sqrt())


def test_channels_only_layernorm() -> None:
    x = layer_norm_channels.x
    ln = nn.LayerNorm(3)
    assert layer_norm_channels(ln(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)).ok
    assert layer_norm_channels(ln(x.permute(0, 2, 3, 1))).mistakes == ("not_back",)
    verdict = layer_norm_channels(nn.LayerNorm([3, 2, 2])(x))
    assert verdict.mistakes == ("dims(1, 2, 3)",) and "= C, H, W" in str(verdict)
    assert layer_norm_channels(by_hand(x, (1,), eps=0.0)).mistakes == ("no_eps",)


@pytest.mark.parametrize(("answer", "mistake"), [((16,), "per_channel"), ((8, 16, 5, 5), "with_batch"),
                                                 ((1, 16, 5, 5), "broadcast"), ((5,), "last_dim")])
def test_weight_shape_mistakes(answer: tuple, mistake: str) -> None:
    assert layer_norm_weight_shape(answer).mistakes == (mistake,)


def test_weight_shape_right_answer_from_torch() -> None:
    assert layer_norm_weight_shape(tuple(nn.LayerNorm([16, 5, 5]).weight.shape)).ok
    assert layer_norm_weight_shape(nn.LayerNorm([16, 5, 5]).weight.shape).ok
