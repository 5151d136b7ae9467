"""The practitioners' lore exercises: a bias before BatchNorm (03) and a BatchNorm that ignores padding (06)."""

import torch
from torch import nn

from normlab import check
from normlab.check import lore


def test_conv_bn_block_names_dead_parameters_missing_layers_and_shapes():
    good = lambda a, b: nn.Sequential(nn.Conv2d(a, b, 3, padding=1, bias=False), nn.BatchNorm2d(b), nn.ReLU())  # noqa: E731
    assert check.conv_bn_block(good)
    dead = check.conv_bn_block(lambda a, b: nn.Sequential(nn.Conv2d(a, b, 3, padding=1), nn.BatchNorm2d(b), nn.ReLU()))
    assert dead.mistakes == ("dead",) and "8 of your block's 240 parameters" in str(dead)
    assert "bias=False" not in str(dead) and "0.bias" not in str(dead)  # the symptom, not the fix or the culprit
    no_bn = check.conv_bn_block(lambda a, b: nn.Sequential(nn.Conv2d(a, b, 3, padding=1, bias=False), nn.ReLU()))
    assert no_bn.mistakes == ("layers",) and "BatchNorm2d" in str(no_bn)
    shrunk = check.conv_bn_block(lambda a, b: nn.Sequential(nn.Conv2d(a, b, 3, bias=False), nn.BatchNorm2d(b),
                                                             nn.ReLU()))
    assert shrunk.mistakes == ("shape",) and "(4, 8, 4, 4)" in str(shrunk)
    plain = check.conv_bn_block(lambda a, b: nn.Sequential(nn.Conv2d(a, b, 3, padding=1, bias=False),
                                                            nn.BatchNorm2d(b, affine=False), nn.ReLU()))
    assert plain.mistakes == ("no_affine",)
    relu_first = check.conv_bn_block(lambda a, b: nn.Sequential(nn.Conv2d(a, b, 3, padding=1, bias=False), nn.ReLU(),
                                                                 nn.BatchNorm2d(b)))
    assert relu_first.mistakes == ("order",)
    wrong_width = check.conv_bn_block(lambda a, b: nn.Sequential(nn.Conv2d(a, b, 3, padding=1, bias=False),
                                                                  nn.BatchNorm2d(a), nn.ReLU()))
    assert wrong_width.mistakes == ("raised",) and "running_mean should contain" in str(wrong_width)
    one_by_one = check.conv_bn_block(lambda a, b: nn.Sequential(nn.Conv2d(a, b, 1, bias=False), nn.BatchNorm2d(b),
                                                                 nn.ReLU()))
    assert one_by_one.mistakes == ("kernel",) and "1 x 1" in str(one_by_one)
    assert check.conv_bn_block(lambda a, b: nn.Sequential(nn.ReLU)).mistakes == ("raised",)
    assert check.conv_bn_block(good(3, 8)).mistakes == ("missing",)  # the block, not the function
    assert check.conv_bn_block(lambda a, b: None).mistakes == ("missing",)
    assert check.conv_bn_block(None).mistakes == ("missing",)


def test_dead_parameters_finds_the_bias_before_batchnorm_only():
    torch.manual_seed(0)
    block = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3))
    assert lore.dead_parameters(block, torch.randn(8, 4)) == {"0.bias": 3}
    assert lore.dead_parameters(nn.Sequential(nn.Linear(4, 3), nn.ReLU()), torch.randn(8, 4)) == {}


def test_masked_batch_norm_equals_batchnorm_on_the_real_tokens_and_names_each_slip():
    case = lore.padded_batch((5, 2), 3, 0)
    x, mask = case.args
    ours = lore.masked_reference(x, mask)
    theirs = nn.BatchNorm1d(3)(x[mask])  # the real tokens alone, as an (n, E) batch
    assert torch.allclose(ours[mask], theirs, atol=1e-5) and (ours[~mask] == 0).all()
    assert check.masked_batch_norm(lore.masked_reference)
    for key, (fn, _) in lore.masked_batch_norm.mistakes.items():
        assert check.masked_batch_norm(fn).mistakes == (key,)
    assert check.masked_batch_norm(lambda x, mask: None).mistakes == ("missing",)
