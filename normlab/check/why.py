"""Exercises of notebook 07 (why normalize): the largest learning rate BatchNorm tolerates, the norm for batches of
2, and a training loop whose evaluation breaks the training that follows. Right answers come from the runs."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

import torch
import torch.nn.functional as F

from normlab.check.exercise import Exercise, prediction
from normlab.check.verdict import Outcome, Verdict

__all__ = ["predict_bn_largest_lr", "design_norm_for_batch_of_2", "bug_train_and_report", "LoopBug", "reference"]


def _plain_and_bn() -> tuple[list[bool], list[bool]]:
    """At each of the sweep's rates: does the plain network, and the one with BatchNorm, train in every seed?"""
    from normlab.lessons.why import LRS, SEEDS, count, sweep_runs

    return ([count(sweep_runs(norm, lr)) == len(SEEDS) for lr in LRS] for norm in ("none", "batch"))


def _largest_lr() -> tuple[list[Outcome], dict[str, str]]:
    """The largest rate at which the BatchNorm network trains in every seed, and what each other rate means."""
    from normlab.lessons.why import LRS, SEEDS, count, sweep_runs

    plain, with_bn = _plain_and_bn()
    right = max(lr for lr, ok in zip(LRS, with_bn, strict=True) if ok)
    outcomes, messages = [Outcome(right)], {}
    for k, (lr, ok) in enumerate(zip(LRS, with_bn, strict=True)):
        if lr == right:
            continue
        if ok:
            messages[f"lr{k}"] = "at that rate the BatchNorm network trains in every seed"
        else:
            diverged = count(sweep_runs("batch", lr), "diverges")
            messages[f"lr{k}"] = (f"at that rate the BatchNorm network does not train in every seed: {diverged} of "
                                  f"{len(SEEDS)} diverge" + (", as without BatchNorm" if not plain[k] else ""))
        outcomes.append(Outcome(lr, (f"lr{k}",)))
    messages["unknown"] = "answer with one of the sweep's rates"
    return outcomes, messages


class _Prediction(Exercise):
    """An Exercise that says 'no answer yet' without computing its outcomes (here they cost training runs)."""

    def __call__(self, answer: Any) -> Verdict:
        if answer is None:
            return Verdict.wrong(self.name, "no answer yet: replace None with a number.", ("missing",))
        return super().__call__(answer)


predict_bn_largest_lr = _Prediction(
    "predict_bn_largest_lr",
    "Put BatchNorm before every ReLU of the same network and train it the same way. Of the sweep's rates (0.03, "
    "0.1, 0.3, 1, 3, 10), which is the largest at which it trains in every seed? Answer with a number.",
    {}, _largest_lr)

design_norm_for_batch_of_2 = prediction(
    "design_norm_for_batch_of_2",
    "Only 2 images fit in memory per step. Which normalization do you put in the digits MLP: 'batch', 'group' or "
    "'layer'?",
    "group", {"batch": "with that choice, every seed trained on batches of 2 ends below 60% test accuracy, far under "
                       "the same network trained on batches of 64"},
    also_right=("layer",))


def reference(net, digits, lr, epochs):
    """A correct loop: the notebook's, with the test accuracy after every epoch and the mode restored."""
    from normlab.lessons.experiment import accuracy
    from normlab.lessons.seeds import SEEDS, SeedBatches

    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    batches = SeedBatches(digits.x_train, digits.y_train, 60, SEEDS)
    losses, accuracies = [], []
    net.train()
    for _ in range(epochs):
        for x, y in batches:
            loss = F.cross_entropy(net(x).transpose(1, 2), y, reduction="none").mean(1)
            optimizer.zero_grad()
            loss.sum().backward()
            optimizer.step()
            losses.append(loss.detach())
        accuracies.append(accuracy(net, digits))
    return torch.stack(losses), torch.stack(accuracies)


@lru_cache(maxsize=1)
def _setting() -> tuple:
    """The run every answer is tried on: the BatchNorm ReLU network, standardized digits, lr 1, 3 epochs."""
    from normlab.lessons.digits import load_digits
    from normlab.lessons.seeds import DTYPE

    return load_digits("standard", DTYPE), 1.0, 3


