"""normlab.frozen: FrozenBatchNorm2d is eval-mode BatchNorm in any mode and dtype (notebook 10 teaches it)."""

import pytest
import torch
from torch import nn

from normlab import frozen


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_input_is_computed_in_float32_and_rounded_once(dtype):
    bn = nn.BatchNorm2d(3)
    with torch.no_grad():
        bn.running_mean.uniform_(-2, 2, generator=torch.Generator().manual_seed(1))
        bn.running_var.uniform_(0.5, 2, generator=torch.Generator().manual_seed(2))
    bn.eval()
    ice = frozen.FrozenBatchNorm2d.from_batchnorm(bn).train()
    x = (torch.randn(4, 3, 5, 5, generator=torch.Generator().manual_seed(3)) * 3).to(dtype)
    out = ice(x)
    assert out.dtype == torch.float32  # the dtype the input and the float32 buffers make, as torch's promotion gives
    want = bn(x.float())
    assert (out - want).abs().max() < 1e-5  # one rounding, in float32: the half input is exact in float32


def test_kept_as_is_puts_buffers_and_modes_back_even_after_an_error() -> None:
    from normlab.frozen import kept_as_is

    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4)).eval()
    model[1].train()  # a mixed mode, as a frozen part leaves it
    state = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(RuntimeError, match="the block failed"), kept_as_is(model):
        model.train()
        model(torch.randn(8, 3) * 3 + 1)  # training mode: the running statistics move
        raise RuntimeError("the block failed")
    assert [m.training for m in model.modules()] == [False, False, True]
    assert all(torch.equal(state[k], v) for k, v in model.state_dict().items())
