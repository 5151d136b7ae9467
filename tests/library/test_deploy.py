"""Folding against torch.nn.utils.fusion and the unfolded pair; notebook 12's exercises."""

import pytest
import torch
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval, fuse_linear_bn_eval

from normlab import check
from normlab.check.deploy import fold_next, fold_slips, ignores_bias, in_place
from normlab.deploy import fold_batchnorm


def _trained(layer: nn.Module, bn: nn.Module, shape: tuple[int, ...]) -> tuple[nn.Module, nn.Module]:
    torch.manual_seed(len(shape))
    with torch.no_grad():
        for _ in range(5):
            bn(layer(torch.randn(shape) * 2 + 1))
        if bn.affine:
            bn.weight.uniform_(0.5, 1.5)
            bn.bias.uniform_(-1, 1)
    return layer.eval(), bn.eval()


PAIRS = [(lambda: nn.Linear(5, 4), lambda: nn.BatchNorm1d(4), (8, 5)),
         (lambda: nn.Linear(5, 4, bias=False), lambda: nn.BatchNorm1d(4, affine=False), (8, 5)),
         (lambda: nn.Conv1d(3, 4, 3), lambda: nn.BatchNorm1d(4), (2, 3, 9)),
         (lambda: nn.Conv2d(6, 8, 3, groups=2, bias=False), lambda: nn.BatchNorm2d(8), (2, 6, 7, 7)),
         (lambda: nn.Conv2d(4, 4, 3, groups=4), lambda: nn.BatchNorm2d(4), (2, 4, 6, 6)),
         (lambda: nn.Conv3d(2, 4, 3), lambda: nn.BatchNorm3d(4), (2, 2, 5, 5, 5))]


@pytest.mark.parametrize("make_layer,make_bn,shape", PAIRS)
def test_fold_equals_the_pair_and_torch_fusion(make_layer, make_bn, shape) -> None:
    layer, bn = _trained(make_layer(), make_bn(), shape)
    x = torch.randn(shape)
    folded = fold_batchnorm(layer, bn)
    with torch.no_grad():
        want = bn(layer(x))
        assert type(folded) is type(layer) and torch.allclose(folded(x), want, atol=1e-5)
        if bn.affine:  # torch's fusion needs a weight and bias (normlab's fold takes gamma = 1, beta = 0)
            fused = fuse_linear_bn_eval(layer, bn) if isinstance(layer, nn.Linear) else fuse_conv_bn_eval(layer, bn)
            assert torch.allclose(folded(x), fused(x), atol=1e-5)
        assert torch.allclose(bn(layer(x)), want)  # the originals are untouched


def test_fold_refuses_what_cannot_be_folded() -> None:
    conv = nn.Conv2d(3, 8, 3)
    with pytest.raises(ValueError, match="training mode"):
        fold_batchnorm(conv, nn.BatchNorm2d(8))
    with pytest.raises(ValueError, match="8 output channels but BatchNorm2d normalizes 16"):
        fold_batchnorm(conv, nn.BatchNorm2d(16).eval())
    with pytest.raises(ValueError, match="track_running_stats=False"):
        fold_batchnorm(conv, nn.BatchNorm2d(8, track_running_stats=False).eval())
    with pytest.raises(TypeError, match="Linear or Conv1d/2d/3d"):
        fold_batchnorm(nn.ReLU(), nn.BatchNorm2d(8).eval())
    with pytest.raises(TypeError, match="BatchNorm1d/2d/3d"):
        fold_batchnorm(conv, nn.LayerNorm(8))


def test_fold_exercises() -> None:
    assert check.fold_next_by_hand(fold_next)
    for key, (fn, _) in fold_slips().items():
        assert check.fold_next_by_hand(fn).mistakes == (key,), key
    w, b, gamma, beta, mean, var = (torch.randn(3, 4), torch.randn(3), torch.rand(4) + 0.5, torch.randn(4),
                                    torch.randn(4), torch.rand(4) + 0.5)
    bn, linear = nn.BatchNorm1d(4).eval(), nn.Linear(4, 3)
    with torch.no_grad():  # the reference against torch: linear(bn(x)) == x @ W'.T + b'
        bn.weight.copy_(gamma), bn.bias.copy_(beta), bn.running_mean.copy_(mean), bn.running_var.copy_(var)
        linear.weight.copy_(w), linear.bias.copy_(b)
        x = torch.randn(5, 4)
        wf, bf = fold_next(w, b, gamma, beta, mean, var, 1e-5)
        assert torch.allclose(x @ wf.T + bf, linear(bn(x)), atol=1e-5)
    assert check.bug_fold(fold_batchnorm)
    assert check.bug_fold(in_place).mistakes == ("original",)
    assert check.bug_fold(ignores_bias).mistakes == ("ignores_bias",)
    assert check.bug_fold(lambda conv, bn: None).mistakes == ("missing",)
    assert check.predict_overflow("float16") and not check.predict_overflow("bfloat16")
    x = torch.randn(4, 1024) * 300  # what the prediction is about, computed
    assert torch.isinf((x.half() ** 2).sum(-1)).all() and torch.isfinite((x.bfloat16() ** 2).sum(-1)).all()


def test_overflow_verdicts_describe_without_naming_the_answer() -> None:
    for wrong, key in (("bfloat16", "wrong0"), ("both", "wrong1"), ("neither", "wrong2")):
        verdict = check.predict_overflow(wrong)
        assert verdict.mistakes == (key,) and "float16" not in verdict.message.split(":", 1)[1].replace("bfloat16", "")
        assert "bfloat16" not in verdict.message.split(":", 1)[1] and "largest value" in verdict.message
    assert check.predict_overflow(None).mistakes == ("missing",)
    original = check.bug_fold(in_place).message
    assert "original bug" in original and "copy" not in original


def test_folding_subtracts_the_mean_before_scaling():
    """A bias close to a large running mean: (b - mean) taken first keeps its digits, b * scale - mean * scale not."""
    linear = nn.Linear(4, 3)
    bn = nn.BatchNorm1d(3).eval()
    with torch.no_grad():
        linear.bias.fill_(1000.0)
        bn.running_mean.fill_(1000.3)
        bn.running_var.fill_(1e-4)
        bn.weight.fill_(3.0)
    x = torch.randn(5, 4, generator=torch.Generator().manual_seed(0))
    z = x.double() @ linear.weight.double().T + linear.bias.double()  # the pair in float64
    want = (z - bn.running_mean.double()) / torch.sqrt(bn.running_var.double() + bn.eps) * 3.0
    assert (fold_batchnorm(linear, bn)(x).double() - want).abs().max() < 1e-4
