"""normlab.audit on models with and without the traps of the course."""

import pytest
import torch
from torch import nn

from normlab import frozen
from normlab import nn as nlnn
from normlab.auditing import audit
from normlab.frozen import recalibrate


def seen(model: nn.Module, *batches: torch.Tensor) -> nn.Module:
    """The model in eval mode, its running statistics computed from these batches (as training leaves them)."""
    return recalibrate(model, batches).eval()


class Tokens(nn.Module):
    def __init__(self, norm: nn.Module, permute: bool) -> None:
        super().__init__()
        self.embed, self.norm, self.permute = nn.Linear(16, 16), norm, permute

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.embed(x)
        return self.norm(h.transpose(1, 2)).transpose(1, 2) if self.permute else self.norm(h)


def test_rows_match_what_torch_computes() -> None:
    model = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8), nn.GroupNorm(4, 8), nn.InstanceNorm2d(8))
    x = torch.randn(16, 3, 10, 10)
    report = audit(model, x)
    bn, gn, inorm = report.rows
    assert bn.input_shape == (16, 8, 8, 8) and bn.reduces == (0, 2, 3) and bn.values == 16 * 8 * 8
    assert gn.values == 2 * 8 * 8 and gn.per_group == 2 and inorm.values == 64 and inorm.statistics == "per sample"
    assert report.warnings == () and "no warnings" in str(report) and "✓ no warnings" in report._repr_html_()


def test_square_tokens_trap_and_its_fixes() -> None:
    x = torch.randn(8, 16, 16)  # (B, T, E), T == E
    trap = audit(Tokens(nn.BatchNorm1d(16), permute=False), x)
    assert len(trap.warnings) == 1 and "T == E" in trap.warnings[0] and "permute to (B, E, T)" in trap.warnings[0]
    assert audit(Tokens(nn.BatchNorm1d(16), permute=True), x).warnings == ()
    conv = nn.Sequential(nn.Conv1d(4, 16, 1), nn.ReLU(), nn.BatchNorm1d(16))  # (N, C, L) with C == L: fine
    assert audit(conv, torch.randn(8, 4, 16, generator=torch.Generator().manual_seed(0))).warnings == ()
    assert audit(Tokens(nlnn.BatchNorm1d(16), permute=False), x).warnings  # normlab's twin too


def test_few_values_channels_last_layer_norm_and_frozen_training() -> None:
    head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.BatchNorm1d(8))
    few = audit(head, torch.randn(4, 8, 5, 5))
    assert len(few.warnings) == 1 and "only 4 values" in few.warnings[0]
    x = torch.randn(16, 8, 5, 5, generator=torch.Generator().manual_seed(0))
    assert audit(seen(head, x), x[:4]).warnings == ()  # eval: running statistics
    one = audit(nn.GroupNorm(8, 8), torch.randn(2, 8, 1, 1))
    assert "every output is 0" in one.warnings[0]
    ln = audit(nn.LayerNorm(8), torch.randn(2, 8, 4, 8))
    assert len(ln.warnings) == 1 and "W = 8, which happens to equal C = 8" in ln.warnings[0]
    assert audit(nn.LayerNorm(8), torch.randn(2, 4, 4, 8)).warnings == ()  # NHWC: LayerNorm(C) is right
    bn = nn.BatchNorm2d(8)
    bn.requires_grad_(False)
    stuck = audit(bn, torch.randn(8, 8, 4, 4))
    assert len(stuck.warnings) == 1 and "frozen (requires_grad=False) but it is in training mode" in stuck.warnings[0]
    x = torch.randn(8, 8, 4, 4)
    assert audit(seen(bn, x), x).warnings == ()
    ice = audit(frozen.FrozenBatchNorm2d(8), torch.randn(2, 8, 4, 4))
    assert ice.rows[0].statistics == "running (frozen)" and ice.warnings == ()


