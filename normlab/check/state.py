"""Exercises of notebook 10: what state_dict saves, and a freeze bug.

`bug_freeze(freeze)` runs the learner's freeze(model) on a small pretrained Conv-BatchNorm-Linear network, then one
step of a fine-tuning loop as people write it (`model.train()`, forward, backward, SGD step) and checks that the
BatchNorm's weight, bias and running statistics did not move, that it normalized with its running statistics, and
that the other layers still trained.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from normlab.check.functions import is_function
from normlab.check.verdict import Verdict
from normlab.frozen import fine_tune_step, pretrained

__all__ = ["predict_state_dict_keys", "bug_freeze", "pretrained", "fine_tune_step"]


class _KeysExercise:
    """Name the keys of a module's state_dict, as a set of strings."""

    name = "predict_state_dict_keys"

    def __init__(self, make: Callable[[], nn.Module], question: str) -> None:
        self.make, self.question = make, question

    def __call__(self, answer: Any) -> Verdict:
        if answer is None:
            return Verdict.wrong(self.name, "no answer yet: replace None with a set of strings.", ("missing",))
        if isinstance(answer, str) or not hasattr(answer, "__iter__") or not all(isinstance(a, str) for a in answer):
            return Verdict.wrong(self.name, "answer with a set of strings, e.g. {'a', 'b'}.", ("type",))
        right, answer = set(self.make().state_dict()), set(answer)
        if answer == right:
            return Verdict.right(self.name, "correct.")
        said, extra, missing = [], answer - right, right - answer
        if extra:
            said.append(f"{len(extra)} of your keys {'is' if len(extra) == 1 else 'are'} not in its state_dict")
        if missing:
            said.append(f"your set misses {len(missing)} of the keys its state_dict holds")
        return Verdict.wrong(self.name, "; ".join(said) + ".", ("keys",))

    def __repr__(self) -> str:
        return f"{self.name}: {self.question}"


predict_state_dict_keys = _KeysExercise(
    lambda: nn.BatchNorm2d(4, track_running_stats=False),
    "Which keys does nn.BatchNorm2d(4, track_running_stats=False).state_dict() hold? A set of strings.")


BN_KEYS = ("1.weight", "1.bias", "1.running_mean", "1.running_var")


def _batch(seed: int = 11) -> torch.Tensor:
    """The input of fine_tune_step's forward (the same seeded draw)."""
    return torch.randn(8, 3, 5, 5, generator=torch.Generator().manual_seed(seed)) * 2 + 1


class _BugFreeze:
    """Run freeze(model), one fine-tuning step, and say what did not stay frozen (or what froze too much)."""

    name = "bug_freeze"
    question = ("Repair freeze_bn(model) so that a BatchNorm2d stays frozen (weight, bias, running statistics, and "
                "normalizing with the running statistics) through a fine-tuning loop that calls model.train().")

    def __call__(self, freeze: Any) -> Verdict:
        if not is_function(freeze):
            return self._no("pass your function itself (its name, without calling it)", "missing")
        model = pretrained().train()  # as a training script holds it when it calls freeze
        with torch.no_grad():
            expected = pretrained()(_batch())  # the pretrained network in eval mode
        before = {k: v.clone() for k, v in model.state_dict().items()}
        try:
            returned = freeze(model)
            model = returned if isinstance(returned, nn.Module) else model
            bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
            put_in_eval = bool(bns) and not any(m.training for m in bns)
            out = fine_tune_step(model)
        except Exception as exc:  # noqa: BLE001 - the learner's code may raise anything
            return self._no(f"freezing or the fine-tuning step raised {type(exc).__name__}: "
                            f"{str(exc).splitlines()[0]}", "raised")
        after = model.state_dict()
        if any(k not in after for k in BN_KEYS):
            return self._no("the model's state_dict lost the BatchNorm's entries (1.weight, 1.bias, 1.running_mean, "
                            "1.running_var): a pretrained checkpoint would no longer load", "keys")
        moved = {k.split(".", 1)[1] for k in BN_KEYS if not torch.equal(before[k], after[k])}
        if moved == {"running_mean", "running_var"} and put_in_eval:
            return self._no("your freeze_bn switched the BatchNorm out of training mode, yet after one step of the "
                            "fine-tuning loop above its running_mean and running_var are no longer the pretrained "
                            "ones; follow the BatchNorm's mode through that loop line by line", "eval_undone")
        if moved == {"running_mean", "running_var"}:
            return self._no("still the original bug: after one step of the fine-tuning loop above the BatchNorm's "
                            "running_mean and running_var are no longer the pretrained ones (its weight and bias are); "
                            "follow the BatchNorm through that loop line by line", "running")
        if moved:
            return self._no(f"after one fine-tuning step the BatchNorm's {', '.join(sorted(moved))} are no longer "
                            "the pretrained ones", "training")
        if any(torch.equal(before[k], after[k]) for k in ("0.weight", "4.weight")):
            return self._no("the BatchNorm stayed, and so did the convolution's and the linear layer's weights: "
                            "nothing else trains", "everything")
        if not torch.allclose(out, expected, atol=1e-5):
            return self._no("the BatchNorm's tensors stayed, but the fine-tuning step's output is not the pretrained "
                            "network's: the BatchNorm normalized with this batch's own statistics", "batch_stats")
        return Verdict.right(self.name, "the BatchNorm stayed frozen through model.train() and a training step, and "
                                        "the other layers trained.")

    def _no(self, message: str, mistake: str) -> Verdict:
        return Verdict.wrong(self.name, f"{message}.", (mistake,))

    def __repr__(self) -> str:
        return f"{self.name}: {self.question}"


bug_freeze = _BugFreeze()
