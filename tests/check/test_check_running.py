"""normlab.check's running-statistics exercises (notebook 05): torch's answer gets ✓, each mistake is named."""

import pytest
import torch
from torch import nn

from normlab.check.running import eval_output, running_var_two_steps, torch_momentum


def test_running_var_two_steps_torch_is_right() -> None:
    e = running_var_two_steps
    bn = nn.BatchNorm1d(3, momentum=0.1)
    with torch.no_grad():
        bn.running_var.copy_(e.running_var0)
    bn(e.x1)
    bn(e.x2)
    assert e(bn.running_var).ok


def _step(running, x, old=0.9, correction=1):
    return old * running + (1 - old) * x.var(0, correction=correction)


@pytest.mark.parametrize(("answer", "mistakes"), [
    (lambda e: _step(_step(e.running_var0, e.x1, correction=0), e.x2, correction=0), ("biased_running_var",)),
    (lambda e: _step(_step(e.running_var0, e.x1, old=0.1), e.x2, old=0.1), ("d2l_momentum",)),
    (lambda e: _step(e.running_var0, e.x2), ("one_step",)),
    (lambda e: _step(e.running_var0, e.x1), ("one_step",)),
    (lambda e: _step(_step(torch.ones(3), e.x1), e.x2), ("from_default",)),
    (lambda e: _step(e.running_var0, torch.cat([e.x1, e.x2])), ("one_batch",)),
    (lambda e: e.x2.var(0), ("no_update",))])
def test_running_var_two_steps_mistakes(answer, mistakes) -> None:
    e = running_var_two_steps
    verdict = e(answer(e))
    assert verdict.mistakes == mistakes
    right = e.running_var0
    for x in (e.x1, e.x2):
        right = _step(right, x)
    assert f"{right[0].item():.2f}" not in str(verdict) and "unbiased" not in str(verdict)


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
