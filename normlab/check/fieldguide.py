"""Exercises of notebook 14, the field guide: predict a variance shift, name the trap behind a symptom, and repair a
fine-tuning function that falls into three of them.

`TRAPS` names the guide's traps (the answers "which trap is this?" takes). Verdicts describe what the learner's answer
or code does, never the fix.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from normlab.check.exercise import Exercise, prediction
from normlab.check.verdict import Outcome, Verdict
from normlab.checkup import decayed_parameters, param_groups, watch_running_stats
from normlab.frozen import kept_as_is
from normlab.lessons.fieldguide import Classifier, clips, fine_tune_data, keyword_model, pad, pretrained_classifier

__all__ = ["TRAPS", "predict_dropout_variance", "which_trap", "fine_tune"]

TRAPS = {
    "batch_of_one": "a batch of one in training",
    "validation_in_train_mode": "validation without eval mode",
    "eval_batch_statistics": "eval mode without running statistics",
    "frozen_but_training": "a frozen BatchNorm left in training mode",
    "stale_running_statistics": "running statistics that no longer fit the weights",
    "dropout_before_batchnorm": "Dropout before BatchNorm: the variance shift",
    "decay_on_norm_parameters": "weight decay on gamma and beta",
    "decay_sets_the_learning_rate": "weight decay before a BatchNorm sets the learning rate",
    "samples_see_each_other": "samples that see each other through the batch",
    "padding": "padded positions inside the statistics",
    "vmap": "torch.func.vmap over a BatchNorm",
    "state_dict_keys": "state_dict keys: running statistics and num_batches_tracked",
    "half_precision_by_hand": "a normalization written by hand in half precision",
}

predict_dropout_variance = prediction(
    "predict_dropout_variance",
    "x → Linear → Dropout(p=0.5) → BatchNorm1d, run in training mode until the running statistics settle. Then, in "
    "eval mode, on data like the training data: is the per-channel variance of the BatchNorm's output 'about 1', "
    "'below 1' or 'above 1'?",
    "below 1",
    {"about 1": "that is what a BatchNorm gives when the variance it sees in eval mode equals the running variance "
                "it stored in training; compare its input in the two modes",
     "above 1": "in training, through the Dropout, each kept value is scaled by 1/(1 - p); in eval mode every value "
                "passes as it is. Which of the two inputs has the larger variance, and which one did the running "
                "variance come from?"})


_ELSEWHERE = "every module of this model is in eval mode (look at each one's .training): the cause is elsewhere"
_WHICH = {
    "eval_batch_statistics": "no normalization layer of this model computes statistics across the samples of a "
                             "batch: look at what each one reduces over (print the model, or audit it)",
    "validation_in_train_mode": _ELSEWHERE, "frozen_but_training": _ELSEWHERE,
    "samples_see_each_other": "in eval mode, no layer of this model computes anything across samples; compare what "
                              "the model is given for clip 0 alone and for clip 0 in the batch",
    "batch_of_one": "every batch here runs, a batch of one too",
    "stale_running_statistics": "this model keeps no running statistics: nothing in it was stored from training",
    "dropout_before_batchnorm": "this model has no Dropout",
    "decay_on_norm_parameters": "weight decay acts while training; here the same weights give two answers",
    "decay_sets_the_learning_rate": "weight decay acts while training; here the same weights give two answers",
    "vmap": "nothing here runs under torch.func",
    "state_dict_keys": "the model loads and runs; the same weights give two answers",
    "half_precision_by_hand": "everything here is float32",
}
which_trap = Exercise(
    "which_trap",
    "A keyword spotter scores audio clips, batched by its data loader's `collate(clips)`, with model.eval() called. "
    "Clip 0 scored alone and clip 0 scored in a batch with the others get different scores. Which trap of this "
    "guide is it? Answer with its name, a key of check.TRAPS.",
    {"model": keyword_model(), "clips": clips(), "collate": pad},
    lambda **_: ([Outcome("padding"), *(Outcome(k, (k,)) for k in _WHICH)],
                 {**_WHICH, "unknown": "not a trap name of this guide: print(list(check.TRAPS))"}))


def reference_fine_tune(model: Classifier, batches: list, val_batches: list) -> tuple:
    """A correct fine-tuning: backbone frozen in eval mode, no decay on norms or biases, validation in eval mode."""
    model.backbone.requires_grad_(False)
    optimizer = torch.optim.AdamW(param_groups(model, weight_decay=0.05), lr=1e-2)
    model.train()
    model.backbone.eval()
    for x, y in batches:
        loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        val_loss = sum(F.cross_entropy(model(x), y).item() for x, y in val_batches) / len(val_batches)
    return optimizer, val_loss


class FineTuneBug:
    """Find the bugs in a fine-tuning function: it is run on a fresh pretrained classifier, then the backbone's
    buffers, the optimizer's groups and the validation loss are compared with what the task asks."""

    name = "fine_tune"
    question = ("Repair fine_tune(model, batches, val_batches): train model.head on the batches while model.backbone "
                "stays exactly as pretrained; weight decay 0.05 on the weights that should have it; return the "
                "optimizer and the mean validation loss of the fine-tuned model as it will predict, one sample at a "
                "time or in any batch.")

    def __call__(self, fn: Any) -> Verdict:
        """✓ if the run does what the task asks; else every symptom its run shows."""
        if fn is None or not callable(fn):
            return Verdict.wrong(self.name, "pass your function itself (its name, without calling it).", ("missing",))
        model, (batches, val_batches) = pretrained_classifier(), fine_tune_data()
        head_before = [p.clone() for p in model.head.parameters()]
        try:
            with watch_running_stats(model.backbone) as moved, watch_running_stats(model.head) as head_moved:
                returned = fn(model, batches, val_batches)
        except Exception as exc:  # noqa: BLE001 - the learner's code may raise anything: that is an answer too
            return Verdict.wrong(self.name, f"your function raised {type(exc).__name__}: "
                                 f"{str(exc).splitlines()[0]}.", ("raised",))
        if not (isinstance(returned, tuple) and len(returned) == 2 and isinstance(returned[0], torch.optim.Optimizer)
                and isinstance(returned[1], (int, float))):
            return Verdict.wrong(self.name, "return two things: the optimizer and the validation loss (a number).",
                                 ("returns",))
        return self._verdict(model, *returned, val_batches, moved, head_before, "1.running_mean" in head_moved)

    def _verdict(self, model: Classifier, optimizer: torch.optim.Optimizer, val_loss: float, val_batches: list,
                 moved: list[str], head_before: list[torch.Tensor], head_learned_statistics: bool) -> Verdict:
        """✓, or each symptom the run showed, numbered."""
        symptoms = []
        if moved:
            symptoms.append("the backbone no longer computes what it computed when it was pretrained: its buffers "
                            "changed during fine_tune")
        decayed = decayed_parameters(optimizer)
        trainable = [p for p in model.parameters() if p.requires_grad]
        wrongly = [p for p in trainable if p.dim() < 2 and id(p) in decayed]
        if wrongly:
            symptoms.append(f"weight decay acts on {len(wrongly)} parameters it should leave alone")
        if not any(p.dim() >= 2 and id(p) in decayed for p in model.head.parameters()):
            symptoms.append("no weight of the head is decayed")
        if not head_learned_statistics:
            symptoms.append("the head's BatchNorm1d never computed running statistics from the new task's batches: "
                            "it predicts with the ones it was built with")
        if all(torch.equal(a, b) for a, b in zip(head_before, model.head.parameters(), strict=True)):
            symptoms.append("the head's parameters did not change: nothing was trained")
        if abs(val_loss - _one_at_a_time(model, val_batches)) > 1e-4 * max(1.0, abs(val_loss)):
            symptoms.append("the validation loss you return is not the loss of the same model scoring the "
                            "validation samples one at a time: your score depends on how the samples are batched")
        if not symptoms:
            return Verdict.right(self.name, "correct: the backbone computes what it did, the head learned with "
                                 "decay on its weights only, and the validation loss is the model's as it will "
                                 "predict.")
        listed = "; ".join(f"({k}) {s}" for k, s in enumerate(symptoms, 1))
        return Verdict.wrong(self.name, f"{len(symptoms)} thing(s) to repair: {listed}.", ("symptoms",))

    def __repr__(self) -> str:
        return f"{self.name}: {self.question}"


@torch.no_grad()
def _one_at_a_time(model: nn.Module, val_batches: list) -> float:
    """The mean over batches of the mean loss, each sample scored alone in eval mode (the mode put back after)."""
    with kept_as_is(model):
        model.eval()
        losses = [torch.stack([F.cross_entropy(model(x[i:i + 1]), y[i:i + 1]) for i in range(len(x))]).mean().item()
                  for x, y in val_batches]
    return sum(losses) / len(losses)


fine_tune = FineTuneBug()
