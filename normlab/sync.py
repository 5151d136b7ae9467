"""SyncBatchNorm from scratch on torch.distributed: BatchNorm over the union of every process's shard, any backend.

Forward, in training: each process reduces its own shard to (count, mean, M2) per channel, M2 being the sum of
squared deviations from its own mean; one all_gather shares them, and every process combines them in the same order
(Chan et al.'s parallel formula: no E[x²] - E[x]² cancellation), so all get the same mean, variance and running
statistics. Backward: dx needs two sums over the whole batch, sum(ĝ) and sum(ĝ·x̂) with ĝ = g·γ; one all_reduce adds
them up across processes. Weight and bias gradients stay per process (summed over the processes they are the whole
batch's; DistributedDataParallel all-reduces them like any other parameter's). Eval uses the running statistics, with
no communication. Without a process group (or with one process) it is BatchNorm. Statistics are computed in float32
at least (float16 and bfloat16 inputs included), on the input's device.


The layer is normlab.nn.SyncBatchNorm, built like normlab's other BatchNorms; this module is its computation.
"""

from __future__ import annotations

import torch
import torch.distributed as dist

from normlab.families import channel_view, reduces
from normlab.stats import update_running

__all__ = ["combine", "CollectiveError", "check_input", "sync_batch_norm"]


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
        shape = channel_view(x.dim())                             # (1, C, 1, ...) broadcasts over N and positions
        x_hat = (x.to(mean.dtype) - mean.view(shape)) * invstd.view(shape)       # in the statistics' float32
        ctx.save_for_backward(x_hat, weight, invstd, count)
        ctx.group = group
        ctx.shape = shape
        ctx.dtype = x.dtype
        y = x_hat if weight is None else x_hat * weight.view(shape)
        return (y if bias is None else y + bias.view(shape)).to(x.dtype)

    @staticmethod
    def backward(ctx, g):  # noqa: ANN001, ANN205
        x_hat, weight, invstd, n = ctx.saved_tensors
        shape = ctx.shape
        dims = reduces("BatchNorm", g.dim())                     # every dim but the channels
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


def check_input(x: torch.Tensor, num_features: int) -> None:
    """SyncBatchNorm takes (N, C) or (N, C, *) with the layer's C channels at dim 1."""
    if x.dim() < 2 or x.shape[1] != num_features:
        raise ValueError(f"SyncBatchNorm({num_features}) expects (N, C) or (N, C, *) with C = "
                         f"{num_features} at dim 1, got shape {tuple(x.shape)}.")


def _shard_stats(x: torch.Tensor) -> torch.Tensor:
    """This shard's (count, mean, M2) per channel, packed as one (3, C) tensor for the all_gather."""
    dims = reduces("BatchNorm", x.dim())
    x = x.to(torch.promote_types(x.dtype, torch.float32))
    count = x.numel() // x.shape[1]
    mean = x.mean(dims) if count else x.new_zeros(x.shape[1])                  # (C,)
    m2 = ((x - mean.view(channel_view(x.dim()))) ** 2).sum(dims)            # (C,)
    return torch.stack([torch.full_like(mean, count), mean, m2])


def _global_stats(x: torch.Tensor, group: dist.ProcessGroup | None) -> tuple[torch.Tensor, ...]:
    """Every process's (count, mean, M2), gathered in one collective and combined."""
    mine = _shard_stats(x.detach())
    world = _group_size(group)
    gathered = mine.unsqueeze(0)                                  # (1, 3, C)
    if world > 1:
        flat = mine.new_empty(world * 3, x.shape[1])              # the shards' (3, C), one after another
        _collective("all_gather of the batch statistics", _ALL_GATHER, flat, mine, group=group)
        gathered = flat.view(world, 3, x.shape[1])                # (world, 3, C)
    n, mean, var, unbiased = combine(gathered[:, 0], gathered[:, 1], gathered[:, 2])
    if n[0] <= 1:
        raise ValueError(f"SyncBatchNorm: expected more than 1 value per channel when training, got "
                         f"{int(n[0])} over all processes (input shape {list(x.shape)} here).")
    return n, mean, var, unbiased


def sync_batch_norm(input: torch.Tensor, running_mean: torch.Tensor | None, running_var: torch.Tensor | None,
                    weight: torch.Tensor | None, bias: torch.Tensor | None, momentum: float, eps: float,
                    group: dist.ProcessGroup | None = None) -> torch.Tensor:
    """BatchNorm in training over the union of every process's shard (one all_gather), updating the running stats.

    normlab.nn.SyncBatchNorm, the layer, checks the input at its door (check_input) before it calls this.
    """
    n, mean, var, unbiased = _global_stats(input, group)
    update_running(running_mean, running_var, mean, unbiased, momentum)
    return _SyncNormalize.apply(input, weight, bias, mean, torch.rsqrt(var + eps), n, group)
