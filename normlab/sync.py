"""SyncBatchNorm from scratch on torch.distributed: BatchNorm over the union of every process's shard, any backend.

Forward, in training: each process reduces its own shard to (count, mean, M2) per channel, M2 being the sum of
squared deviations from its own mean; one all_gather shares them, and every process combines them in the same order
(Chan et al.'s parallel formula: no E[x²] - E[x]² cancellation), so all get the same mean, variance and running
statistics. Backward: dx needs two sums over the whole batch, sum(ĝ) and sum(ĝ·x̂) with ĝ = g·γ; one all_reduce adds
them up across processes. Weight and bias gradients stay per process (summed over the processes they are the whole
batch's; DistributedDataParallel all-reduces them like any other parameter's). Eval uses the running statistics, with
no communication. Without a process group (or with one process) it is BatchNorm. Statistics are computed in float32
at least (float16 and bfloat16 inputs included), on the input's device.
"""

from __future__ import annotations

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn

from normlab.swap import swap_modules

__all__ = ["combine", "CollectiveError", "SyncBatchNorm"]


def combine(counts: torch.Tensor, means: torch.Tensor, m2s: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """Per channel, from each shard's (count, mean, M2): the total count, mean, biased and unbiased variance."""
    n = counts.sum(0)                                            # (C,)
    mean = (counts * means).sum(0) / n
    m2 = m2s.sum(0) + (counts * (means - mean) ** 2).sum(0)      # within shards + between shards
    return n, mean, m2 / n, m2 / (n - 1).clamp_min(1)


# torch 2.13 warns that all_gather_into_tensor is deprecated for all_gather_single; torch 2.4 has only the first
_ALL_GATHER = getattr(dist, "all_gather_single", None) or dist.all_gather_into_tensor


class CollectiveError(RuntimeError):
    """A collective of SyncBatchNorm failed: a process crashed, skipped a step, or the timeout passed."""


def _group_size(group: dist.ProcessGroup | None) -> int:
    """How many processes share the statistics (1 without a process group)."""
    return dist.get_world_size(group) if dist.is_available() and dist.is_initialized() else 1


def _reason(err: RuntimeError) -> str:
    """gloo's error in a few words (its full text stays in the exception's __cause__)."""
    text = str(err)
    if "Timed out" in text or "timeout" in text.lower():
        return "it timed out: a process did not arrive"
    if "onnection" in text or "Read error" in text or "Write error" in text:
        return "a process closed its connection: it crashed or exited"
    return text.splitlines()[0]


def _collective(what: str, op, *args, group: dist.ProcessGroup | None) -> None:
    """Run one collective; a failure becomes an error that says what went wrong and what to check."""
    try:
        op(*args, group=group)
    except RuntimeError as err:
        raise CollectiveError(
            f"SyncBatchNorm's {what} on rank {dist.get_rank()} of {dist.get_world_size(group)} failed: {_reason(err)}"
            "\n  hint: every process must run the same forward and backward passes through its SyncBatchNorm layers, "
            "in the same order; a process that crashed or skipped one leaves the others waiting until the process "
            "group's timeout.") from err


class _SyncNormalize(torch.autograd.Function):
    """y = (x - mean) * invstd * weight + bias with global statistics; its backward adds two sums across processes."""

    @staticmethod
    def forward(ctx, x, weight, bias, mean, invstd, count, group):  # noqa: ANN001, ANN205 - autograd's signature
        shape = (1, -1) + (1,) * (x.dim() - 2)                    # (1, C, 1, ...) broadcasts over N and positions
        x_hat = (x.to(mean.dtype) - mean.view(shape)) * invstd.view(shape)       # in the statistics' float32
        ctx.save_for_backward(x_hat, weight, invstd, count)
        ctx.group, ctx.shape, ctx.dtype = group, shape, x.dtype
        y = x_hat if weight is None else x_hat * weight.view(shape)
        return (y if bias is None else y + bias.view(shape)).to(x.dtype)

    @staticmethod
    def backward(ctx, g):  # noqa: ANN001, ANN205
        x_hat, weight, invstd, n = ctx.saved_tensors
        shape, dims = ctx.shape, [0, *range(2, g.dim())]         # every dim but the channels
        g = g.to(x_hat.dtype)
        g_hat = g if weight is None else g * weight.view(shape)
        sums = torch.cat([g_hat.sum(dims), (g_hat * x_hat).sum(dims)])          # (2C,): this shard's part
        if _group_size(ctx.group) > 1:
            _collective("all_reduce of the gradient sums", dist.all_reduce, sums, group=ctx.group)
        sum_g, sum_gx = sums.chunk(2)
        dx = invstd.view(shape) * (g_hat - (sum_g / n).view(shape) - x_hat * (sum_gx / n).view(shape))
        dweight = (g * x_hat).sum(dims).to(weight.dtype) if ctx.needs_input_grad[1] else None
        dbias = g.sum(dims).to(weight.dtype if weight is not None else ctx.dtype) if ctx.needs_input_grad[2] else None
        return dx.to(ctx.dtype), dweight, dbias, None, None, None, None


class SyncBatchNorm(nn.Module):
    """BatchNorm whose training statistics cover every process's shard of the batch (input (N, C) or (N, C, *))."""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, process_group: dist.ProcessGroup | None = None) -> None:
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats, self.process_group = affine, track_running_stats, process_group
        self.weight = nn.Parameter(torch.ones(num_features)) if affine else None
        self.bias = nn.Parameter(torch.zeros(num_features)) if affine else None
        if track_running_stats:
            self.register_buffer("running_mean", torch.zeros(num_features))
            self.register_buffer("running_var", torch.ones(num_features))
            self.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.long))
        else:
            self.running_mean = self.running_var = self.num_batches_tracked = None

    def _shard_stats(self, x: torch.Tensor) -> torch.Tensor:
        """This shard's (count, mean, M2) per channel, packed as one (3, C) tensor for the all_gather."""
        dims, x = [0, *range(2, x.dim())], x.to(torch.promote_types(x.dtype, torch.float32))
        count = x.numel() // self.num_features
        mean = x.mean(dims) if count else x.new_zeros(self.num_features)
        m2 = ((x - mean.view(1, -1, *(1,) * (x.dim() - 2))) ** 2).sum(dims)
        return torch.stack([torch.full_like(mean, count), mean, m2])

    def _global_stats(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """Every process's (count, mean, M2), gathered in one collective and combined."""
        mine, world = self._shard_stats(x.detach()), _group_size(self.process_group)
        gathered = mine.unsqueeze(0)
        if world > 1:
            flat = mine.new_empty(world * 3, self.num_features)   # the shards' (3, C), one after another
            _collective("all_gather of the batch statistics", _ALL_GATHER, flat, mine, group=self.process_group)
            gathered = flat.view(world, 3, self.num_features)
        n, mean, var, unbiased = combine(gathered[:, 0], gathered[:, 1], gathered[:, 2])
        if n[0] <= 1:
            raise ValueError(f"SyncBatchNorm: expected more than 1 value per channel when training, got "
                             f"{int(n[0])} over all processes (input shape {list(x.shape)} here).")
        return n, mean, var, unbiased

    def _update_running(self, mean: torch.Tensor, unbiased: torch.Tensor) -> None:
        self.num_batches_tracked += 1
        m = 1.0 / float(self.num_batches_tracked) if self.momentum is None else self.momentum
        with torch.no_grad():
            self.running_mean.mul_(1 - m).add_(m * mean)
            self.running_var.mul_(1 - m).add_(m * unbiased)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() < 2 or x.shape[1] != self.num_features:
            raise ValueError(f"SyncBatchNorm({self.num_features}) expects (N, C) or (N, C, *) with C = "
                             f"{self.num_features} at dim 1, got shape {tuple(x.shape)}.")
        if not self.training:  # eval: the running statistics (or, without them, this shard's own), no communication
            return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                                not self.track_running_stats, 0.0, self.eps)
        n, mean, var, unbiased = self._global_stats(x)
        if self.track_running_stats:
            self._update_running(mean, unbiased)
        return _SyncNormalize.apply(x, self.weight, self.bias, mean, torch.rsqrt(var + self.eps), n,
                                    self.process_group)

    @classmethod
    def convert_sync_batchnorm(cls, module: nn.Module, process_group: dist.ProcessGroup | None = None) -> nn.Module:
        """Replace every torch BatchNorm1d/2d/3d in module by a SyncBatchNorm that shares its parameters and buffers
        (so optimizers, frozen weights, dtype and device carry over); returns module."""
        def convert(bn: nn.Module) -> SyncBatchNorm:
            sync = cls(bn.num_features, bn.eps, bn.momentum, bn.affine, bn.track_running_stats, process_group)
            if bn.affine:
                sync.weight, sync.bias = bn.weight, bn.bias   # the same Parameters (bias may be None)
            if bn.track_running_stats:
                sync.running_mean, sync.running_var = bn.running_mean, bn.running_var
                sync.num_batches_tracked = bn.num_batches_tracked
            return sync.train(bn.training)

        return swap_modules(module, nn.modules.batchnorm._BatchNorm, convert)  # torch's base of BatchNorm1d/2d/3d

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"track_running_stats={self.track_running_stats}")
