"""normlab.nn modules against torch.nn: same parameters, buffers, train/eval behaviour and state_dicts."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

import normlab.nn as nlnn

PAIRS = [  # (normlab module, torch module, input shape)
    (lambda **kw: nlnn.BatchNorm1d(3, **kw), lambda **kw: nn.BatchNorm1d(3, **kw), (5, 3)),
    (lambda **kw: nlnn.BatchNorm1d(3, **kw), lambda **kw: nn.BatchNorm1d(3, **kw), (4, 3, 6)),
    (lambda **kw: nlnn.BatchNorm2d(3, **kw), lambda **kw: nn.BatchNorm2d(3, **kw), (2, 3, 4, 5)),
    (lambda **kw: nlnn.InstanceNorm1d(3, **kw), lambda **kw: nn.InstanceNorm1d(3, **kw), (4, 3, 6)),
    (lambda **kw: nlnn.InstanceNorm1d(3, **kw), lambda **kw: nn.InstanceNorm1d(3, **kw), (3, 6)),
    (lambda **kw: nlnn.InstanceNorm2d(3, **kw), lambda **kw: nn.InstanceNorm2d(3, **kw), (2, 3, 4, 5)),
]
OPTIONS = st.fixed_dictionaries({
    "affine": st.booleans(), "track_running_stats": st.booleans(),
    "momentum": st.sampled_from([None, 0.1, 0.5, 1.0]), "dtype": st.sampled_from([torch.float32, torch.float64]),
})


def assert_same_state(ref, ours: nn.Module, theirs: nn.Module) -> None:
    """Same state_dict keys, shapes, dtypes and values."""
    a, b = ours.state_dict(), theirs.state_dict()
    assert list(a) == list(b)
    for key in a:
        ref.same(a[key], b[key])


@settings(max_examples=30, deadline=None)
@given(pair=st.sampled_from(PAIRS), kw=OPTIONS, seed=st.integers(0, 1000))
def test_channel_modules_match_torch_over_train_and_eval(pair, kw, seed, ref):
    make_ours, make_theirs, shape = pair
    ours, theirs = make_ours(**kw), make_theirs(**kw)
    assert repr(ours) == repr(theirs)
    gen = torch.Generator().manual_seed(seed)
    if kw["affine"]:
        with torch.no_grad():
            theirs.weight.uniform_(0.5, 1.5, generator=gen)
            theirs.bias.normal_(generator=gen)
    ours.load_state_dict(theirs.state_dict())
    for step in range(3):
        x = (torch.randn(shape, generator=gen) * 2 + step).to(kw["dtype"])
        ref.same(ours(x), theirs(x))
        assert_same_state(ref, ours, theirs)
    ours.eval()
    theirs.eval()
    x = torch.randn(shape, generator=gen).to(kw["dtype"])
    ref.same(ours(x), theirs(x))


@pytest.mark.parametrize("ours, theirs, shape", [
    (nlnn.LayerNorm(4), nn.LayerNorm(4), (2, 3, 4)),
    (nlnn.LayerNorm([3, 4], elementwise_affine=False), nn.LayerNorm([3, 4], elementwise_affine=False), (2, 3, 4)),
    (nlnn.LayerNorm((3, 4), bias=False), nn.LayerNorm((3, 4), bias=False), (2, 3, 4)),
    (nlnn.GroupNorm(2, 4), nn.GroupNorm(2, 4), (2, 4, 5)),
    (nlnn.GroupNorm(1, 4, affine=False), nn.GroupNorm(1, 4, affine=False), (2, 4, 3, 3)),
    (nlnn.RMSNorm(4), nn.RMSNorm(4), (2, 3, 4)),
    (nlnn.RMSNorm([3, 4], eps=1e-3), nn.RMSNorm([3, 4], eps=1e-3), (2, 3, 4)),
])
def test_per_sample_modules_match_torch_and_load_both_ways(ours, theirs, shape, ref):
    assert repr(ours) == repr(theirs)
    with torch.no_grad():
        for p in theirs.parameters():
            p.normal_()
    ours.load_state_dict(theirs.state_dict())
    x = torch.randn(shape)
    ref.same(ours(x), theirs(x))
    with torch.no_grad():
        for p in ours.parameters():
            p.mul_(2)
    theirs.load_state_dict(ours.state_dict())
    ref.same(ours(x), theirs(x))
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]


def test_batchnorm_state_dict_round_trip_into_torch_after_training(ref):
    ours, theirs = nlnn.BatchNorm2d(3, momentum=None), nn.BatchNorm2d(3, momentum=None)
    for _ in range(4):
        ours(torch.randn(2, 3, 4, 4))
    assert ours.num_batches_tracked.item() == 4
    theirs.load_state_dict(ours.state_dict())
    assert_same_state(ref, theirs, ours)
    ours.eval()
    theirs.eval()
    x = torch.randn(2, 3, 4, 4)
    ref.same(ours(x), theirs(x))


def test_cumulative_average_with_momentum_none_is_the_plain_mean_of_batch_means(ref):
    bn = nlnn.BatchNorm1d(2, momentum=None)
    batches = [torch.randn(8, 2) + i for i in range(5)]
    for x in batches:
        bn(x)
    ref.same(bn.running_mean, torch.stack([x.mean(0) for x in batches]).mean(0))


def test_reset_and_buffers_absent_without_tracking():
    bn = nlnn.BatchNorm1d(3, track_running_stats=False, affine=False)
    assert bn.running_mean is None and bn.weight is None and list(bn.state_dict()) == []
    bn = nlnn.BatchNorm1d(3)
    bn(torch.randn(4, 3) + 5)
    bn.reset_parameters()
    assert bn.running_mean.eq(0).all() and bn.running_var.eq(1).all() and bn.num_batches_tracked.item() == 0


def test_a_subclass_takes_the_inputs_of_the_layer_it_derives_from(ref):
    class MyBatchNorm(nlnn.BatchNorm2d):
        pass

    class MyInstanceNorm(nlnn.InstanceNorm1d):
        pass

    x = torch.randn(2, 3, 4, 4)
    ref.same(MyBatchNorm(3)(x), nn.BatchNorm2d(3)(x))
    ref.same(MyInstanceNorm(3)(x[0, :, 0]), nn.InstanceNorm1d(3)(x[0, :, 0]))  # unbatched (C, L)
    with pytest.raises(ValueError, match=r"MyBatchNorm takes \(N, C, H, W\)"):
        MyBatchNorm(3)(x[0])
