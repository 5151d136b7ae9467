"""normlab.backward's node-by-node and closed-form gradients against autograd and torch, and the backward checkers
fed the wrong implementations a learner writes."""

import re

import pytest
import torch
import torch.nn.functional as F

from normlab import backward as B
from normlab import check
from normlab.check.backward import _broken, slips


def _data(shape=(6, 4), seed=0):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(shape, generator=gen, dtype=torch.float64) * 2 + 1
    gamma = torch.rand(shape[1], generator=gen, dtype=torch.float64) + 0.5
    beta = torch.randn(shape[1], generator=gen, dtype=torch.float64)
    return x, gamma, beta, torch.randn(shape, generator=gen, dtype=torch.float64)


@pytest.mark.parametrize("dims", [(0,), (1,)])
def test_every_node_gradient_equals_autograds(dims):
    x, gamma, beta, dy = _data()
    x = x.requires_grad_()
    graph = B.forward_graph(x, gamma.requires_grad_(), beta.requires_grad_(), dims)
    nodes = {name: getattr(graph, name) for name in ("mean", "centered", "var", "rstd", "x_hat")}
    for t in nodes.values():
        t.retain_grad()
    graph.y.backward(dy)
    ours = B.backward_by_nodes(graph, dy)
    for name, t in nodes.items():
        torch.testing.assert_close(ours[name], t.grad, msg=name)
    torch.testing.assert_close(ours["x"], x.grad)
    torch.testing.assert_close(ours["gamma"], gamma.grad)
    torch.testing.assert_close(ours["beta"], beta.grad)


@pytest.mark.parametrize(("dims", "torch_fn"), [
    ((0,), lambda x, g, b: F.batch_norm(x, None, None, g, b, training=True)),
    ((1,), lambda x, g, b: F.layer_norm(x, x.shape[1:], g, b)),
])
def test_closed_form_equals_torchs_own_gradients(dims, torch_fn):
    x, gamma, beta, dy = _data((8, 5), seed=1)
    leaves = [t.clone().requires_grad_() for t in (x, gamma, beta)]
    torch_fn(*leaves).backward(dy)
    for ours, leaf in zip(B.closed_form(dy, x, gamma, dims), leaves, strict=True):
        torch.testing.assert_close(ours, leaf.grad)


def test_closed_form_for_any_dims_matches_fast_and_gradcheck():
    gen = torch.Generator().manual_seed(2)
    x = torch.randn(3, 4, 5, generator=gen, dtype=torch.float64, requires_grad=True)
    gamma = torch.rand(1, 4, 1, generator=gen, dtype=torch.float64) + 0.5
    from normlab import fast

    dy = torch.randn(3, 4, 5, generator=gen, dtype=torch.float64)
    fast.normalize(x, (0, 2), weight=gamma).backward(dy)
    torch.testing.assert_close(B.closed_form(dy, x.detach(), gamma, (0, 2))[0], x.grad)
    assert torch.autograd.gradcheck(lambda t: fast.normalize(t, (0, 2), weight=gamma), (x,))


def _named(exercise, fn):
    return exercise(fn).mistakes


@pytest.mark.parametrize("key", list(slips(0)))
def test_batchnorm_checker_names_each_slip(key):
    verdict = check.batchnorm_backward(slips(0)[key])
    assert verdict.mistakes == (key,), verdict
    assert not re.search(r"\d\.\d", str(verdict)), verdict  # the slip is named; no number of the answer is given


@pytest.mark.parametrize("key", list(slips(1)))
def test_layernorm_checker_names_each_slip(key):
    assert _named(check.layernorm_backward, slips(1)[key]) == (key,)


def test_right_answers_and_a_part_by_part_report():
    def mine(dout, x, gamma, eps):
        x_hat = (x - x.mean(0)) / torch.sqrt(x.var(0, unbiased=False) + eps)
        g = dout * gamma
        dx = (g - g.mean(0) - x_hat * (g * x_hat).mean(0)) / torch.sqrt(x.var(0, unbiased=False) + eps)
        return dx, (dout * x_hat).sum(0), dout.sum(0)

    assert check.batchnorm_backward(mine) and str(check.batchnorm_backward(mine)).startswith("✓")
    assert check.layernorm_backward(lambda d, x, g, e: B.closed_form(d, x, g, (1,), e))

    def off(dout, x, gamma, eps):
        dx, dg, db = mine(dout, x, gamma, eps)
        return dx, dg * 1.5, db

    message = str(check.batchnorm_backward(off))
    assert "dx is right" in message and "dgamma is off by up to" in message and "dbeta is right" in message
    assert "shape" in str(check.batchnorm_backward(lambda d, x, g, e: (d.T, g, g)))
    assert "returned 2 values" in str(check.batchnorm_backward(lambda d, x, g, e: (d, g)))


def test_bug_backward_symptom_and_repair():
    verdict = check.bug_backward(_broken)
    assert verdict.mistakes == ("original",) and "orthogonal" in str(verdict)
    assert check.bug_backward(lambda d, x, g, e: B.closed_form(d, x, g, (0,), e))
    x, gamma, _, dy = _data()
    dx = _broken(dy, x, gamma, 1e-5)[0]
    x_hat = (x - x.mean(0)) / torch.sqrt(x.var(0, unbiased=False) + 1e-5)
    assert torch.allclose(dx.sum(0), torch.zeros(4, dtype=torch.float64), atol=1e-10)  # the symptom it names
    assert not torch.allclose((dx * x_hat).sum(0), torch.zeros(4, dtype=torch.float64), atol=1e-6)
