"""Gradient accumulation against one big batch, and notebook 11's exercises."""

import pytest
import torch
from torch import nn

from normlab import check
from normlab.check.batches import backward, backward_cases, backward_slips, combine_slips
from normlab.lessons.accumulation import accumulate_vs_big
from normlab.sync import combine


def _batch() -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(3)
    return torch.randn(12, 4, 5, generator=gen) * 2 + 1, torch.randn(12, 4, 5, generator=gen)


@pytest.mark.parametrize("make", [lambda: nn.LayerNorm([4, 5]), lambda: nn.GroupNorm(2, 4),
                                  lambda: nn.InstanceNorm1d(4, affine=True)])
def test_per_sample_norms_agree_with_the_big_batch(make) -> None:
    x, dout = _batch()
    assert accumulate_vs_big(make, x, dout, 3).agrees


def test_batchnorm_does_not_and_the_difference_is_what_torch_computes() -> None:
    x, dout = _batch()
    r = accumulate_vs_big(lambda: nn.BatchNorm1d(4), x, dout, 3)
    assert not r.agrees
    big, small = nn.BatchNorm1d(4), nn.BatchNorm1d(4)
    outs = torch.cat([small(chunk) for chunk in x.chunk(3)])
    assert abs(r.output - (big(x) - outs).abs().max().item()) < 1e-6
    assert abs(r.running_mean - (big.running_mean - small.running_mean).abs().max().item()) < 1e-6


def test_a_batch_that_does_not_split_is_refused() -> None:
    x, dout = _batch()
    with pytest.raises(ValueError, match="pick a divisor of 12"):
        accumulate_vs_big(lambda: nn.BatchNorm1d(4), x, dout, 5)


def test_combine_exercises_name_each_slip() -> None:
    assert check.combine_by_hand(lambda c, m, s: combine(c, m, s)[:3])
    for key, (fn, _) in combine_slips().items():
        assert check.combine_by_hand(fn).mistakes == (key,), key
    assert check.predict_accumulation("different") and not check.predict_accumulation("the same")


def test_sync_backward_reference_is_batchnorm_backward_on_the_whole_batch() -> None:
    """The checker's reference equals torch's BatchNorm1d input gradient, split into the ranks' shards."""
    for sizes in ([5, 4, 3], [2, 8, 2]):
        gen = torch.Generator().manual_seed(len(sizes) + sizes[0])
        x = (torch.randn(sum(sizes), 3, generator=gen, dtype=torch.float64) * 2 + 1).requires_grad_()
        g = torch.randn(sum(sizes), 3, generator=gen, dtype=torch.float64)
        bn = torch.nn.BatchNorm1d(3, dtype=torch.float64)
        with torch.no_grad():
            bn.weight.uniform_(0.5, 1.5, generator=gen)
        bn(x).backward(g)
        invstd = 1 / torch.sqrt(x.detach().var(0, unbiased=False) + bn.eps)
        x_hat, g_hat = (x.detach() - x.detach().mean(0)) * invstd, g * bn.weight.detach()
        ours = torch.cat(backward(list(g_hat.split(sizes)), list(x_hat.split(sizes)), invstd))
        assert torch.allclose(ours, x.grad, atol=1e-10), sizes
    assert len(backward_cases()) == 3


def test_sync_backward_verdicts() -> None:
    assert check.bug_sync_backward(backward)
    for key, (fn, message) in backward_slips().items():
        verdict = check.bug_sync_backward(fn)
        assert verdict.mistakes == (key,) and "all_reduce" not in message and "sum" not in message
    assert check.bug_sync_backward(lambda g, x, r: None).mistakes == ("missing",)
    assert check.bug_sync_backward(lambda g, x, r: [t * 0 for t in g]).mistakes == ("unknown",)
    assert "shards" not in check.predict_accumulation("same").message.split(":", 1)[1]
