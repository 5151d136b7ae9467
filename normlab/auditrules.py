"""normlab.audit's rules: the traps one layer's row can show, one function per trap, each in teaching words with its
fix."""

from __future__ import annotations

from torch import nn

from normlab.auditreport import AuditRow

__all__ = ["FEW_VALUES", "RULES", "warnings_for"]


FEW_VALUES = 8  # fewer values than this behind a batch statistic: noisy; at 1 value (any norm) every output is 0


def _square_tokens(row: AuditRow, module: nn.Module) -> str | None:
    """BatchNorm1d on (B, T, E) with T == E: runs, and normalizes per token position over batch and features."""
    shape = row.input_shape
    if row.kind not in ("BatchNorm1d", "SyncBatchNorm") or len(shape) != 3 or shape[1] != shape[2]:
        return None
    if row.features_last is False:  # it comes from a convolution, or was permuted to (B, E, T): channels first
        return None
    return (f"{row.name}: {row.kind}({shape[1]}) on a 3-D input of shape {shape} normalizes dim 1 as its channels. "
            f"Dims 1 and 2 both have size {shape[1]}, so a (B, T, E) tensor with T == E runs without an error and "
            "is normalized per token position, over the batch and the features. If dim 2 holds the features, "
            "permute to (B, E, T) before the BatchNorm1d and back after it, or use LayerNorm(E).")


def _few_values(row: AuditRow, module: nn.Module) -> str | None:
    """A batch statistic from very few values, or any statistic from a single value (then every output is 0)."""
    if row.values == 0 or row.statistics.startswith("running"):
        return None
    if row.values != 1 and (row.values >= FEW_VALUES or row.statistics != "batch"):
        return None
    fix = ("use larger batches, a norm that does not depend on the batch (GroupNorm, LayerNorm), or eval() if it "
           "should use its running statistics" if row.statistics == "batch" else
           "normalize bigger groups (fewer groups in GroupNorm, or LayerNorm)")
    zeros = " With 1 value every output is 0." if row.values == 1 else ""
    return (f"{row.name}: {row.kind} computes each mean and variance from only {row.values} values (dims "
            f"{row.reduces} of {row.input_shape}): such statistics are noisy.{zeros} Fix: {fix}.")


def _channels_last_layer_norm(row: AuditRow, module: nn.Module) -> str | None:
    """LayerNorm(C) on (N, C, H, W) with W == C: it normalizes rows of pixels, not each pixel's channels."""
    shape = row.input_shape
    normalized = tuple(getattr(module, "normalized_shape", ()))
    if len(shape) != 4 or normalized != (shape[1],) or shape[-1] != shape[1] or row.kind != "LayerNorm":
        return None
    return (f"{row.name}: LayerNorm({shape[1]}) normalizes the last dim. On this (N, C, H, W) input of shape {shape} "
            f"that is W = {shape[-1]}, which happens to equal C = {shape[1]}: it runs, and normalizes each row of "
            "pixels instead of each pixel's channels. Fix: permute to (N, H, W, C) before it and back after, or use "
            "GroupNorm(1, C) to normalize over channels and pixels together.")


def _frozen_but_training(row: AuditRow, module: nn.Module) -> str | None:
    """Weight and bias frozen on a BatchNorm that is still in training mode."""
    if not row.frozen or row.mode != "train" or row.statistics != "batch":
        return None
    return (f"{row.name}: its weight and bias are frozen (requires_grad=False) but it is in training mode: it "
            "normalizes with each batch's statistics and its running statistics still move with every forward. "
            "Fix: call .eval() on it after every model.train(), or replace it by a FrozenBatchNorm2d "
            "(normlab.frozen.freeze_batchnorm).")


def _bias_before_batchnorm(row: AuditRow, module: nn.Module) -> str | None:
    """A Linear or convolution with a bias feeding a BatchNorm: the mean subtraction cancels the bias."""
    if row.after_bias is None or row.statistics != "batch":
        return None
    return (f"{row.name}: {row.kind} normalizes the output of layer '{row.after_bias}', which adds a bias. The "
            "BatchNorm subtracts each channel's mean, so that bias changes nothing, gets a zero gradient and never "
            "learns "
            f"(notebook 03). Fix: build '{row.after_bias}' with bias=False; the BatchNorm's own bias does the shift.")


def _momentum_of_the_old_value(row: AuditRow, module: nn.Module) -> str | None:
    """A BatchNorm momentum of 0.5 or more: torch weighs the NEW statistic by it (Keras and d2l-zh the old value)."""
    momentum = getattr(module, "momentum", None)
    if row.statistics not in ("batch", "running") or momentum is None or momentum < 0.5:
        return None
    return (f"{row.name}: momentum={momentum:g}. In torch momentum is the weight of the NEW batch statistic, so the "
            f"running statistics keep only {1 - momentum:.0%} of their value at each step and follow the last few "
            "batches (notebook 05). Keras and d2l-zh's momentum is the weight of the OLD value; if that is the "
            f"number you meant, pass momentum={1 - momentum:g}.")


