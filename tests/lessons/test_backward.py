"""lessons.backward's node-by-node and closed-form gradients against autograd and torch, and the backward checkers
fed the wrong implementations a learner writes."""

import re

import pytest
import torch
import torch.nn.functional as F

from normlab import check
from normlab.check.backward import broken, slips
from normlab.lessons import backward as B


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


@pytest.mark.parametrize("key", list(slips(0)))
def test_batchnorm_checker_names_each_slip(key):
    verdict = check.batch_norm_backward(slips(0)[key])
    assert verdict.mistakes == (key,), verdict
    assert not re.search(r"\d\.\d", str(verdict)), verdict  # the slip is named; no number of the answer is given
    assert not re.search(r"mean\(g|g \* x_hat|unbiased=|n - 1|sqrt|\.sum\(", str(verdict)), verdict  # no code


def test_the_verdicts_name_the_missing_path():
    assert "misses the path through the mean" in str(check.batch_norm_backward(slips(0)["no_mean_path"]))
    assert "misses the path through the variance" in str(check.batch_norm_backward(slips(0)["no_var_path"]))
    both = str(check.batch_norm_backward(slips(0)["direct_only"]))
    assert "through the mean" in both and "through the variance" in both


def test_the_symptoms_the_verdicts_name_hold():
    """What each message says about the slip's result is true of it."""
    x, gamma, _, dy = _data((6, 4), seed=3)
    x_hat = (x - x.mean(0)) / torch.sqrt(x.var(0, unbiased=False) + 1e-5)
    zero = torch.zeros(4, dtype=torch.float64)
    no_mean = slips(0)["no_mean_path"](dy, x, gamma, 1e-5)[0]
    no_var = slips(0)["no_var_path"](dy, x, gamma, 1e-5)[0]
    assert not torch.allclose(no_mean.sum(0), zero, atol=1e-6)  # does not sum to zero over the batch
    assert torch.allclose(no_var.sum(0), zero, atol=1e-10)
    assert not torch.allclose((no_var * x_hat).sum(0), zero, atol=1e-3)  # a component along x_hat
    wrong_dim = slips(0)["wrong_dim"](dy, x, gamma, 1e-5)[0]
    assert torch.allclose(wrong_dim.sum(1), torch.zeros(6, dtype=torch.float64), atol=1e-10)
    unbiased, right = slips(0)["unbiased"](dy, x, gamma, 1e-5)[1], B.closed_form(dy, x, gamma, (0,))[1]
    ratio = unbiased / right
    assert torch.allclose(ratio, ratio[0].expand(4), rtol=1e-4)  # the same factor in every feature
    against_x = slips(0)["dgamma_x"]
    assert not torch.allclose(against_x(dy, x + 1, gamma, 1e-5)[1], against_x(dy, x, gamma, 1e-5)[1])


def test_right_answers_and_a_part_by_part_report():
    def mine(dout, x, gamma, eps):
        x_hat = (x - x.mean(0)) / torch.sqrt(x.var(0, unbiased=False) + eps)
        g = dout * gamma
        dx = (g - g.mean(0) - x_hat * (g * x_hat).mean(0)) / torch.sqrt(x.var(0, unbiased=False) + eps)
        return dx, (dout * x_hat).sum(0), dout.sum(0)

    assert check.batch_norm_backward(mine) and str(check.batch_norm_backward(mine)).startswith("✓")
    assert check.batch_norm_backward(lambda d, x, g, e: tuple(B.backward_by_nodes(
        B.forward_graph(x, g, torch.zeros_like(g), (0,), e), d)[k] for k in ("x", "gamma", "beta")))

    def off(dout, x, gamma, eps):
        dx, dg, db = mine(dout, x, gamma, eps)
        return dx, dg * 1.5, db

    message = str(check.batch_norm_backward(off))
    assert "dx is right" in message and "dgamma is off by up to" in message and "dbeta is right" in message
    assert "shape" in str(check.batch_norm_backward(lambda d, x, g, e: (d.T, g, g)))
    assert "returned 2 values" in str(check.batch_norm_backward(lambda d, x, g, e: (d, g)))
    assert check.batch_norm_backward(lambda d, x, g, e: (None, None, None)).mistakes == ("missing",)


def test_shifted_input_prediction_and_what_it_claims():
    assert check.predict_shifted_input("the same") and check.predict_shifted_input("same")
    for wrong in ("shifted", "scaled"):
        verdict = check.predict_shifted_input(wrong)
        assert not verdict and "same" not in verdict.message.split(":", 1)[1]
    x, gamma, _, dy = _data()
    assert torch.allclose(B.closed_form(dy, x + 5, gamma, (0,))[0], B.closed_form(dy, x, gamma, (0,))[0])


def test_bug_backward_symptom_and_repair():
    verdict = check.bug_backward(broken)
    assert verdict.mistakes == ("original",) and "not the gradient" in str(verdict)
    assert "x_hat" not in str(verdict)  # the symptom, not where the bug is
    assert check.bug_backward(lambda d, x, g, e: B.closed_form(d, x, g, (0,), e))
    x, gamma, _, dy = _data()
    dx = broken(dy, x, gamma, 1e-5)[0]
    x_hat = (x - x.mean(0)) / torch.sqrt(x.var(0, unbiased=False) + 1e-5)
    assert torch.allclose(dx.sum(0), torch.zeros(4, dtype=torch.float64), atol=1e-10)  # the symptom it names
    assert not torch.allclose((dx * x_hat).sum(0), torch.zeros(4, dtype=torch.float64), atol=1e-6)
