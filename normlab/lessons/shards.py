"""What each process of notebook 11 runs (spawned processes import their function by name, so they live here).

Every function takes (rank, world_size, ...) as `lessons.launch.launch` calls it, works on its own shard of a batch
that every process builds the same way, and returns plain tensors and strings for the parent to compare.
"""

from __future__ import annotations

import os
import time

import torch
import torch.distributed as dist
from torch import nn

from normlab.nn import SyncBatchNorm

__all__ = ["shard", "local_batchnorm", "torch_sync_on_cpu", "whole_batch", "sync_step", "count_collectives",
           "rank_report", "sync_report", "misbehave", "time_sync"]


def shard(x: torch.Tensor, sizes: list[int], rank: int) -> torch.Tensor:
    """This rank's rows of x, for shards of the given sizes (they need not be equal)."""
    start = sum(sizes[:rank])
    return x[start:start + sizes[rank]]


def local_batchnorm(rank: int, world_size: int, x: torch.Tensor, sizes: list[int]) -> dict[str, torch.Tensor]:
    """A plain nn.BatchNorm1d on this process's shard only: its output and running mean after one step."""
    bn = nn.BatchNorm1d(x.shape[1])
    out = bn(shard(x, sizes, rank))
    return {"out": out.detach(), "running_mean": bn.running_mean.clone()}


def torch_sync_on_cpu(rank: int, world_size: int) -> str:
    """What torch's own nn.SyncBatchNorm says when it meets a CPU tensor in training, inside a process group."""
    try:
        nn.SyncBatchNorm(3)(torch.randn(4, 3))
    except ValueError as err:
        return f"{type(err).__name__}: {err}"
    return "no error"


def _init_affine(bn: nn.Module) -> None:
    """The weight and bias every SyncBatchNorm check here starts from (not torch's 1 and 0, so they count)."""
    with torch.no_grad():
        bn.weight.copy_(torch.linspace(0.5, 1.5, bn.num_features))
        bn.bias.copy_(torch.linspace(-1, 1, bn.num_features))


def _train_then_eval(bn: nn.Module, x: torch.Tensor, dout: torch.Tensor, steps: int) -> dict[str, torch.Tensor]:
    """`steps` training forwards and backwards (gradients add up: reported / steps), then one eval forward."""
    mine = x.clone().requires_grad_()
    for _ in range(steps):
        out = bn(mine)
        out.backward(dout)
    bn.eval()
    return {"out": out.detach(), "dx": mine.grad / steps, "dweight": bn.weight.grad / steps,
            "dbias": bn.bias.grad / steps, "running_mean": bn.running_mean.clone(),
            "running_var": bn.running_var.clone(), "eval_out": bn(x).detach()}


def whole_batch(x: torch.Tensor, dout: torch.Tensor, steps: int = 1, momentum: float | None = 0.1) -> dict:
    """The reference, in one process: torch's nn.BatchNorm1d on the whole batch, as sync_step runs its shards."""
    bn = nn.BatchNorm1d(x.shape[1], momentum=momentum)
    _init_affine(bn)
    return _train_then_eval(bn, x, dout, steps)


def sync_step(rank: int, world_size: int, x: torch.Tensor, dout: torch.Tensor, sizes: list[int],
              steps: int = 1, momentum: float | None = 0.1) -> dict[str, torch.Tensor]:
    """normlab's SyncBatchNorm on this shard: `steps` training forwards and backwards, then one eval forward."""
    bn = SyncBatchNorm.convert_sync_batchnorm(nn.BatchNorm1d(x.shape[1], momentum=momentum))
    _init_affine(bn)
    return _train_then_eval(bn, shard(x, sizes, rank), shard(dout, sizes, rank), steps)


def count_collectives(rank: int, world_size: int, x: torch.Tensor, sizes: list[int]) -> dict[str, int]:
    """The collectives torch's profiler records (gloo:...) in one training forward, one backward, one eval forward."""
    from torch.profiler import profile  # imported here: only this worker needs the profiler

    bn = SyncBatchNorm(x.shape[1])
    mine = shard(x, sizes, rank).clone().requires_grad_()
    counts = {}
    for phase in ("forward", "backward", "eval"):
        with profile() as prof:
            if phase == "forward":
                out = bn(mine)
            elif phase == "backward":
                out.sum().backward()
            else:
                bn.eval()(mine)
        counts[phase] = sum(e.name.startswith("gloo:") for e in prof.events())
    return counts


def sync_report(rank: int, world_size: int, x: torch.Tensor, dout: torch.Tensor, sizes: list[int],
                steps: int = 1) -> dict:
    """sync_step's results, the collectives counted, and torch's own SyncBatchNorm on CPU (with 2+ processes)."""
    return {**sync_step(rank, world_size, x, dout, sizes, steps), "collectives": count_collectives(
        rank, world_size, x, sizes), "torch": torch_sync_on_cpu(rank, world_size) if world_size > 1 else ""}


def misbehave(rank: int, world_size: int, how: str, late_by: float = 30.0) -> str:
    """Rank 1 raises, exits or arrives `late_by` seconds late; the others run a SyncBatchNorm forward and report its
    error."""
    if rank == 1:
        if how == "raise":
            raise RuntimeError("rank 1 failed before its forward")
        if how == "exit":
            os._exit(3)
        time.sleep(late_by)  # "late": longer than the collective timeout
        return "late"
    try:
        SyncBatchNorm(3)(torch.randn(4, 3))
    except Exception as err:  # noqa: BLE001 - the error itself is the result
        return f"{type(err).__name__}: {err}"
    return "no error"


def time_sync(rank: int, world_size: int, batch: int, channels: int, repeats: int) -> list[float]:
    """Seconds per training forward + backward of SyncBatchNorm on a (batch / world_size, channels, 8, 8) shard."""
    bn = SyncBatchNorm(channels)
    x = torch.randn(batch // world_size, channels, 8, 8, requires_grad=True)
    g = torch.randn_like(x)
    times = []
    for _ in range(repeats + 1):
        dist.barrier()
        start = time.perf_counter()
        bn(x).backward(g)
        times.append(time.perf_counter() - start)
    return times[1:]


def rank_report(rank: int, world_size: int, x: torch.Tensor, dout: torch.Tensor, sizes: list[int],
                steps: int = 1) -> dict:
    """A plain BatchNorm1d on this rank's shard ("local"), then sync_report's results."""
    return {"local": local_batchnorm(rank, world_size, x, sizes),
            **sync_report(rank, world_size, x, dout, sizes, steps)}
