"""Predict-then-run questions of notebooks 00-06: write your prediction, check it, then run the cell that shows it.

Each wrong answer a learner is likely to give gets the misconception behind it; none of them says the answer.
"""

from __future__ import annotations

from normlab.check.exercise import prediction

__all__ = ["predict_groups", "predict_running_var", "predict_values_per_mean", "predict_d2l_moving_var",
           "predict_batch_dependence", "predict_no_grad",
           "predict_channels_last"]

predict_groups = prediction(
    "predict_groups",
    "x has shape (N, C, L) = (2, 3, 4) and is normalized over dim 1 only: normalize(x, dims=1). How many separate "
    "means does that compute? Answer with a number.",
    8, {3: "3 is how many values go into each mean (the size of the reduced dim); the question is how many means",
        6: "6 = N·C would keep dims 0 and 1 apart and reduce over L",
        2: "2 would be one mean per sample: that reduces over L as well",
        24: "24 would give every element its own mean: nothing would be reduced",
        12: "12 = C·L would keep dims 1 and 2 apart and reduce over N"})

predict_running_var = prediction(
    "predict_running_var",
    "A fresh nn.BatchNorm1d(4, momentum=1.0) sees x = torch.arange(12.0).reshape(3, 4) once in training. Each "
    "column holds 3 values 4 apart (e.g. 0, 4, 8). What will running_var hold for each column? A number.",
    16.0, {10.6667: "10.667 is the biased variance (divided by N), the one the forward pass normalized with; "
                    "the reveal cell below prints what running_var holds",
           1.0: "1 is the initial running_var; momentum=1.0 replaces it completely in one step",
           0.9: "with momentum=1.0 nothing of the old value is kept",
           4.0: "4 is the spacing of the values, not their variance"})

predict_values_per_mean = prediction(
    "predict_values_per_mean",
    "x has shape (N, C, L) = (3, 4, 5) and goes through nn.BatchNorm1d(4) in training. How many values go into "
    "the mean that normalizes x[0, 0, 0]? A number.",
    15, {3: "3 = N counts only the samples of the batch",
         5: "5 = L would be one mean per sample and channel, InstanceNorm1d's choice",
         20: "20 = C·L would be one mean per sample, LayerNorm's choice",
         60: "60 would be one mean for the whole tensor",
         4: "4 is the number of channels, not a count of values"})

predict_d2l_moving_var = prediction(
    "predict_d2l_moving_var",
    "The same 3 batches go through d2l's from-scratch BatchNorm (momentum 0.9, its convention) and through "
    "nn.BatchNorm2d (momentum 0.1). Their running means agree. Will d2l's moving_var be 'smaller', 'equal' or "
    "'larger' than torch's running_var?",
    "smaller", {"equal": "the two momenta do mean the same update, but the two libraries do not average the "
                         "same variance of each batch",
                "larger": "compare which variance of each batch each library averages: divided by n, or by "
                          "n - 1?"}, also_right=("less", "lower"))

predict_batch_dependence = prediction(
    "predict_batch_dependence",
    "Run nn.LayerNorm(3) and nn.BatchNorm1d(3) on the first two samples of x8 only, then on all 8. For which "
    "layer do the outputs of those two samples change? Answer 'LayerNorm', 'BatchNorm', 'both' or 'neither'.",
    "BatchNorm", {"LayerNorm": "LayerNorm's statistics come from each sample alone",
                  "both": "one of the two computes its statistics from each sample alone",
                  "neither": "one of the two shares its statistics across the samples of the batch"},
    also_right=("BatchNorm1d",))

predict_no_grad = prediction(
    "predict_no_grad",
    "bn = nn.BatchNorm1d(4) is in training mode. Inside `with torch.no_grad():` it is called once on a batch. "
    "Does bn.running_mean change? Answer 'yes' or 'no'.",
    "yes", {"no": "no_grad only stops autograd from recording; it does not switch the layer to eval mode"})

predict_channels_last = prediction(
    "predict_channels_last",
    "cl = x.contiguous(memory_format=torch.channels_last) for an (N, C, H, W) batch x. Is nn.BatchNorm2d(C)'s output "
    "on cl 'the same' as on x, or 'different'?",
    "the same", {"different": "compare what cl[0, 0] and x[0, 0] index: a memory format changes where each value is "
                              "stored, and the layer reads values by index"}, also_right=("same", "identical"))