def _padding(row: AuditRow, module: nn.Module) -> str | None:
    """Positions 0 in every channel at the end of sequences (padding) inside the values of a statistic."""
    if not row.zero_positions or row.statistics not in ("batch", "per sample"):
        return None
    if row.statistics == "batch":
        return (f"{row.name}: {row.zero_positions} of the samples or positions in its input {row.input_shape} are 0 "
                "in every channel, as padded tokens are. BatchNorm counts them in each channel's mean and variance "
                "(and its running statistics), so the real tokens' outputs depend on how much padding the batch has "
                "(notebook 06). Fix: compute the statistics over the real tokens only (a mask), or use LayerNorm, "
                "which normalizes each token alone.")
    return (f"{row.name}: {row.zero_positions} positions of its input {row.input_shape} are 0 in every channel at the "
            f"end of their sequences, as padding is. {row.kind} computes each sample's statistics over its length, "
            "padding included, so a sample's output depends on how far it was padded: on the longest sequence in its "
            "batch, in eval mode too. Fix: compute each sample's statistics over its real positions only (a mask), "
            "or use LayerNorm over each position's channels.")


def _eval_batch_statistics(row: AuditRow, module: nn.Module) -> str | None:
    """A BatchNorm in eval mode that keeps no running statistics: it still normalizes with each batch's."""
    if row.mode != "eval" or row.statistics != "batch":
        return None
    return (f"{row.name}: {row.kind} is in eval mode but keeps no running statistics (track_running_stats=False), so "
            "it normalizes with the statistics of whatever batch it is given: a sample's prediction depends on the "
            "other samples in its batch, and a batch of 1 fails. Fix: if it should predict from stored statistics, "
            "build it with track_running_stats=True and compute them from training batches "
            "(torch.optim.swa_utils.update_bn); if not, a per-sample norm (GroupNorm, LayerNorm) says so.")


def _dropout_before_batchnorm(row: AuditRow, module: nn.Module) -> str | None:
    """A Dropout feeding a BatchNorm with running statistics: the variance shift between train and eval."""
    if row.after_dropout is None or getattr(module, "running_var", None) is None:
        return None
    return (f"{row.name}: {row.kind} normalizes the output of '{row.after_dropout}', a Dropout. In training the "
            "dropout scales the values it keeps by 1/(1 - p), so the running variance the BatchNorm stores is larger "
            "than the variance it sees in eval mode, when the dropout passes every value through: its eval outputs "
            "shrink (the 'variance shift'). Fix: move the Dropout after the last BatchNorm, or recompute the running "
            "statistics with the dropout in eval mode (normlab.frozen.recalibrate with the Dropout's .eval()).")


def _running_statistics_do_not_fit(row: AuditRow, module: nn.Module) -> str | None:
    """Running statistics never computed, or far from the statistics of the input the layer is auditing."""
    if row.fit is None:
        return None
    shift, ratio, untouched = row.fit
    if untouched:
        return (f"{row.name}: {row.kind} normalizes with its running statistics, but they were never computed: "
                "running_mean is 0, running_var is 1 and num_batches_tracked is 0, so it only applies gamma and beta. "
                "A model evaluated before any training batch, or loaded from a checkpoint that did not fill these "
                "buffers (load_state_dict(strict=False) skips missing keys quietly). Fix: load the buffers, or compute "
                "them from training batches (torch.optim.swa_utils.update_bn, notebook 10).")
    if not (shift > 2 or ratio < 1 / 4 or ratio > 4):  # nan (too few values to judge) is silent too
        return None
    return (f"{row.name}: {row.kind} normalizes with running statistics that do not describe this input: its channel "
            f"means sit a median {shift:.2g} running standard deviations from running_mean and their variance is a "
            f"median {ratio:.2g} × running_var. If this batch is like your data, the statistics are stale: the "
            "weights before the layer changed after they were computed (averaged, pruned, fine-tuned with it in eval "
            "mode). Fix: recompute them from training batches (torch.optim.swa_utils.update_bn or "
            "normlab.frozen.recalibrate, notebook 10).")


RULES = (_square_tokens, _few_values, _channels_last_layer_norm, _frozen_but_training, _bias_before_batchnorm,
         _momentum_of_the_old_value, _padding, _eval_batch_statistics, _dropout_before_batchnorm,
         _running_statistics_do_not_fit)


def warnings_for(row: AuditRow, module: nn.Module) -> list[str]:
    """Every warning one layer's row deserves."""
    return [w for rule in RULES if (w := rule(row, module)) is not None]
