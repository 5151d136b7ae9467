"""normlab.check's running-statistics exercises (notebook 05): torch's answer gets ✓, each mistake is named."""

import pytest
import torch
from torch import nn

from normlab.check.running import eval_output, running_mean_update, torch_momentum


def test_running_mean_update_torch_is_right() -> None:
    e = running_mean_update
    bn = nn.BatchNorm1d(3, momentum=0.1)
    bn.running_mean.copy_(e.running_mean0)
    bn(e.x)
    assert e(bn.running_mean).ok


@pytest.mark.parametrize(("rule", "mistake"), [(lambda r, b: 0.1 * r + 0.9 * b, "d2l_momentum"),
                                               (lambda r, b: b, "no_update")])
def test_running_mean_update_mistakes(rule, mistake: str) -> None:
    e = running_mean_update
    assert e(rule(e.running_mean0, e.x.mean(0))).mistakes == (mistake,)


def test_torch_momentum() -> None:
    assert torch_momentum(0.1).ok
    assert torch_momentum(0.9).mistakes == ("d2l_momentum",)
    assert torch_momentum(10).mistakes == ("percent",)


def _bn_eval() -> nn.BatchNorm1d:
    e = eval_output
    bn = nn.BatchNorm1d(3).eval()
    with torch.no_grad():
        for name in ("running_mean", "running_var", "weight", "bias"):
            getattr(bn, name).copy_(getattr(e, name))
    return bn


def test_eval_output_torch_is_right_and_train_mode_is_named() -> None:
    bn = _bn_eval()
    assert eval_output(bn(eval_output.x)).ok
    verdict = eval_output(bn.train()(eval_output.x))
    assert verdict.mistakes == ("batch_stats",) and "statistics of these 4 samples" in str(verdict)


@pytest.mark.parametrize(("denominator", "affine", "mistake"), [
    (lambda v: v + 1e-5, True, "variance"), (lambda v: v.sqrt(), True, "no_eps"),
    (lambda v: (v + 1e-5).sqrt(), False, "no_affine")])
def test_eval_output_slips(denominator, affine: bool, mistake: str) -> None:
    e = eval_output
    y = (e.x - e.running_mean) / denominator(e.running_var)
    if affine:
        y = y * e.weight + e.bias
    assert e(y).mistakes == (mistake,)
