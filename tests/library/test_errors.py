"""Every error path: normlab raises torch's exception type, keeps torch's words and adds a teaching hint."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import normlab.functional as nlF
import normlab.nn as nlnn
from normlab.errors import NormlabHint

x23 = torch.randn(4, 3)
CASES = [  # (id, normlab call, torch call or None where torch accepts it, words the hint must contain)
    ("one value per channel", lambda: nlF.batch_norm(torch.randn(1, 3), None, None, training=True),
     lambda: F.batch_norm(torch.randn(1, 3), None, None, training=True), "batch of at least 2"),
    ("eps 0 in training", lambda: nlF.batch_norm(x23, None, None, training=True, eps=0.0),
     lambda: F.batch_norm(x23, None, None, training=True, eps=0.0), "eps=0.0"),
    ("negative eps in eval", lambda: nlF.batch_norm(x23, torch.zeros(3), torch.ones(3), eps=-1.0),
     lambda: F.batch_norm(x23, torch.zeros(3), torch.ones(3), eps=-1.0), "negative eps"),
    ("eval without stats", lambda: nlF.batch_norm(x23, None, None), lambda: F.batch_norm(x23, None, None),
     "training=True"),
    ("only one running stat", lambda: nlF.batch_norm(x23, torch.zeros(3), None, training=True),
     lambda: F.batch_norm(x23, torch.zeros(3), None, training=True), "both"),
    ("integer input", lambda: nlF.batch_norm(torch.arange(12).reshape(4, 3), None, None, training=True),
     lambda: F.batch_norm(torch.arange(12).reshape(4, 3), None, None, training=True), "x.float()"),
    ("integer layer_norm", lambda: nlF.layer_norm(torch.arange(6).reshape(2, 3), [3]),
     lambda: F.layer_norm(torch.arange(6).reshape(2, 3), [3]), "x.float()"),
    ("(B, T, E) into BatchNorm1d(E)", lambda: nlnn.BatchNorm1d(4)(torch.randn(2, 5, 4)),
     lambda: nn.BatchNorm1d(4)(torch.randn(2, 5, 4)), "x.transpose(1, 2)"),
    ("NHWC into BatchNorm2d(C)", lambda: nlnn.BatchNorm2d(3)(torch.randn(2, 5, 5, 3)),
     lambda: nn.BatchNorm2d(3)(torch.randn(2, 5, 5, 3)), "permute(0, 3, 1, 2)"),
    ("3-D into BatchNorm2d", lambda: nlnn.BatchNorm2d(3)(torch.randn(3, 4, 4)),
     lambda: nn.BatchNorm2d(3)(torch.randn(3, 4, 4)), "x.unsqueeze(0)"),
    ("4-D into BatchNorm1d", lambda: nlnn.BatchNorm1d(3)(torch.randn(2, 3, 4, 4)),
     lambda: nn.BatchNorm1d(3)(torch.randn(2, 3, 4, 4)), "BatchNorm2d(C)"),
    ("LayerNorm(C) on NCHW", lambda: nlnn.LayerNorm(3)(torch.randn(2, 3, 4, 5)),
     lambda: nn.LayerNorm(3)(torch.randn(2, 3, 4, 5)), "permute(0, 2, 3, 1)"),
    ("wrong weight size", lambda: nlF.batch_norm(x23, None, None, torch.ones(4), training=True),
     lambda: F.batch_norm(x23, None, None, torch.ones(4), training=True), "shape (3,)"),
    ("wrong running_mean size", lambda: nlF.batch_norm(x23, torch.zeros(4), torch.ones(4)),
     lambda: F.batch_norm(x23, torch.zeros(4), torch.ones(4)), "C = x.shape[1] = 3"),
    ("wrong LayerNorm weight", lambda: nlF.layer_norm(x23, [3], torch.ones(4)),
     lambda: F.layer_norm(x23, [3], torch.ones(4)), "shape (3,)"),
    ("groups do not divide C", lambda: nlF.group_norm(torch.randn(2, 4, 3), 3),
     lambda: F.group_norm(torch.randn(2, 4, 3), 3), "divisor of 4"),
    ("GroupNorm constructor", lambda: nlnn.GroupNorm(3, 4), lambda: nn.GroupNorm(3, 4), "divisor of 4"),
    ("1-D into group_norm", lambda: nlF.group_norm(torch.randn(4), 2), lambda: F.group_norm(torch.randn(4), 2),
     "unsqueeze(0)"),
    ("one spatial element", lambda: nlF.instance_norm(torch.randn(2, 3, 1)),
     lambda: F.instance_norm(torch.randn(2, 3, 1)), "var = 0"),
    ("instance eval without stats", lambda: nlF.instance_norm(torch.randn(2, 3, 4), use_input_stats=False),
     lambda: F.instance_norm(torch.randn(2, 3, 4), use_input_stats=False), "pass them"),
    ("InstanceNorm affine channel mismatch", lambda: nlnn.InstanceNorm1d(3, affine=True)(torch.randn(2, 4, 5)),
     lambda: nn.InstanceNorm1d(3, affine=True)(torch.randn(2, 4, 5)), "C = 3"),
    ("rms_norm wrong shape", lambda: nlF.rms_norm(x23, [4]), lambda: F.rms_norm(x23, [4]), "LAST 1 dim"),
    ("momentum None in functional", lambda: nlF.batch_norm(x23, torch.zeros(3), torch.ones(3), training=True,
                                                         momentum=None),
     lambda: F.batch_norm(x23, torch.zeros(3), torch.ones(3), training=True, momentum=None),
     "num_batches_tracked"),
]


@pytest.mark.parametrize("ours, theirs, hint", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_error_has_torchs_type_and_a_teaching_hint(ours, theirs, hint):
    try:
        theirs()
    except Exception as torch_error:  # noqa: BLE001 - whatever torch raises, normlab raises the same type
        with pytest.raises(type(torch_error)) as ours_error:
            ours()
        message = str(ours_error.value)
        assert "hint:" in message and hint in message, message
    else:  # this torch accepts it (a rule that changed between versions, e.g. eps=0 before 2.10): so does normlab
        ours()


def test_normlab_errors_are_marked_and_keep_torchs_words():
    with pytest.raises(NormlabHint) as err:
        nlnn.BatchNorm2d(3)(torch.randn(3, 4, 4))
    assert str(err.value).startswith("expected 4D input (got 3D input)")
    with pytest.raises(RuntimeError, match="running_mean should contain 5 elements not 4"):
        nlnn.BatchNorm1d(4)(torch.randn(2, 5, 4))


def test_module_without_per_channel_tensors_accepts_any_channel_count_like_torch(ref):
    x = torch.randn(4, 5)
    ours = nlnn.BatchNorm1d(3, affine=False, track_running_stats=False)(x)
    ref.same(ours, nn.BatchNorm1d(3, affine=False, track_running_stats=False)(x))