def test_audit_leaves_the_model_as_it_was() -> None:
    model = nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6)).train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    audit(model, torch.randn(16, 4) * 3 + 2)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items()) and model.training
    assert not model[1]._forward_pre_hooks and not model[1]._forward_hooks


def test_bad_arguments_get_clear_errors() -> None:
    with pytest.raises(TypeError, match="must be a torch.nn.Module"):
        audit("model", torch.randn(2))
    with pytest.raises(ValueError, match="give the inputs"):
        audit(nn.Linear(2, 2))
    with pytest.raises(ValueError, match="did not run on the example inputs: RuntimeError"):
        audit(nn.Linear(2, 2), torch.randn(3, 5))
    assert "no normalization layer" in str(audit(nn.Linear(2, 2), torch.randn(3, 2)))


def test_normlab_audit_is_the_function() -> None:
    import normlab

    report = normlab.audit(nn.Sequential(nn.Linear(3, 4), nn.LayerNorm(4)), torch.randn(2, 3))
    assert report.rows[0].kind == "LayerNorm" and report.warnings == ()


@pytest.mark.parametrize("layer", [nn.Conv2d(3, 8, 3), nn.Linear(3, 8)], ids=["conv", "linear"])
def test_a_bias_right_before_batchnorm_is_named_and_a_model_without_it_is_silent(layer) -> None:
    norm, x = (nn.BatchNorm2d(8), torch.randn(8, 3, 6, 6)) if isinstance(layer, nn.Conv2d) else (
        nn.BatchNorm1d(8), torch.randn(16, 3))
    trap = audit(nn.Sequential(layer, norm), x)
    assert len(trap.warnings) == 1 and "layer '0', which adds a bias" in trap.warnings[0]
    assert "bias=False" in trap.warnings[0]
    layer.bias = None
    assert audit(nn.Sequential(layer, norm), x).warnings == ()
    assert audit(nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.BatchNorm1d(8)), torch.randn(16, 3)).warnings == ()
    assert audit(seen(nn.Sequential(layer, norm), x), x).warnings == ()  # eval: running statistics, foldable (12)


def test_a_momentum_meant_as_the_weight_of_the_old_value_is_named() -> None:
    x = torch.randn(8, 4)
    trap = audit(nn.BatchNorm1d(4, momentum=0.9), x)
    assert len(trap.warnings) == 1 and "momentum=0.9" in trap.warnings[0] and "pass momentum=0.1" in trap.warnings[0]
    assert audit(nn.BatchNorm1d(4, momentum=0.9).eval(), x).warnings  # the running statistics it holds are off
    assert audit(nn.BatchNorm1d(4), x).warnings == () and audit(nn.BatchNorm1d(4, momentum=None), x).warnings == ()


def test_padded_tokens_in_a_batchnorm_are_flagged_and_layernorm_is_not() -> None:
    x = torch.randn(2, 5, 3)  # (B, T, E): 2 sentences of 5 tokens, the second padded after 2 tokens
    x[1, 2:] = 0
    bn = nn.BatchNorm1d(3)  # BatchNorm1d(E) over (B, E, T), as notebook 06 applies it
    padded = audit(bn, x.transpose(1, 2))
    assert len(padded.warnings) == 1 and "3 of the samples or positions" in padded.warnings[0]
    assert "mask" in padded.warnings[0] and padded.rows[0].zero_positions == 3
    assert audit(bn, torch.randn(2, 3, 5)).warnings == ()  # nothing padded
    assert audit(seen(bn, x.transpose(1, 2)), x.transpose(1, 2)).warnings == ()  # eval: running statistics
    assert audit(nn.LayerNorm(3), x).warnings == ()  # each token alone
    relu = torch.relu(torch.randn(8, 2, 40))  # scattered all-zero positions after a ReLU are not padding
    assert (relu == 0).all(dim=1).any() and audit(bn.__class__(2), relu).warnings == ()
