"""normlab.fast.normalize equals the readable normlab.core.normalize: values, gradients, second-order gradients."""

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from normlab import core, fast


@st.composite
def cases(draw):
    """A random shape, a random non-empty set of its dims, float dtype, centering, and gamma/beta shaped to fit."""
    ndim = draw(st.integers(1, 4))
    shape = tuple(draw(st.lists(st.integers(1, 5), min_size=ndim, max_size=ndim)))
    dims = tuple(draw(st.sets(st.integers(0, ndim - 1), min_size=1)))
    if draw(st.booleans()):
        dims = tuple(d - ndim for d in dims)  # negative dims too
    dtype = draw(st.sampled_from([torch.float32, torch.float64]))
    gen = torch.Generator().manual_seed(draw(st.integers(0, 2**16)))
    x = (torch.randn(shape, generator=gen) * draw(st.sampled_from([1.0, 0.01, 30.0])) + draw(
        st.sampled_from([0.0, 3.0]))).to(dtype)
    # gamma and beta: one value per kept position (shape with 1 on the reduced dims) or per element
    kept = tuple(1 if (d in dims or d - ndim in dims) else s for d, s in enumerate(shape))
    pshape = draw(st.sampled_from([kept, shape]))
    affine = draw(st.sampled_from(["none", "weight", "both"]))
    w = torch.rand(pshape, generator=gen, dtype=dtype) + 0.5 if affine != "none" else None
    b = torch.randn(pshape, generator=gen, dtype=dtype) if affine == "both" else None
    return x, dims, draw(st.sampled_from([1e-5, 1e-2, 1.0])), draw(st.booleans()), w, b


def _grads(fn, x, w, b, create_graph=False):
    leaves = [t for t in (x, w, b) if t is not None]
    y = fn(x, w, b)
    v = torch.randn(y.shape, generator=torch.Generator().manual_seed(1), dtype=y.dtype)
    return y, torch.autograd.grad((y * v).sum(), leaves, create_graph=create_graph)


@settings(max_examples=60, deadline=None)
@given(case=cases())
def test_fast_equals_readable_values_and_gradients(case, ref):
    x, dims, eps, center, w, b = case
    tol = ref.FORMULAS[x.dtype]

    def readable(x, w, b):
        return core.normalize(x, dims, eps, center=center, weight=w, bias=b)

    def quick(x, w, b):
        return fast.normalize(x, dims, eps, center=center, weight=w, bias=b)

    with torch.no_grad():  # the in-place path
        torch.testing.assert_close(quick(x, w, b), readable(x, w, b), **tol)
    leaves = [None if t is None else t.clone().requires_grad_() for t in (x, w, b)]
    y_fast, g_fast = _grads(quick, *leaves)  # the autograd.Function with the closed-form backward
    y_read, g_read = _grads(readable, *leaves)
    torch.testing.assert_close(y_fast, y_read, **tol)
    scale = max(1.0, max(g.abs().max().item() for g in g_read))
    for a, c in zip(g_fast, g_read, strict=True):
        torch.testing.assert_close(a, c, atol=tol["atol"] * scale, rtol=tol["rtol"])


@settings(max_examples=20, deadline=None)
@given(case=cases())
def test_fast_equals_readable_second_order(case):
    x, dims, eps, center, w, b = case
    x, w, b = (None if t is None else t.double().requires_grad_() for t in (x, w, b))
    results = []
    for module in (fast, core):
        _, (gx, *_) = _grads(lambda x, w, b, m=module: m.normalize(x, dims, eps, center=center, weight=w, bias=b),
                             x, w, b, create_graph=True)
        leaves = [t for t in (x, w, b) if t is not None]
        results.append(torch.autograd.grad((gx * gx).sum(), leaves, allow_unused=True, materialize_grads=True))
    for a, c in zip(*results, strict=True):
        torch.testing.assert_close(a, c, atol=1e-7, rtol=1e-6)


def test_half_precision_is_computed_in_float32_by_both():
    x = torch.randn(4, 8) * 3 + 1
    for dtype in (torch.float16, torch.bfloat16):
        a, c = fast.normalize(x.to(dtype), 1), core.normalize(x.to(dtype), 1)
        assert a.dtype == c.dtype == dtype
        torch.testing.assert_close(a.float(), c.float(), atol=1e-2, rtol=1e-2)


def test_empty_input_gives_an_empty_output_in_both():
    for shape, dims in (((0, 3), 0), ((2, 0), 1), ((0, 3, 4), (0, 2))):
        x = torch.randn(shape)
        assert fast.normalize(x, dims).shape == core.normalize(x, dims).shape == shape
