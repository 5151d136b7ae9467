"""normlab.functional against torch.nn.functional: outputs, dtypes, running stats and gradients."""

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

import normlab.functional as nlF
from normlab.versions import refuses_empty_group_norm

DTYPES = st.sampled_from([torch.float32, torch.float64])
MOMENTA = st.sampled_from([0.0, 0.1, 0.5, 1.0, 0.01])
EPS = st.sampled_from([1e-5, 1e-3, 0.5, 1e-12])
FAST = settings(max_examples=40, deadline=None)


@st.composite
def tensors(draw, min_ndim: int = 2, max_ndim: int = 4, min_side: int = 1) -> torch.Tensor:
    """A seeded random tensor of a random small shape and float dtype, scaled and shifted."""
    ndim = draw(st.integers(min_ndim, max_ndim))
    shape = draw(st.lists(st.integers(min_side, 5), min_size=ndim, max_size=ndim))
    gen = torch.Generator().manual_seed(draw(st.integers(0, 2**16)))
    # shift is a few standard deviations: a mean 1e4 stds from 0 is ill-conditioned in float32 for any kernel
    scale, shift = draw(st.sampled_from([1.0, 1e-2, 30.0])), draw(st.sampled_from([0.0, 3.0, -10.0]))
    return (torch.randn(shape, generator=gen) * scale + shift * scale).to(draw(DTYPES))


def affine(x: torch.Tensor, shape, on: bool) -> tuple:
    """Random gamma and beta of `shape` (or None, None)."""
    if not on:
        return None, None
    g = torch.Generator().manual_seed(7)
    return torch.rand(shape, generator=g, dtype=x.dtype) + 0.5, torch.randn(shape, generator=g, dtype=x.dtype)


@FAST
@given(x=tensors(), training=st.booleans(), use_affine=st.booleans(), momentum=MOMENTA, eps=EPS)
def test_batch_norm_matches_torch(x, training, use_affine, momentum, eps, ref):
    c = x.shape[1]
    if training and x.numel() // c == 1:
        return  # torch refuses one value per channel; covered by test_errors
    w, b = affine(x, c, use_affine)
    stats = [torch.randn(c, dtype=x.dtype), torch.rand(c, dtype=x.dtype) + 0.5]  # running mean, running var
    ours, theirs = [s.clone() for s in stats], [s.clone() for s in stats]
    ref.agree(lambda x, w, b, rm, rv: nlF.batch_norm(x, rm.clone(), rv.clone(), w, b, training, momentum, eps),
              lambda x, w, b, rm, rv: F.batch_norm(x, rm.clone(), rv.clone(), w, b, training, momentum, eps),
              x, w, b, *stats)
    nlF.batch_norm(x, *ours, w, b, training, momentum, eps)
    F.batch_norm(x, *theirs, w, b, training, momentum, eps)
    ref.same(ours[0], theirs[0])
    ref.same(ours[1], theirs[1])
    if use_affine and x.numel() // c > 1:
        ref.agree_grads(lambda x, w, b: nlF.batch_norm(x, None, None, w, b, True, momentum, eps),
                        lambda x, w, b: F.batch_norm(x, None, None, w, b, True, momentum, eps), x, w, b)


@FAST
@given(x=tensors(min_ndim=1, max_ndim=4), k=st.integers(1, 3), use_affine=st.booleans(), eps=EPS)
def test_layer_norm_and_rms_norm_match_torch(x, k, use_affine, eps, ref):
    shape = list(x.shape[-min(k, x.dim()):])
    w, b = affine(x, shape, use_affine)
    ref.agree(lambda x, w, b: nlF.layer_norm(x, shape, w, b, eps),
              lambda x, w, b: F.layer_norm(x, shape, w, b, eps), x, w, b)
    ref.agree(lambda x, w: nlF.rms_norm(x, shape, w, eps), lambda x, w: F.rms_norm(x, shape, w, eps), x, w)
    ref.same(nlF.rms_norm(x, shape, w), F.rms_norm(x, shape, w))  # eps=None: the dtype's machine epsilon
    args = (w, b) if use_affine else ()
    ref.agree_grads(lambda x, *p: nlF.layer_norm(x, shape, *p, eps=eps),
                    lambda x, *p: F.layer_norm(x, shape, *p, eps=eps), x, *args)


