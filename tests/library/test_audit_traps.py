"""normlab.audit's rules for the field guide's traps (notebook 14): each fires on a small model, and the fixed model
is silent."""

import torch
import torch.nn.functional as F
from torch import nn

from normlab import nn as nlnn
from normlab.auditing import audit
from normlab.frozen import recalibrate


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_eval_mode_without_running_statistics_is_named_and_tracked_statistics_are_silent() -> None:
    x = torch.randn(32, 4, generator=_gen(0))
    trap = audit(nn.BatchNorm1d(4, track_running_stats=False).eval(), x)
    assert len(trap.warnings) == 1 and "eval mode but keeps no running statistics" in trap.warnings[0]
    assert audit(nn.BatchNorm1d(4, track_running_stats=False), x).warnings == ()  # training: batch statistics meant
    assert audit(recalibrate(nn.BatchNorm1d(4), [x]).eval(), x).warnings == ()
    assert audit(nn.InstanceNorm1d(4).eval(), torch.randn(2, 4, 16, generator=_gen(1))).warnings == ()  # per sample


def test_a_dropout_feeding_a_batchnorm_is_named_and_a_dropout_after_it_is_not() -> None:
    x = torch.randn(64, 8, generator=_gen(2))
    for mode in ("train", "eval"):
        block = nn.Sequential(nn.Linear(8, 8, bias=False), nn.Dropout(0.5), nn.BatchNorm1d(8))
        recalibrate(block, [x]).train(mode == "train")
        warnings = audit(block, x).warnings
        assert len(warnings) == 1 and "normalizes the output of '1', a Dropout" in warnings[0], mode
    after = recalibrate(nn.Sequential(nn.Linear(8, 8, bias=False), nn.BatchNorm1d(8), nn.Dropout(0.5)), [x])
    assert audit(after, x).warnings == () and audit(after.eval(), x).warnings == ()
    no_stats = nn.Sequential(nn.Dropout(0.5), nn.BatchNorm1d(8, track_running_stats=False))
    assert audit(no_stats, x).warnings == ()  # no running variance to shift
    assert audit(nn.Sequential(nn.Dropout(0.0), nn.BatchNorm1d(8)), x).warnings == ()  # p = 0 drops nothing
    twin = nn.Sequential(nn.Dropout2d(0.2), nlnn.BatchNorm2d(3))
    assert len(audit(twin, torch.randn(4, 3, 5, 5, generator=_gen(3))).warnings) == 1  # normlab's layer, Dropout2d


def test_running_statistics_never_computed_or_stale_are_named() -> None:
    x = torch.randn(32, 4, generator=_gen(4)) * 3 + 1
    never = audit(nn.BatchNorm1d(4).eval(), x)
    assert len(never.warnings) == 1 and "never computed" in never.warnings[0]
    conv = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8))
    images = torch.randn(16, 3, 8, 8, generator=_gen(5))
    recalibrate(conv, [images]).eval()
    assert audit(conv, images).warnings == ()
    with torch.no_grad():
        conv[0].weight.mul_(0.3)  # the weights changed after the statistics were computed
    stale = audit(conv, images)
    assert len(stale.warnings) == 1 and "do not describe this input" in stale.warnings[0]
    assert "0.09 × running_var" in stale.warnings[0]  # variance scales by 0.3²
    assert audit(recalibrate(conv, [images]), images).warnings == ()
    shifted = audit(conv, images[:1, :, :3, :3])  # 1 value per channel: too few to judge the fit
    assert shifted.warnings == ()


def test_padding_in_per_sample_norms_is_named_in_eval_mode_too() -> None:
    clips = torch.randn(3, 4, 12, generator=_gen(6))
    clips[0, :, 5:] = 0  # clip 0 has 5 real positions, then padding
    for layer in (nn.GroupNorm(2, 4), nn.InstanceNorm1d(4), nlnn.GroupNorm(2, 4), nlnn.InstanceNorm1d(4)):
        warnings = audit(layer.eval(), clips).warnings
        assert len(warnings) == 1 and "7 positions" in warnings[0] and "in eval mode too" in warnings[0], layer
    assert audit(nn.GroupNorm(2, 4), torch.randn(3, 4, 12, generator=_gen(7))).warnings == ()
    tokens = F.pad(torch.randn(2, 5, 4, generator=_gen(8)), (0, 0, 0, 3))  # (B, T, E), 3 padded tokens each
    assert audit(nn.LayerNorm(4), tokens).warnings == ()  # per token: padding never enters
