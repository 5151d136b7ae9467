"""normlab's SyncBatchNorm against torch's BatchNorm on the concatenated batch, in 1, 2 and 3 real gloo processes.

Every multi-process test starts real processes (lessons.launch: spawn, gloo on 127.0.0.1, a free port, a timeout on
every collective and on the whole run) and compares with torch in this process.
"""

import inspect
import time

import pytest
import torch
from torch import nn

from normlab.lessons import shards
from normlab.lessons.launch import ProcessFailure, launch
from normlab.nn import SyncBatchNorm
from normlab.sync import combine

C = 4


def _batch(n: int = 12) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(0)
    return torch.randn(n, C, 3, generator=gen) * 2 + 1, torch.randn(n, C, 3, generator=gen)


def test_combine_is_the_whole_batch_statistics_without_cancellation() -> None:
    gen = torch.Generator().manual_seed(1)
    x = (torch.randn(30, C, generator=gen, dtype=torch.float64) * 1e-2 + 1e4).float()  # large mean, small spread
    truth = x.double().var(0, unbiased=False)
    parts = x.split([7, 13, 10])
    counts = torch.tensor([[len(p)] * C for p in parts], dtype=torch.float32)
    means = torch.stack([p.mean(0) for p in parts])
    m2s = torch.stack([((p - p.mean(0)) ** 2).sum(0) for p in parts])
    n, mean, var, unbiased = combine(counts, means, m2s)
    assert torch.equal(n, torch.full((C,), 30.0)) and torch.allclose(mean.double(), x.double().mean(0))
    assert torch.allclose(var.double(), truth, rtol=1e-2)
    assert torch.allclose(unbiased.double(), x.double().var(0), rtol=1e-2)
    naive = (x ** 2).mean(0) - x.mean(0) ** 2  # E[x²] - E[x]² in float32: nothing of the spread survives
    assert not torch.allclose(naive.double(), truth, rtol=0.5)


@pytest.mark.parametrize("layer", [nn.BatchNorm1d(C), nn.BatchNorm2d(C), nn.BatchNorm1d(C, momentum=None),
                                   nn.BatchNorm1d(C, affine=False), nn.BatchNorm1d(C, track_running_stats=False)])
def test_without_a_process_group_it_is_batchnorm(layer: nn.Module) -> None:
    sync = SyncBatchNorm.convert_sync_batchnorm(nn.Sequential(layer))[0]
    assert isinstance(sync, SyncBatchNorm)
    shape = (8, C, 5) if isinstance(layer, nn.BatchNorm1d) else (8, C, 3, 3)
    for step in range(3):
        x = torch.randn(shape, generator=torch.Generator().manual_seed(step)) * 3 - 1
        xa, xb = x.clone().requires_grad_(), x.clone().requires_grad_()
        g = torch.randn(shape)
        layer(xa).backward(g)
        sync(xb).backward(g)
        assert torch.allclose(xa.grad, xb.grad, atol=1e-5)
    for name, t in layer.state_dict().items():
        assert torch.allclose(t.float(), sync.state_dict()[name].float(), atol=1e-5), name
    if layer.affine:
        assert torch.allclose(layer.weight.grad, sync.weight.grad, atol=1e-4)
    layer.eval(), sync.eval()
    assert torch.allclose(layer(x), sync(x), atol=1e-5)


@pytest.mark.parametrize("sizes", [[12], [6, 6], [5, 4, 3]], ids=["1 process", "2 processes", "3 unequal"])
def test_sync_batchnorm_equals_batchnorm_on_the_concatenated_batch(sizes: list[int]) -> None:
    x, dout = _batch(sum(sizes))
    results = launch(shards.sync_report, len(sizes), x, dout, sizes, 2, timeout=90)
    want = shards.whole_batch(x, dout, 2)  # torch's BatchNorm1d on the concatenated batch
    for key in ("out", "dx", "eval_out"):  # each process holds its rows
        assert torch.allclose(torch.cat([r[key] for r in results]), want[key], atol=1e-5), key
    for key in ("dweight", "dbias"):  # each process holds its share: DDP sums them
        assert torch.allclose(sum(r[key] for r in results), want[key], atol=1e-4), key
    for r in results:  # the same running statistics on every process, bit for bit
        assert torch.allclose(r["running_mean"], want["running_mean"], atol=1e-6)
        assert torch.allclose(r["running_var"], want["running_var"], atol=1e-5)
        assert torch.equal(r["running_var"], results[0]["running_var"])
        expected = {"forward": 1, "backward": 1, "eval": 0} if len(sizes) > 1 else {"forward": 0, "backward": 0,
                                                                                  "eval": 0}
        assert r["collectives"] == expected
    if len(sizes) > 1:
        assert all("SyncBatchNorm expected input tensor to be on GPU" in r["torch"] for r in results)


@pytest.mark.parametrize("how", ["raise", "exit", "late"])
def test_a_failing_process_gives_a_clear_error_within_the_timeout(how: str) -> None:
    start = time.monotonic()
    with pytest.raises(ProcessFailure) as info:
        launch(shards.misbehave, 2, how, 30.0, timeout=6, collective_timeout=1.5)
    elapsed = time.monotonic() - start
    assert elapsed < 10, f"{how}: took {elapsed:.1f} s"  # the 6 s timeout, then every process is ended
    failure = info.value
    assert list(failure.failures) == [1]
    want = {"raise": "rank 1 failed before its forward", "exit": "exited with code 3", "late": "did not finish"}[how]
    assert want in failure.failures[1]
    assert failure.results[0].startswith("CollectiveError: SyncBatchNorm's all_gather of the batch statistics")
    assert "hint: every process must run the same forward" in failure.results[0]
    reason = {"raise": "closed its connection", "exit": "closed its connection", "late": "timed out"}[how]
    assert reason in failure.results[0]


def test_errors_teach() -> None:
    with pytest.raises(ValueError, match=r"\(N, C\) or \(N, C, \*\) with C = 4"):
        SyncBatchNorm(4)(torch.randn(2, 3))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        SyncBatchNorm(4)(torch.randn(1, 4))
    with pytest.raises(ValueError, match="at least one process"):
        launch(shards.misbehave, 0, "raise")


def test_half_precision_statistics_are_float32_and_conversion_shares_the_layers_tensors() -> None:
    x = torch.randn(64, C, 8, generator=torch.Generator().manual_seed(2)) * 30 + 100
    sync = SyncBatchNorm(C)
    out = sync(x.half())
    assert out.dtype == torch.float16
    assert torch.allclose(out.float(), nn.BatchNorm1d(C)(x.half().float()), atol=2e-2)
    no_bias = {"bias": False} if "bias" in inspect.signature(nn.BatchNorm1d).parameters else {}  # newer torch only
    bn = nn.BatchNorm1d(C, **no_bias)
    bn.weight.requires_grad_(False)
    converted = SyncBatchNorm.convert_sync_batchnorm(nn.Sequential(bn))[0]
    assert converted.weight is bn.weight and converted.bias is bn.bias and not converted.weight.requires_grad
    assert converted.running_mean is bn.running_mean
    xs = torch.randn(8, C, 3)
    assert torch.allclose(converted(xs), nn.BatchNorm1d(C, **no_bias)(xs), atol=1e-5)
