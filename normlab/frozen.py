"""A BatchNorm that stays frozen, and running statistics recomputed after the data (or the weights) changed.

`FrozenBatchNorm2d` is the layer detection libraries put in place of a pretrained `BatchNorm2d` when fine-tuning:
weight, bias and running statistics are buffers (no optimizer sees them, no forward changes them), and its forward
is the eval-mode BatchNorm whatever `.train()` says. `recalibrate` recomputes every BatchNorm's running statistics
as the plain average over a pass of data (momentum=None), as `torch.optim.swa_utils.update_bn` does.
`pretrained()` and `fine_tune_step(model)` are the small network and the training step notebook 10 freezes it for.
`kept_as_is(model)` runs a block that may change a model (a forward in training mode, a learner's code) and puts
every buffer and every module's mode back after it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import torch
import torch.nn.functional as F
from torch import nn

from normlab.stats import eval_scale_shift
from normlab.swap import swap_modules

__all__ = ["FrozenBatchNorm2d", "freeze_batchnorm", "recalibrate", "kept_as_is", "pretrained", "fine_tune_step"]


class FrozenBatchNorm2d(nn.Module):
    """y = (x - running_mean) / sqrt(running_var + eps) * weight + bias, per channel of (N, C, H, W); never updated."""

    def __init__(self, num_features: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.register_buffer("weight", torch.ones(num_features))
        self.register_buffer("bias", torch.zeros(num_features))
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))

    @classmethod
    def from_batchnorm(cls, bn: nn.BatchNorm2d) -> FrozenBatchNorm2d:
        """A frozen copy of bn's affine parameters and running statistics (bn must track them)."""
        if bn.running_mean is None:
            raise ValueError(f"{bn} keeps no running statistics (track_running_stats=False): there is nothing to "
                             "freeze. Freeze a BatchNorm that was trained with track_running_stats=True.")
        frozen = cls(bn.num_features, bn.eps)
        with torch.no_grad():
            if bn.affine:
                frozen.weight.copy_(bn.weight)
                frozen.bias.copy_(bn.bias)
            frozen.running_mean.copy_(bn.running_mean)
            frozen.running_var.copy_(bn.running_var)
        return frozen.to(bn.running_mean.device)

    def _load_from_state_dict(self, state_dict: dict, prefix: str, *args: object) -> None:
        state_dict.pop(prefix + "num_batches_tracked", None)  # a BatchNorm2d checkpoint loads as it is
        super()._load_from_state_dict(state_dict, prefix, *args)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or x.shape[1] != self.num_features:
            raise ValueError(f"FrozenBatchNorm2d({self.num_features}) expects (N, C, H, W) with C = "
                             f"{self.num_features}, got shape {tuple(x.shape)}.")
        # y = γ (x - μ) / sqrt(σ² + eps) + β = x * scale + shift, one scale and one shift per channel
        scale, shift = eval_scale_shift(self.running_mean, self.running_var, self.weight, self.bias, self.eps)
        per_channel = (1, self.num_features, 1, 1)  # to broadcast over (N, C, H, W)
        y = x * scale.view(per_channel) + shift.view(per_channel)  # in float32 at least: one rounding
        return y.to(torch.promote_types(x.dtype, self.running_var.dtype))  # the dtype x and the buffers make

    def extra_repr(self) -> str:
        return f"{self.num_features}, eps={self.eps}"


def freeze_batchnorm(model: nn.Module) -> nn.Module:
    """Replace every nn.BatchNorm2d inside model by its FrozenBatchNorm2d, in place; returns model (a FrozenBatchNorm2d
    when model itself is a BatchNorm2d)."""
    return swap_modules(model, nn.BatchNorm2d, FrozenBatchNorm2d.from_batchnorm)


@torch.no_grad()
def recalibrate(model: nn.Module, batches: Iterable) -> nn.Module:
    """Recompute every BatchNorm's running statistics as the average over one pass of `batches` (inputs, or
    (inputs, labels) pairs); weights, momenta and the model's mode are left as they were."""
    # _BatchNorm: torch's base class of BatchNorm1d/2d/3d and SyncBatchNorm (update_bn tests the same class)
    norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.track_running_stats]
    if not norms:
        raise ValueError("the model has no BatchNorm that tracks running statistics: nothing to recalibrate.")
    momenta = [m.momentum for m in norms]
    was_training = model.training
    for m in norms:
        m.reset_running_stats()  # mean 0, var 1, num_batches_tracked 0
        m.momentum = None  # the cumulative average: every batch weighs the same
    model.train()
    for batch in batches:
        model(batch[0] if isinstance(batch, (tuple, list)) else batch)
    for m, momentum in zip(norms, momenta, strict=True):
        m.momentum = momentum
    return model.train(was_training)


@contextmanager
def kept_as_is(model: nn.Module) -> Iterator[None]:
    """Run the block, then put back every buffer (running statistics, num_batches_tracked) and every module's mode."""
    buffers = {name: b.clone() for name, b in model.named_buffers()}
    modes = [m.training for m in model.modules()]
    try:
        yield
    finally:
        with torch.no_grad():
            for name, b in model.named_buffers():
                b.copy_(buffers[name])
        for m, mode in zip(model.modules(), modes, strict=True):
            m.training = mode


def pretrained(seed: int = 10) -> nn.Sequential:
    """A small Conv2d-BatchNorm2d-ReLU-Linear network whose BatchNorm has seen data (eval mode, as loaded)."""
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(),
                          nn.Linear(4 * 5 * 5, 2))
    with torch.no_grad():
        model[1].weight.uniform_(0.5, 1.5)
        model[1].bias.uniform_(-0.5, 0.5)
        for _ in range(5):
            model(torch.randn(8, 3, 5, 5) * 2 + 1)
    return model.eval()


def fine_tune_step(model: nn.Module, seed: int = 11) -> torch.Tensor:
    """One step of the usual loop: model.train(), forward, cross-entropy, backward, SGD on what requires grad.
    Returns the output of the forward."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(8, 3, 5, 5, generator=gen) * 2 + 1  # (N, C, H, W)
    y = torch.randint(0, 2, (8,), generator=gen)
    model.train()
    out = model(x)
    trainable = [p for p in model.parameters() if p.requires_grad]
    if trainable:
        F.cross_entropy(out, y).backward()
        torch.optim.SGD(trainable, lr=0.1).step()
    return out.detach()
