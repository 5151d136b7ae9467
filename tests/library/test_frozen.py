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
