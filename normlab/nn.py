"""Torch-like normalization modules on top of normlab.functional; state_dicts load both ways with torch's.

Each layer takes the input ranks normlab.families gives it, checks its input once in forward, and calls one
normlab.functional function (SyncBatchNorm in training: normlab.sync's).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.distributed as dist
from torch import nn

from normlab import errors, families, sync
from normlab import functional as nlF
from normlab.swap import share_state, swap_modules

__all__ = ["BatchNorm1d", "BatchNorm2d", "InstanceNorm1d", "InstanceNorm2d", "LayerNorm", "GroupNorm", "RMSNorm",
           "SyncBatchNorm"]


def _gamma_beta(shape: int | tuple[int, ...], learn: bool, bias: bool, device: torch.device | None,
                dtype: torch.dtype | None) -> tuple[nn.Parameter | None, nn.Parameter | None]:
    """gamma = 1 and beta = 0 of the given shape, as torch creates them (None where not learned)."""
    kw = {"device": device, "dtype": dtype}
    gamma = nn.Parameter(torch.ones(shape, **kw)) if learn else None
    beta = nn.Parameter(torch.zeros(shape, **kw)) if learn and bias else None
    return gamma, beta


class _NormBase(nn.Module):
    """Per-channel gamma/beta and running statistics, named exactly as torch names them."""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, device: torch.device | None = None,
                 dtype: torch.dtype | None = None, *, bias: bool = True) -> None:
        super().__init__()
        kw = {"device": device, "dtype": dtype}
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        self.weight, self.bias = _gamma_beta(num_features, affine, bias, device, dtype)
        track = track_running_stats
        self.register_buffer("running_mean", torch.zeros(num_features, **kw) if track else None)
        self.register_buffer("running_var", torch.ones(num_features, **kw) if track else None)
        self.register_buffer("num_batches_tracked",
                             torch.tensor(0, dtype=torch.long, device=device) if track else None)

    def reset_running_stats(self) -> None:
        """Running mean 0, running variance 1, no batches seen."""
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1)
            self.num_batches_tracked.zero_()

    def reset_parameters(self) -> None:
        """Gamma 1, beta 0 and fresh running statistics."""
        self.reset_running_stats()
        if self.affine:
            nn.init.ones_(self.weight)
            if self.bias is not None:
                nn.init.zeros_(self.bias)

    def _check_channels(self, x: torch.Tensor, kind: type[Exception] = RuntimeError) -> None:
        """Where the layer holds per-channel tensors, x's channel dim must match them (torch's rule)."""
        if self.affine or self.track_running_stats:
            errors.check_channels(x, self.num_features, "running_mean" if self.track_running_stats else "weight", kind)

    extra_repr = nn.modules.batchnorm._NormBase.extra_repr  # the repr of this torch's own layer


class _BatchNorm(_NormBase):
    """BatchNorm: batch statistics in training (updating running ones), running statistics in eval."""

    def _check_input(self, input: torch.Tensor) -> None:
        """The input ranks this layer takes (batch_norm then checks the channel count)."""
        errors.check_layer_ndim(input, families.layer_of(type(self)).accepts, type(self).__name__)

    def _momentum(self) -> float:
        """This step's momentum; momentum=None is the cumulative average, 1 / the number of batches seen."""
        if self.training and self.track_running_stats:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:
                return 1.0 / float(self.num_batches_tracked)
        return 0.0 if self.momentum is None else self.momentum

    def _batch_norm(self, input: torch.Tensor, running_mean: torch.Tensor | None, running_var: torch.Tensor | None,
                    use_batch_stats: bool, momentum: float) -> torch.Tensor:
        return nlF.batch_norm(input, running_mean, running_var, self.weight, self.bias, use_batch_stats, momentum,
                              self.eps)

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        self._check_input(input)
        momentum = self._momentum()
        use_batch_stats = self.training or self.running_mean is None
        use_buffers = not self.training or self.track_running_stats
        running_mean = self.running_mean if use_buffers else None
        running_var = self.running_var if use_buffers else None
        return self._batch_norm(input, running_mean, running_var, use_batch_stats, momentum)


class BatchNorm1d(_BatchNorm):
    """BatchNorm over (N, C) or (N, C, L): one mean and variance per feature C."""


class BatchNorm2d(_BatchNorm):
    """BatchNorm over (N, C, H, W): one mean and variance per channel C, across N, H and W."""