@FAST
@given(x=tensors(), groups=st.sampled_from([1, 2, 3]), use_affine=st.booleans(), eps=EPS)
def test_group_norm_matches_torch(x, groups, use_affine, eps, ref):
    x = torch.cat([x] * groups, dim=1)  # make C divisible by the group count
    if x.numel() // x.shape[0] // groups == 1:
        return  # one value per group: see test_single_value_groups_are_exactly_zero
    w, b = affine(x, x.shape[1], use_affine)
    ref.agree(lambda x, w, b: nlF.group_norm(x, groups, w, b, eps), lambda x, w, b: F.group_norm(x, groups, w, b, eps),
              x, w, b)
    ref.agree_grads(lambda x: nlF.group_norm(x, groups, eps=eps), lambda x: F.group_norm(x, groups, eps=eps), x)


@FAST
@given(x=tensors(min_ndim=3, min_side=2), use_input_stats=st.booleans(), use_affine=st.booleans(),
       momentum=MOMENTA, eps=EPS)
def test_instance_norm_matches_torch(x, use_input_stats, use_affine, momentum, eps, ref):
    c = x.shape[1]
    w, b = affine(x, c, use_affine)
    stats = [torch.zeros(c, dtype=x.dtype) + 0.3, torch.ones(c, dtype=x.dtype) * 2]
    ours, theirs = [s.clone() for s in stats], [s.clone() for s in stats]
    ref.agree(lambda x, w, b, rm, rv: nlF.instance_norm(x, rm.clone(), rv.clone(), w, b, use_input_stats, momentum,
                                                        eps),
              lambda x, w, b, rm, rv: F.instance_norm(x, rm.clone(), rv.clone(), w, b, use_input_stats, momentum, eps),
              x, w, b, *stats)
    nlF.instance_norm(x, *ours, w, b, use_input_stats, momentum, eps)
    F.instance_norm(x, *theirs, w, b, use_input_stats, momentum, eps)
    ref.same(ours[0], theirs[0])
    ref.same(ours[1], theirs[1])


@pytest.mark.parametrize("shape", [(0, 3), (0, 3, 4), (5, 3, 0), (0, 4, 2, 2)])
def test_empty_inputs_match_torch_and_leave_running_stats(shape, ref):
    x = torch.randn(shape)
    ours = [torch.ones(shape[1]), torch.full((shape[1],), 2.0)]
    theirs = [t.clone() for t in ours]
    ref.same(nlF.batch_norm(x, *ours, training=True), F.batch_norm(x, *theirs, training=True))
    ref.same(ours[0], theirs[0])
    ref.same(ours[1], theirs[1])
    ref.same(nlF.layer_norm(x, shape[-1:]), F.layer_norm(x, shape[-1:]))
    if len(shape) > 2 and 0 in shape[2:] and refuses_empty_group_norm():  # torch 2.14: no positions, no GroupNorm
        for group_norm in (nlF.group_norm, F.group_norm):
            with pytest.raises(RuntimeError, match="Expected HxW to be greater than 0"):
                group_norm(x, 1)
    elif len(shape) > 2 or shape[0] == 0:
        ref.same(nlF.group_norm(x, 1), F.group_norm(x, 1))


def test_running_var_is_unbiased_while_output_uses_biased(ref):
    x = torch.arange(12.0).reshape(3, 4)  # every column has biased var 32/3, unbiased 16
    rm, rv = torch.zeros(4), torch.ones(4)
    y = nlF.batch_norm(x, rm, rv, training=True, momentum=1.0)
    ref.same(rm, x.mean(0))
    ref.same(rv, torch.full((4,), 16.0))
    ref.same(y, (x - x.mean(0)) / torch.sqrt(x.var(0, unbiased=False) + 1e-5))


def test_eval_uses_running_stats_and_zero_eps_is_allowed_in_eval(ref):
    x = torch.randn(4, 3)
    rm, rv = torch.randn(3), torch.rand(3) + 0.1
    ref.same(nlF.batch_norm(x, rm, rv, training=False, eps=0.0), F.batch_norm(x, rm, rv, training=False, eps=0.0))


def test_training_without_running_stats_and_low_precision_dtypes(ref):
    x = torch.randn(6, 3, 4)
    ref.same(nlF.batch_norm(x, None, None, training=True), F.batch_norm(x, None, None, training=True))
    for dtype in (torch.float16, torch.bfloat16):
        a = nlF.batch_norm(x.to(dtype), None, None, training=True)
        b = F.batch_norm(x.to(dtype), None, None, training=True)
        assert a.dtype == b.dtype == dtype
        torch.testing.assert_close(a.float(), b.float(), atol=1e-2, rtol=1e-2)


