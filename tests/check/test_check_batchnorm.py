"""normlab.check's BatchNorm exercises: torch's own answer gets ✓, each typical mistake is named."""

import pytest
import torch
from torch import nn

from normlab import check
from normlab.check.exercise import judge
from normlab.check.verdict import Outcome

EPS = 1e-5


def wrong(x: torch.Tensor, dims: tuple[int, ...], unbiased: bool = False, by_var: bool = False,
          eps: float = EPS) -> torch.Tensor:
    """A learner's by-hand normalization with the given slips."""
    mean = x.mean(dims, keepdim=True)
    var = x.var(dims, unbiased=unbiased, keepdim=True) + eps
    return (x - mean) / (var if by_var else var.sqrt())


def finish(exercise, y: torch.Tensor) -> torch.Tensor:
    """The learner's last step: scale and shift each channel, if the exercise gives weight and bias."""
    if "weight" not in exercise._data:
        return y
    shape = (1, -1) + (1,) * (y.dim() - 2)
    return y * exercise.weight.reshape(shape) + exercise.bias.reshape(shape)


def with_affine(exercise, layer: nn.Module) -> nn.Module:
    """The torch layer with the exercise's weight and bias, if it gives them."""
    if "weight" in exercise._data:
        with torch.no_grad():
            layer.weight.copy_(exercise.weight)
            layer.bias.copy_(exercise.bias)
    return layer


class ChannelsLast(nn.Module):
    """torch's BatchNorm2d on channels-last images: to (N, C, H, W) and back."""

    def __init__(self, layer: nn.Module) -> None:
        super().__init__()
        self.layer = layer

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layer(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)


NORMALIZE = [(check.batch_norm1d_3d, nn.BatchNorm1d(3), (0, 2), [(0,), (2,), (1, 2)]),
             (check.batch_norm2d, ChannelsLast(nn.BatchNorm2d(3)), (0, 1, 2), [(0,), (1, 2), (0, 2, 3), (0, 1, 2, 3)])]


@pytest.mark.parametrize(("exercise", "layer", "dims", "bad_dims"), NORMALIZE)
def test_normalize_exercises(exercise, layer, dims, bad_dims) -> None:
    x, y = exercise.x, lambda out: finish(exercise, out)
    inner = with_affine(exercise, getattr(layer, "layer", layer))  # the torch layer itself
    assert exercise(layer.train()(x)).ok
    assert exercise(y(wrong(x, dims))).ok
    assert exercise(y(wrong(x, dims, unbiased=True))).mistakes == ("unbiased",)
    assert exercise(y(wrong(x, dims, by_var=True))).mistakes == ("variance",)
    assert exercise(y(wrong(x, dims, eps=0.0))).mistakes == ("no_eps",)
    assert exercise(y((x - x.mean(dims, keepdim=True)) / x.std(dims, keepdim=True))).mistakes == (
        "unbiased", "no_eps")
    assert exercise(y((x - x.mean(dims, keepdim=True)) / x.var(dims, keepdim=True))).mistakes == (
        "unbiased", "variance", "no_eps")  # a common first attempt
    for bad in bad_dims:
        verdict = exercise(y(wrong(x, bad)))
        assert verdict.mistakes == (f"dims{bad}",)
        said = str(verdict)
        assert f"your statistics come from dims {bad} = " in said and f"{type(inner).__name__} on" in said
        assert str(dims) not in str(verdict)  # the mistake is named, the right dims are not given away
    assert exercise(x).mistakes == ("unknown",)
    assert exercise(x[:1]).mistakes == ("shape",)
    assert repr(exercise(x)).startswith("✗") and repr(exercise(layer(x))).startswith("✓")


def test_dims_message_names_layer_and_layout() -> None:
    x = check.batch_norm1d_3d.x
    assert str(check.batch_norm1d_3d(finish(check.batch_norm1d_3d, wrong(x, (0,))))) == (
        "✗ batch_norm1d_3d: your statistics come from dims (0,) = N: one mean per (C, L); which elements does "
        "BatchNorm1d on (N, C, L) put in one group?")


def test_exercise_data_are_fresh_copies_and_questions_print() -> None:
    ex = check.batch_norm1d_3d
    x = ex.x
    x += 100
    assert not torch.equal(x, ex.x)
    assert "BatchNorm1d(3)" in repr(ex)
    with pytest.raises(AttributeError, match="it gives: x, weight, bias"):
        getattr(ex, "y")  # noqa: B009 - the attribute lookup is what is tested


def test_judge_prefers_the_right_answer_when_a_mistake_coincides() -> None:
    outcomes = [Outcome(torch.ones(2), ("no_update",)), Outcome(torch.ones(2))]
    assert judge(torch.ones(2), outcomes, "t").ok


def test_affine_exercise() -> None:
    ex = check.batch_norm1d_affine
    x, weight, bias = ex.x, ex.weight, ex.bias
    bn = nn.BatchNorm1d(3).train()
    with torch.no_grad():
        bn.weight.copy_(weight)
        bn.bias.copy_(bias)
    assert ex(bn(x)).ok
    x_hat = wrong(x, (0,))
    assert ex(weight * x_hat + bias).ok
    assert ex(bias * x_hat + weight).mistakes == ("swapped",)
    assert ex(x_hat).mistakes == ("no_affine",)
    assert ex(weight * wrong(x, (0,), unbiased=True) + bias).mistakes == ("unbiased",)
    assert ex(weight * wrong(x, (1,)) + bias).mistakes == ("dims(1,)",)


def test_3d_affine_exercise_names_affine_slips() -> None:
    ex = check.batch_norm1d_3d
    x_hat = wrong(ex.x, (0, 2))
    assert ex(x_hat).mistakes == ("no_affine",)
    w, b = ex.weight.reshape(1, 3, 1), ex.bias.reshape(1, 3, 1)
    assert ex(x_hat * b + w).mistakes == ("swapped",)
    assert "(1, 3, 1)" not in str(ex(x_hat)) and "reshape" not in str(ex(x_hat))
