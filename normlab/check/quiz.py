"""The final quiz's predictions from notebooks 03, 08, 10, 11 and 12 (notebook 13), answered from memory.

Each wrong answer a learner is likely to give gets the slip behind it; none of them says the answer.
"""

from __future__ import annotations

from normlab.check.exercise import prediction

__all__ = ["predict_dead_bias", "predict_gradient_of_sum", "predict_mode_after_train", "predict_sync_count",
           "predict_folded_parameters"]

predict_gradient_of_sum = prediction(
    "predict_gradient_of_sum",
    "x of shape (8, 4) requires a gradient and goes through a fresh nn.BatchNorm1d(4) in training (gamma = 1, "
    "beta = 0); the loss is the sum of the layer's outputs. What is the largest |entry| of x.grad, to 3 decimals? "
    "A number.",
    0.0, {1.0: "1 would be the gradient of x.sum(): each output also depends on every input of its channel, "
               "through the batch's mean and variance"})

predict_sync_count = prediction(
    "predict_sync_count",
    "Three processes train one model with SyncBatchNorm; their batches hold 5, 4 and 3 samples of (N, C) data with "
    "C = 8. In training, how many values go into each channel's mean on process 0? A number.",
    12, {5: "5 is process 0's own batch: that is what a plain BatchNorm on each process would average",
         4: "4 is process 1's own batch; a SyncBatchNorm does not average within one shard",
         3: "3 is the number of processes, not a count of values",
         8: "8 is the number of channels, not a count of values",
         96: "that counts the values of every channel; count those behind the mean of one channel"})

predict_folded_parameters = prediction(
    "predict_folded_parameters",
    "nn.Conv2d(3, 8, 3, bias=False) followed by nn.BatchNorm2d(8) is folded, for inference, into one Conv2d. How "
    "many parameters does the folded Conv2d have? A number.",
    224, {216: "write bn(conv(x)) out as one convolution and count every tensor it needs",
          **dict.fromkeys((232, 240), "write bn(conv(x)) out as one convolution and count only the tensors it needs"),
          256: "that counts BatchNorm's running statistics too, which are not parameters even before the fold"})

predict_dead_bias = prediction(
    "predict_dead_bias",
    "nn.Conv2d(3, 8, 3), with its default bias, is followed by nn.BatchNorm2d(8) in training. How many of the "
    "conv's parameters get a zero gradient on every batch, whatever the loss? A number.",
    8, {0: "look at what BatchNorm subtracts from each channel before anything after it sees the channel",
        **dict.fromkeys((216, 224), "too many: BatchNorm keeps how the pixels of a channel differ from each other; "
                                    "which parameters can change only what it removes?"),
        16: "BatchNorm's own gamma and beta do get gradients; the question is about the conv's parameters"})

predict_mode_after_train = prediction(
    "predict_mode_after_train",
    "model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU()). You call model[1].eval(), then the "
    "training loop calls model.train(). Is model[1] in training mode: 'yes' or 'no'?",
    "yes", {"no": "look up what model.train() does to the modules inside model"})