@pytest.mark.parametrize("op", [
    lambda x, w, b: nlF.batch_norm(x, torch.zeros(3), torch.ones(3), w, b, True),
    lambda x, w, b: nlF.instance_norm(x, None, None, w, b),
    lambda x, w, b: nlF.group_norm(x, 3, w, b),
    lambda x, w, b: nlF.layer_norm(x, (4,), w.repeat(2)[:4], b.repeat(2)[:4]),
    lambda x, w, b: nlF.rms_norm(x, (4,), w.repeat(2)[:4]),
])
def test_output_is_the_same_with_and_without_autograd(op):
    """Inputs that need gradients go through the autograd.Function, others through the in-place path: same numbers."""
    gen = torch.Generator().manual_seed(3)
    x, w, b = torch.randn(5, 3, 4, generator=gen) * 4 + 2, torch.rand(3, generator=gen) + 0.5, torch.randn(3)
    plain = op(x, w, b)
    tracked = op(*(t.clone().requires_grad_() for t in (x, w, b)))
    assert tracked.grad_fn is not None and plain.grad_fn is None
    torch.testing.assert_close(tracked.detach(), plain, atol=1e-6, rtol=1e-6)


def test_single_value_groups_are_exactly_zero():
    """One value per group: x - mean is exactly 0; torch's kernel leaves rounding noise, amplified by 1/sqrt(eps)."""
    x = torch.tensor([[1.5410, -0.2934, 7.0], [-0.2934, 2.0, 3.0]])
    ours, theirs = nlF.group_norm(x, 3), F.group_norm(x, 3)
    assert torch.equal(ours, torch.zeros_like(x))
    torch.testing.assert_close(theirs, ours, atol=1e-4, rtol=0)


@FAST
@given(x=tensors(min_ndim=3, min_side=2), use_affine=st.booleans(), eps=EPS)
def test_instance_norm_gradients_match_torch(x, use_affine, eps, ref):
    args = affine(x, x.shape[1], use_affine) if use_affine else ()
    ref.agree_grads(lambda x, *p: nlF.instance_norm(x, None, None, *p, eps=eps),
                    lambda x, *p: F.instance_norm(x, None, None, *p, eps=eps), x, *args)


SECOND_ORDER = {  # ours and torch's, each called as op(module, x, weight, bias) on x of shape (4, 6, 5)
    "batch_norm": lambda m, x, w, b: m.batch_norm(x, None, None, w, b, True),
    "instance_norm": lambda m, x, w, b: m.instance_norm(x, None, None, w, b),
    "group_norm": lambda m, x, w, b: m.group_norm(x, 3, w, b),
    "layer_norm": lambda m, x, w, b: m.layer_norm(x, (6, 5), w[:, None] * b[:5], b[:, None] + w[:5]),
    "rms_norm": lambda m, x, w, b: m.rms_norm(x, (5,), b[:5], 1e-5),
}


@pytest.mark.parametrize("name", SECOND_ORDER)
def test_second_order_gradients_are_exact(name, ref):
    """The closed-form backward hands double backward to autograd: gradgradcheck passes, and it equals torch's."""
    op = SECOND_ORDER[name]
    gen = torch.Generator().manual_seed(5)
    x, w, b = (torch.randn(s, generator=gen, dtype=torch.float64, requires_grad=True) for s in ((4, 6, 5), 6, 6))
    assert torch.autograd.gradcheck(lambda *t: op(nlF, *t), (x, w, b))
    assert torch.autograd.gradgradcheck(lambda *t: op(nlF, *t), (x, w, b))
    v = torch.randn(4, 6, 5, generator=gen, dtype=torch.float64)
    results = []
    for module in (nlF, F):
        gx = torch.autograd.grad((op(module, x, w, b) * v).sum(), x, create_graph=True)[0]
        results.append(torch.autograd.grad((gx * gx).sum(), (x, w, b), allow_unused=True, materialize_grads=True))
    for ours, theirs in zip(*results, strict=True):
        ref.same(ours, theirs)


@pytest.mark.parametrize("shape", [(4,), (3, 5)])
def test_backward_twice_and_weight_shaped_like_input(shape, ref):
    """The backward writes into its own scratch memory only: a retained graph gives the same gradients twice, also
    when gamma has the input's shape (then dweight is not a reduction of that scratch but the scratch itself)."""
    gen = torch.Generator().manual_seed(7)
    x, w, b = (torch.randn(shape, generator=gen, dtype=torch.float64, requires_grad=True) for _ in range(3))
    g = torch.randn(shape, generator=gen, dtype=torch.float64)
    y = nlF.layer_norm(x, shape, w, b)
    first = torch.autograd.grad(y, (x, w, b), g, retain_graph=True)
    second = torch.autograd.grad(y, (x, w, b), g)
    theirs = torch.autograd.grad(F.layer_norm(x, shape, w, b), (x, w, b), g)
    for a, c, t in zip(first, second, theirs, strict=True):
        assert torch.equal(a, c)
        ref.same(a, t)