class SyncBatchNorm(_BatchNorm):
    """BatchNorm whose training statistics cover every process's shard of the batch (normlab.sync; notebook 11).

    Input (N, C) or (N, C, *). In eval it is BatchNorm on this process alone: no communication.
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, process_group: dist.ProcessGroup | None = None,
                 device: torch.device | None = None, dtype: torch.dtype | None = None) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype)
        self.process_group = process_group

    def _check_input(self, input: torch.Tensor) -> None:
        sync.check_input(input, self.num_features)

    def _batch_norm(self, input: torch.Tensor, running_mean: torch.Tensor | None, running_var: torch.Tensor | None,
                    use_batch_stats: bool, momentum: float) -> torch.Tensor:
        if not self.training:  # eval: the running statistics (or, without them, this shard's own)
            return super()._batch_norm(input, running_mean, running_var, use_batch_stats, momentum)
        return sync.sync_batch_norm(input, running_mean, running_var, self.weight, self.bias, momentum, self.eps,
                                    self.process_group)

    @classmethod
    def convert_sync_batchnorm(cls, module: nn.Module, process_group: dist.ProcessGroup | None = None) -> nn.Module:
        """Replace every torch BatchNorm1d/2d/3d in module by a SyncBatchNorm that shares its parameters and buffers
        (so optimizers, frozen weights, dtype and device carry over); returns module."""
        def convert(bn: nn.Module) -> SyncBatchNorm:
            layer = cls(bn.num_features, bn.eps, bn.momentum, bn.affine, bn.track_running_stats, process_group)
            return share_state(bn, layer).train(bn.training)

        return swap_modules(module, nn.modules.batchnorm._BatchNorm, convert)  # torch's base of BatchNorm1d/2d/3d


class _InstanceNorm(_NormBase):
    """InstanceNorm: statistics per sample and channel; accepts an unbatched input too."""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = False,
                 track_running_stats: bool = False, device: torch.device | None = None,
                 dtype: torch.dtype | None = None, *, bias: bool = True) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias)

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        layer = families.layer_of(type(self))
        errors.check_layer_ndim(input, layer.accepts, type(self).__name__)
        unbatched = input.dim() == layer.accepts[0]  # e.g. (C, L): one sample without its batch dim
        x = input.unsqueeze(0) if unbatched else input  # (N, C, ...)
        if self.affine:
            self._check_channels(x, ValueError)
        use_input_stats = self.training or not self.track_running_stats
        momentum = 0.0 if self.momentum is None else self.momentum
        y = nlF.instance_norm(x, self.running_mean, self.running_var, self.weight, self.bias, use_input_stats,
                              momentum, self.eps)
        return y.squeeze(0) if unbatched else y


class InstanceNorm1d(_InstanceNorm):
    """InstanceNorm over (N, C, L) or (C, L): statistics per sample and channel over L."""


class InstanceNorm2d(_InstanceNorm):
    """InstanceNorm over (N, C, H, W) or (C, H, W): statistics per sample and channel over H and W."""


class LayerNorm(nn.Module):
    """LayerNorm: statistics per sample over the trailing dims given by normalized_shape."""

    def __init__(self, normalized_shape: int | Sequence[int], eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True, device: torch.device | None = None, dtype: torch.dtype | None = None) -> None:
        super().__init__()
        self.normalized_shape = families.normalized_shape(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        self.weight, self.bias = _gamma_beta(self.normalized_shape, elementwise_affine, bias, device, dtype)

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return nlF.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    extra_repr = nn.LayerNorm.extra_repr


class RMSNorm(nn.Module):
    """RMSNorm: divide by the root mean square of the trailing dims (no centering, no bias)."""

    def __init__(self, normalized_shape: int | Sequence[int], eps: float | None = None,
                 elementwise_affine: bool = True, device: torch.device | None = None,
                 dtype: torch.dtype | None = None) -> None:
        super().__init__()
        self.normalized_shape = families.normalized_shape(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        self.weight = _gamma_beta(self.normalized_shape, elementwise_affine, False, device, dtype)[0]

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return nlF.rms_norm(input, self.normalized_shape, self.weight, self.eps)

    extra_repr = nn.RMSNorm.extra_repr


class GroupNorm(nn.Module):
    """GroupNorm: channels split into num_groups groups, statistics per sample and group."""

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5, affine: bool = True,
                 device: torch.device | None = None, dtype: torch.dtype | None = None, *, bias: bool = True) -> None:
        super().__init__()
        if num_channels % num_groups != 0:
            raise ValueError(f"num_channels must be divisible by num_groups\n  hint: {num_channels} channels "
                             f"cannot be split into {num_groups} equal groups; pick a divisor of {num_channels}.")
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = eps
        self.affine = affine
        self.weight, self.bias = _gamma_beta(num_channels, affine, bias, device, dtype)

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return nlF.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    extra_repr = nn.GroupNorm.extra_repr
