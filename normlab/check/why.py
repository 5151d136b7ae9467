"""Exercises of notebook 07 (why normalize): the diverging learning rate, the saturated fraction, the norm for a
batch of 2, and an evaluation helper that leaves the model in the wrong mode. Right answers come from the runs."""

from __future__ import annotations

import copy
from functools import lru_cache

import torch
from torch import nn

from normlab.check.core import Exercise, ReadOff, prediction
from normlab.check.functions import Case, FunctionExercise
from normlab.check.verdict import Outcome

__all__ = ["predict_first_failing_lr", "saturated_percent", "norm_for_batch_of_2", "bug_evaluate"]


def _first_failing_lr() -> tuple[list[Outcome], dict[str, str]]:
    """The smallest rate above a training one at which the plain network stops training (in most seeds), and
    tempting others."""
    from normlab.why import LRS, count, sweep_runs

    plain = ["trains" if 2 * count(sweep_runs("none", lr)) > len(sweep_runs("none", lr)) else "fails" for lr in LRS]
    first_ok = plain.index("trains")
    failing = next(lr for lr, s in zip(LRS[first_ok:], plain[first_ok:], strict=True) if s != "trains")
    outcomes = [Outcome(failing)]
    messages = {}
    for k, lr in enumerate(LRS):
        if lr == failing:
            continue
        key = f"lr{k}"
        if lr > failing:
            messages[key] = "the plain network fails there too, but it already stopped training at a smaller rate"
        elif plain[k] == "trains":
            messages[key] = "at that rate the plain network still trains"
        else:
            messages[key] = "that rate is too small to train in 6 epochs; the question asks where larger rates fail"
        outcomes.append(Outcome(lr, (key,)))
    return outcomes, messages


predict_first_failing_lr = Exercise(
    "predict_first_failing_lr",
    "The plain ReLU network (no BatchNorm) trains at a learning rate of 0.1. Going up through the sweep's rates "
    "(0.03, 0.1, 0.3, 1, 3, 10), at which rate does it first stop training? Answer with a number.",
    {}, _first_failing_lr)


@lru_cache(maxsize=1)
def _layer1_saturation() -> tuple[float, float]:
    """Percent of saturated units in layer 1 at gain 3, without and with BatchNorm: the medians over the seeds that
    the picture plots."""
    from normlab.landscape import init_statistics, median_stats
    from normlab.seeds import SEEDS

    return tuple(100 * median_stats([init_statistics(bn, 3.0, seed=s) for s in SEEDS])[0].saturated
                 for bn in (False, True))


def _saturation_values() -> tuple[float, dict[str, tuple[float, str]]]:
    plain, with_bn = _layer1_saturation()
    return plain, {"bn": (with_bn, "that is the BatchNorm network's layer 1; the question asks about the plain one"),
                   "fraction": (plain / 100, "right value, but as a fraction; the question asks for percent")}


saturated_percent = ReadOff(
    "saturated_percent",
    "Read it off the saturation panel: in the network without BatchNorm and with weights 3 times torch's default "
    "(gain 3), what percent of layer 1's tanh outputs are saturated? A number, to within 3 percentage points.",
    _saturation_values, tolerance=3.0)

norm_for_batch_of_2 = prediction(
    "norm_for_batch_of_2",
    "Your images are large and only 2 fit in memory per step. Which normalization would you put in the network: "
    "'batch', 'group' or 'layer'?",
    "group", {"batch": "BatchNorm estimates each feature's statistics from the 2 samples of the batch, and eval mode "
                       "uses running averages of those noisy estimates"},
    also_right=("layer",))


def _evaluate_broken(model, x, y):
    model.eval()
    with torch.no_grad():
        return (model(x).argmax(1) == y).float().mean().item()


@lru_cache(maxsize=1)
def _trained() -> tuple[nn.Module, torch.Tensor, torch.Tensor]:
    from normlab.digits import load_digits
    from normlab.why import train_run

    digits = load_digits("standard")
    return train_run("batch", "relu", 0.1, 2)[1], digits.x_test, digits.y_test


def _evaluate_harness(fn, args):
    """Call fn on a training-mode copy of a trained model; return its accuracy, the mode after, and the stats."""
    model = copy.deepcopy(_trained()[0]).train()
    acc = fn(model, *args)
    stats = torch.cat([b.reshape(-1).float() for n, b in model.named_buffers() if n.endswith(("mean", "var"))])
    return float(acc), model.training, stats


bug_evaluate = FunctionExercise(
    "bug_evaluate",
    "Repair evaluate(model, x, y): the test accuracy of a model in the middle of training, which must go on "
    "training normally afterwards.",
    lambda: [Case("the test images", _trained()[1:])],
    lambda model, x, y: (_evaluate_broken(model, x, y), model.train())[0],
    {"original": (_evaluate_broken, "still the original bug: the accuracy is right, but afterwards the model is no "
                                    "longer in training mode, so the next training steps would normalize with the "
                                    "running statistics and stop updating them"),
     "train_mode": (lambda model, x, y: (model(x).argmax(1) == y).float().mean().item(),
                    "the accuracy was computed in training mode: with each batch's own statistics, and moving the "
                    "running statistics")},
    harness=_evaluate_harness, atol=1e-6)
