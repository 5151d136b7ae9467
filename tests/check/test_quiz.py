"""The final quiz's predictions (notebook 13), each right answer computed here with torch and normlab."""

import copy

import torch
from torch import nn
from verdicts import stated_answers

from normlab import check
from normlab.check.lore import dead_parameters
from normlab.deploy import fold_batchnorm
from normlab.sync import combine


def test_the_gradient_of_a_sum_through_batchnorm_is_zero():
    torch.manual_seed(0)
    x = (torch.randn(8, 4) * 3 + 2).requires_grad_()
    nn.BatchNorm1d(4)(x).sum().backward()
    largest = round(x.grad.abs().max().item(), 3)
    assert check.predict_gradient_of_sum(largest)
    assert check.predict_gradient_of_sum(1.0).mistakes != ()


def test_sync_count_is_the_whole_batch():
    shards = [torch.randn(n, 8, generator=torch.Generator().manual_seed(n)) for n in (5, 4, 3)]
    counts = torch.tensor([[float(len(s))] * 8 for s in shards])
    means = torch.stack([s.mean(0) for s in shards])
    m2s = torch.stack([((s - s.mean(0)) ** 2).sum(0) for s in shards])
    n = combine(counts, means, m2s)[0]
    assert check.predict_sync_count(int(n[0]))
    for wrong in (5, 4, 3, 8, 96):
        assert not check.predict_sync_count(wrong)


def test_folded_parameters_are_counted_from_a_real_fold():
    conv, bn = nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8).eval()
    folded = fold_batchnorm(copy.deepcopy(conv), bn)
    assert check.predict_folded_parameters(sum(p.numel() for p in folded.parameters()))
    assert check.predict_folded_parameters(conv.weight.numel()).mistakes != ()


def test_dead_bias_counts_the_parameters_batchnorm_cancels():
    block = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8))
    dead = dead_parameters(block, torch.randn(4, 3, 6, 6))
    assert check.predict_dead_bias(sum(dead.values())) and set(dead) == {"0.bias"}
    assert not check.predict_dead_bias(0)


def test_model_train_undoes_a_submodule_eval():
    model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU())
    model[1].eval()
    model.train()
    assert check.predict_mode_after_train("yes" if model[1].training else "no")
    assert not check.predict_mode_after_train("no" if model[1].training else "yes")


def test_no_quiz_verdict_states_its_answer():
    for name in ("predict_dead_bias", "predict_gradient_of_sum", "predict_mode_after_train", "predict_sync_count",
                 "predict_folded_parameters"):
        verdicts, leaks = stated_answers(name, getattr(check, name))
        assert verdicts and not leaks, leaks