def _run(fn: Callable) -> Any:
    """fn on a fresh network (what it returns, or the exception it raised)."""
    from normlab.lessons.experiment import network

    try:
        return fn(network("batch", "relu"), *_setting())
    except Exception as exc:  # noqa: BLE001 - the learner's code may raise anything: that is an answer too
        return exc


@lru_cache(maxsize=1)
def _reference_result() -> tuple[torch.Tensor, torch.Tensor]:
    return _run(reference)


class LoopBug:
    """Find the bug in a training loop: the learner's loop is run on a fresh network and its losses and reported
    accuracies are compared with a correct loop's; a wrong loop is described by what its run shows."""

    name = "bug_train_and_report"
    question = ("Repair train_and_report(net, digits, lr, epochs): it trains and reports each seed's test accuracy "
                "after every epoch, and must return the losses (steps, S) and the accuracies (epochs, S).")

    def __call__(self, fn: Any) -> Verdict:
        """✓ if the loop trains and reports as a correct one; else the symptom its run shows."""
        if fn is None or not callable(fn):
            return Verdict.wrong(self.name, "pass your function itself (its name, without calling it).", ("missing",))
        got, (losses, accs) = _run(fn), _reference_result()
        if isinstance(got, Exception):
            return Verdict.wrong(self.name, f"your function raised {type(got).__name__}: {str(got).splitlines()[0]}.",
                                 ("raised",))
        if not (isinstance(got, tuple) and len(got) == 2 and all(isinstance(t, torch.Tensor) for t in got)):
            return Verdict.wrong(self.name, "return two tensors: the losses and the accuracies.", ("returns",))
        got_losses, got_accs = got
        if got_losses.shape != losses.shape or got_accs.shape != accs.shape:
            return Verdict.wrong(self.name, f"your loop returned shapes {tuple(got_losses.shape)} and "
                                 f"{tuple(got_accs.shape)}; the loop above returns one loss per step and seed, one "
                                 "accuracy per epoch and seed.", ("shape",))
        same = torch.allclose(got_losses, losses, rtol=1e-6, atol=1e-9, equal_nan=True)
        if same and torch.allclose(got_accs, accs, atol=1e-9):
            return Verdict.right(self.name, "correct: every seed's loss falls epoch after epoch, and the accuracies "
                                 "are those of the network as it will be used on new images.")
        return Verdict.wrong(self.name, self._symptom(got_losses, got_accs, same), ("original" if not
                             torch.isfinite(got_losses).all() else "reported" if same else "unknown",))

    @staticmethod
    def _symptom(losses: torch.Tensor, accs: torch.Tensor, same: bool) -> str:
        """What the learner's run shows: where the loss stops being finite, what the accuracies do."""
        steps, seeds = losses.shape
        per_epoch = steps // len(accs)
        bad = ~torch.isfinite(losses)
        if bad.any():
            first = int(bad.any(1).nonzero()[0]) // per_epoch  # the epoch in which a loss first turns to nan
            fine = ("the accuracy it reports after epoch 1 is above 0.8 in every seed, but then " if first > 0 and
                    bool((accs[0] > 0.8).all()) else "")
            after = accs[first:].max().item()
            return (f"{fine}the training loss turns to nan during epoch {first + 1} in {int(bad.any(0).sum())} of "
                    f"{seeds} seeds, and no accuracy it reports from then on is above {after:.2f} (chance: 0.10).")
        if same:
            return ("your loop trains as it should, but the accuracies it reports are not what the trained network "
                    "gives on new images.")
        ref = _reference_result()[0]
        epoch = next(k for k in range(len(accs)) if not torch.allclose(
            losses[k * per_epoch:(k + 1) * per_epoch], ref[k * per_epoch:(k + 1) * per_epoch], rtol=1e-6, atol=1e-9))
        off = (losses[-per_epoch:].mean(0) - ref[-per_epoch:].mean(0)).abs().max().item()
        return (f"from epoch {epoch + 1} on, your loop's losses part from a correct loop's (the last epoch's mean loss "
                f"is off by up to {off:.2g}). Not a mistake I recognise: compare it line by line with the loop above.")

    def __repr__(self) -> str:
        return f"{self.name}: {self.question}"


bug_train_and_report = LoopBug()
