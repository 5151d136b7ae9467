"""Running statistics: how BatchNorm's running mean and variance follow the batches, and why eval() matters."""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass

import torch
from torch import nn

from normlab import nn as nlnn

__all__ = ["RunningTrace", "simulate_running_stats", "convert_momentum", "batches_to_forget",
           "EvalEffect", "toy_bn_classifier", "forgot_eval_effect"]

_CONVENTIONS = {"torch": "weight of the NEW batch value", "d2l": "weight of the OLD running value",
                "keras": "weight of the OLD running value"}


@dataclass(frozen=True)
class RunningTrace:
    """Batches (steps, batch_size, 1), running mean/var after each (index 0: the initial 0 and 1), true values."""

    momentum: float | None
    batches: torch.Tensor
    batch_mean: torch.Tensor
    batch_var: torch.Tensor
    running_mean: torch.Tensor
    running_var: torch.Tensor
    true_mean: float
    true_var: float

    def __repr__(self) -> str:
        steps = len(self.batch_mean)
        return (f"RunningTrace(momentum={self.momentum}, steps={steps}, running_mean={self.running_mean[-1]:.4f}, "
                f"running_var={self.running_var[-1]:.4f}, true_mean={self.true_mean}, true_var={self.true_var})")


def simulate_running_stats(steps: int = 30, momentum: float | None = 0.1, batch_size: int = 16,
                           true_mean: float = 3.0, true_std: float = 2.0, seed: int = 0) -> RunningTrace:
    """Feed `steps` seeded batches from N(true_mean, true_std^2) through BatchNorm1d(1) in train mode."""
    if batch_size < 2:
        raise ValueError(f"batch_size={batch_size}: training BatchNorm needs at least 2 values per channel "
                         "(one value has variance 0), so use batch_size >= 2.")
    if momentum is not None and not 0 <= momentum <= 1:
        raise ValueError(f"momentum={momentum}: torch's momentum is the weight of the new batch value, in [0, 1]"
                         f"; a d2l/Keras momentum m corresponds to torch momentum 1 - m.")
    gen = torch.Generator().manual_seed(seed)
    batches = true_mean + true_std * torch.randn(steps, batch_size, 1, generator=gen)
    bn = nlnn.BatchNorm1d(1, momentum=momentum)
    means, vars_ = [bn.running_mean.item()], [bn.running_var.item()]
    for batch in batches:
        bn(batch)
        means.append(bn.running_mean.item())
        vars_.append(bn.running_var.item())
    return RunningTrace(momentum, batches, batches.mean(dim=(1, 2)), batches.var(dim=(1, 2)), torch.tensor(means),
                        torch.tensor(vars_), true_mean, true_std ** 2)


def convert_momentum(value: float, src: str = "d2l", dst: str = "torch") -> float:
    """Translate a momentum between torch (weight of the new value) and d2l/Keras (weight of the old value)."""
    for name in (src, dst):
        if name not in _CONVENTIONS:
            raise ValueError(f"unknown convention {name!r}: use one of {sorted(_CONVENTIONS)} "
                             f"(torch: {_CONVENTIONS['torch']}; d2l/keras: {_CONVENTIONS['d2l']}).")
    if not 0 <= value <= 1:
        raise ValueError(f"momentum {value} is not in [0, 1]: it is a weight in a weighted average.")
    same = (src == "torch") == (dst == "torch")
    return value if same else round(1 - value, 12)


def batches_to_forget(momentum: float, fraction: float = 0.01) -> int:
    """How many batches (torch momentum) until the initial running value weighs less than `fraction`."""
    if not 0 < momentum <= 1:
        raise ValueError(f"momentum={momentum}: with torch's convention 0 never updates; use 0 < momentum <= 1.")
    return 1 if momentum == 1 else math.ceil(math.log(fraction) / math.log(1 - momentum))


@dataclass(frozen=True)
class EvalEffect:
    """Accuracy of one trained model on the same test set in eval() and in (forgotten) train() mode."""

    batch_size: int
    accuracy_eval: float
    accuracy_train_mode: float
    max_logit_diff: float
    running_mean_drift: float

    def __repr__(self) -> str:
        return (f"EvalEffect(batch_size={self.batch_size}, accuracy_eval={self.accuracy_eval:.4f}, "
                f"accuracy_train_mode={self.accuracy_train_mode:.4f}, max_logit_diff={self.max_logit_diff:.4f}, "
                f"running_mean_drift={self.running_mean_drift:.4f})")


def _blobs(n: int, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Two Gaussian classes in 2-D, centred away from the origin so the batch mean carries the class."""
    y = torch.arange(n) % 2
    centres = torch.tensor([[2.0, 2.0], [4.0, 3.0]])
    return centres[y] + 0.6 * torch.randn(n, 2, generator=gen), y


def toy_bn_classifier(seed: int = 0, steps: int = 150, lr: float = 0.2) -> tuple[nn.Module, torch.Tensor, torch.Tensor]:
    """Train Linear-BatchNorm1d-ReLU-Linear on two blobs (seeded); return the model in eval mode and a test set."""
    gen = torch.Generator().manual_seed(seed)
    with torch.random.fork_rng():  # seeded weights without moving the caller's global random state
        torch.manual_seed(seed)
        model = nn.Sequential(nn.Linear(2, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 2))
    for _ in range(steps):  # plain SGD by hand: torch.optim's first use costs seconds of imports
        x, y = _blobs(32, gen)
        model.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        with torch.no_grad():
            for p in model.parameters():
                p -= lr * p.grad
    x_test, y_test = _blobs(200, gen)
    order = torch.argsort(y_test, stable=True)  # requests arrive grouped: same-class samples share a batch
    return model.eval(), x_test[order], y_test[order]


@torch.no_grad()
def forgot_eval_effect(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 2) -> EvalEffect:
    """Predict x in batches with model.eval() and with model.train() (on a copy); measure what changes."""
    if batch_size < 2:
        raise ValueError("batch_size=1 in train mode raises 'Expected more than 1 value per channel when "
                         "training': a single sample has no batch variance. Use batch_size >= 2.")
    trained = copy.deepcopy(model).eval()
    forgot = copy.deepcopy(model).train()
    logits_eval = torch.cat([trained(xb) for xb in x.split(batch_size)])
    logits_train = torch.cat([forgot(xb) for xb in x.split(batch_size)])
    drift = max((a - b).abs().max().item() for (name, a), (_, b) in
                zip(trained.named_buffers(), forgot.named_buffers(), strict=True) if name.endswith("running_mean"))
    return EvalEffect(batch_size, (logits_eval.argmax(1) == y).float().mean().item(),
                      (logits_train.argmax(1) == y).float().mean().item(),
                      (logits_eval - logits_train).abs().max().item(), drift)
