"""Exercises of notebook 10: what state_dict saves, whether a frozen BatchNorm's statistics move, and a freeze bug.

`bug_freeze(freeze)` runs the learner's freeze(model) on a small pretrained Conv-BatchNorm-Linear network, then one
step of a fine-tuning loop as people write it (`model.train()`, forward, backward, SGD step) and checks that the
BatchNorm's weight, bias and running statistics did not move, that it normalized with its running statistics, and
that the other layers still trained.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from normlab.check.core import prediction
from normlab.check.verdict import Verdict

__all__ = ["predict_frozen_running", "state_dict_keys", "bug_freeze", "pretrained", "fine_tune_step"]

predict_frozen_running = prediction(
    "predict_frozen_running",
    "bn = nn.BatchNorm2d(3); bn.requires_grad_(False); bn.train(); bn(x). Does bn.running_mean 'change' or 'stay'?",
    "change", {"stay": "requires_grad only tells autograd and the optimizer to leave weight and bias alone; the "
                       "running statistics are not parameters: every forward in train mode updates them"},
    also_right=("changes",))


class _KeysExercise:
    """Name the keys of a module's state_dict, as a set of strings."""

    name = "state_dict_keys"

    def __init__(self, make: Callable[[], nn.Module], question: str) -> None:
        self.make, self.question = make, question

    def __call__(self, answer: Any) -> Verdict:
        if answer is None:
            return Verdict.wrong(self.name, "no answer yet: replace None with a set of strings.", ("missing",))
        if isinstance(answer, str) or not all(isinstance(a, str) for a in answer):
            return Verdict.wrong(self.name, "answer with a set of strings, e.g. {'a', 'b'}.", ("type",))
        right, answer = set(self.make().state_dict()), set(answer)
        if answer == right:
            return Verdict.right(self.name, "correct.")
        said = []
        if answer & {"weight", "bias"}:
            said.append("with affine=False the layer has no weight and no bias")
        if {"running_mean", "running_var"} - answer:
            said.append("running_mean and running_var are buffers, and state_dict saves buffers as well as parameters")
        if "num_batches_tracked" not in answer:
            said.append("one more buffer counts the batches seen: state_dict saves it too")
        unknown = answer - right - {"weight", "bias"}
        if unknown:
            said.append(f"{', '.join(sorted(unknown))}: no tensor of this layer has that name")
        return Verdict.wrong(self.name, "; ".join(said) + ".", ("keys",))

    def __repr__(self) -> str:
        return f"{self.name}: {self.question}"


state_dict_keys = _KeysExercise(lambda: nn.BatchNorm2d(4, affine=False),
                                "Which keys does nn.BatchNorm2d(4, affine=False).state_dict() hold? A set of strings.")


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


BN_KEYS = ("1.weight", "1.bias", "1.running_mean", "1.running_var")


def _batch(seed: int = 11) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(8, 3, 5, 5, generator=gen) * 2 + 1, torch.randint(0, 2, (8,), generator=gen)


def fine_tune_step(model: nn.Module, seed: int = 11) -> torch.Tensor:
    """One step of the usual loop: model.train(), forward, cross-entropy, backward, SGD on what requires grad.
    Returns the output of the forward."""
    x, y = _batch(seed)
    model.train()
    out = model(x)
    trainable = [p for p in model.parameters() if p.requires_grad]
    if trainable:
        F.cross_entropy(out, y).backward()
        torch.optim.SGD(trainable, lr=0.1).step()
    return out.detach()


class _BugFreeze:
    """Run freeze(model), one fine-tuning step, and say what did not stay frozen (or what froze too much)."""

    name = "bug_freeze"
    question = ("Repair freeze_bn(model) so that a BatchNorm2d stays frozen (weight, bias, running statistics, and "
                "normalizing with the running statistics) through a fine-tuning loop that calls model.train().")

    def __call__(self, freeze: Any) -> Verdict:
        if freeze is None or not callable(freeze):
            return self._no("pass your function itself (its name, without calling it)", "missing")
        model = pretrained()
        with torch.no_grad():
            expected = pretrained()(_batch()[0])  # the pretrained network in eval mode
        before = {k: v.clone() for k, v in model.state_dict().items()}
        try:
            returned = freeze(model)
            model = returned if isinstance(returned, nn.Module) else model
            out = fine_tune_step(model)
        except Exception as exc:  # noqa: BLE001 - the learner's code may raise anything
            return self._no(f"freezing or the fine-tuning step raised {type(exc).__name__}: "
                            f"{str(exc).splitlines()[0]}", "raised")
        after = model.state_dict()
        if any(k not in after for k in BN_KEYS):
            return self._no("the model's state_dict lost the BatchNorm's entries (1.weight, 1.bias, 1.running_mean, "
                            "1.running_var): a pretrained checkpoint would no longer load", "keys")
        moved = {k.split(".", 1)[1] for k in BN_KEYS if not torch.equal(before[k], after[k])}
        if moved == {"running_mean", "running_var"}:
            return self._no("still the original bug: weight and bias stayed, but the running statistics moved during "
                            "the fine-tuning step (the loop calls model.train())", "running")
        if moved:
            return self._no(f"the BatchNorm is still training: {', '.join(sorted(moved))} moved during the "
                            "fine-tuning step, which calls model.train() first", "training")
        if any(torch.equal(before[k], after[k]) for k in ("0.weight", "4.weight")):
            return self._no("you froze more than the BatchNorm: the convolution and the linear layer must still "
                            "train", "everything")
        if not torch.allclose(out, expected, atol=1e-5):
            return self._no("the BatchNorm's state stayed, but in the fine-tuning step it normalized with the batch's "
                            "own statistics, not with the pretrained running statistics", "batch_stats")
        return Verdict.right(self.name, "the BatchNorm stayed frozen through model.train() and a training step, and "
                                        "the other layers trained.")

    def _no(self, message: str, mistake: str) -> Verdict:
        return Verdict.wrong(self.name, f"{message}.", (mistake,))

    def __repr__(self) -> str:
        return f"{self.name}: {self.question}"


bug_freeze = _BugFreeze()
