"""normlab.lessons.running against torch.nn.BatchNorm1d: running statistics, momentum conventions, forgotten eval()."""

import copy
import math

import pytest
import torch
from torch import nn

from normlab.lessons.running import (
    batches_to_forget,
    convert_momentum,
    forgot_eval_effect,
    simulate_running_stats,
    toy_bn_classifier,
)


def _torch_trajectory(batches: torch.Tensor, momentum: float | None) -> tuple[list[float], list[float]]:
    """Feed the same batches through torch's BatchNorm1d(1) and record its buffers."""
    bn = nn.BatchNorm1d(1, momentum=momentum)
    means, vars_ = [bn.running_mean.item()], [bn.running_var.item()]
    for batch in batches:
        bn(batch)
        means.append(bn.running_mean.item())
        vars_.append(bn.running_var.item())
    return means, vars_


@pytest.mark.parametrize("momentum", [0.1, 0.5, 1.0, None])
def test_trajectory_matches_torch(momentum: float | None) -> None:
    trace = simulate_running_stats(steps=12, momentum=momentum, batch_size=5, seed=3)
    means, vars_ = _torch_trajectory(trace.batches, momentum)
    assert trace.batches.shape == (12, 5, 1)
    torch.testing.assert_close(trace.running_mean, torch.tensor(means))
    torch.testing.assert_close(trace.running_var, torch.tensor(vars_))


def test_batch_stats_are_the_batches_mean_and_unbiased_var() -> None:
    trace = simulate_running_stats(steps=4, batch_size=6, seed=1)
    for i, batch in enumerate(trace.batches):
        assert trace.batch_mean[i].item() == pytest.approx(batch.mean().item(), abs=1e-6)
        assert trace.batch_var[i].item() == pytest.approx(batch.var(correction=1).item(), abs=1e-5)


def test_momentum_one_keeps_only_the_last_batch() -> None:
    trace = simulate_running_stats(steps=5, momentum=1.0, seed=2)
    torch.testing.assert_close(trace.running_mean[1:], trace.batch_mean)
    torch.testing.assert_close(trace.running_var[1:], trace.batch_var)


def test_cumulative_average_when_momentum_is_none() -> None:
    trace = simulate_running_stats(steps=6, momentum=None, seed=4)
    for k in range(1, 7):
        assert trace.running_mean[k].item() == pytest.approx(trace.batch_mean[:k].mean().item(), abs=1e-5)


def test_running_stats_approach_the_population() -> None:
    trace = simulate_running_stats(steps=200, momentum=0.1, batch_size=64, true_mean=-1.0, true_std=0.5, seed=0)
    assert trace.true_var == 0.25
    assert abs(trace.running_mean[-1].item() - trace.true_mean) < 0.1
    assert abs(trace.running_var[-1].item() - trace.true_var) < 0.05
    assert abs(trace.running_mean[1].item() - trace.true_mean) > 0.5  # after one batch, still near the initial 0


def test_same_seed_same_trace_other_seed_other_trace() -> None:
    a, b, c = (simulate_running_stats(steps=3, seed=s) for s in (7, 7, 8))
    assert torch.equal(a.batches, b.batches)
    assert not torch.equal(a.batches, c.batches)


@pytest.mark.parametrize("kwargs", [{"batch_size": 1}, {"momentum": 1.5}, {"momentum": -0.1}])
def test_simulate_rejects_bad_arguments(kwargs: dict) -> None:
    with pytest.raises(ValueError, match="batch_size >= 2|torch's momentum"):
        simulate_running_stats(**kwargs)


@pytest.mark.parametrize("d2l_momentum", [0.9, 0.99, 0.5])
def test_converted_momentum_reproduces_the_d2l_update(d2l_momentum: float) -> None:
    """d2l: moving = m * moving + (1 - m) * batch_mean; torch with convert_momentum(m) must agree."""
    x = torch.randn(5, 8, 3, generator=torch.Generator().manual_seed(0))
    bn = nn.BatchNorm1d(3, momentum=convert_momentum(d2l_momentum, "d2l", "torch"))
    moving = torch.zeros(3)
    for batch in x:
        bn(batch)
        moving = d2l_momentum * moving + (1 - d2l_momentum) * batch.mean(0)
    torch.testing.assert_close(bn.running_mean, moving)


def test_convert_momentum_directions() -> None:
    assert convert_momentum(0.9) == pytest.approx(0.1)
    assert convert_momentum(0.1, "torch", "keras") == pytest.approx(0.9)
    assert convert_momentum(0.99, "keras", "d2l") == 0.99
    assert convert_momentum(0.1, "torch", "torch") == 0.1
    assert convert_momentum(convert_momentum(0.37, "torch", "d2l"), "d2l", "torch") == pytest.approx(0.37)


@pytest.mark.parametrize(("args", "match"), [((0.9, "tf", "torch"), "unknown convention"),
                                             ((1.2, "d2l", "torch"), "not in \\[0, 1\\]")])
def test_convert_momentum_errors(args: tuple, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        convert_momentum(*args)


@pytest.mark.parametrize("momentum", [0.1, 0.01, 0.5, 1.0])
def test_batches_to_forget_is_the_first_step_below_the_fraction(momentum: float) -> None:
    k = batches_to_forget(momentum, 0.01)
    assert (1 - momentum) ** k < 0.01
    assert k == 1 or (1 - momentum) ** (k - 1) >= 0.01
    # measured: start torch's running mean at 100 and feed zeros; after k batches it is below 1
    bn = nn.BatchNorm1d(1, momentum=momentum)
    bn.running_mean.fill_(100.0)
    for _ in range(k):
        bn(torch.tensor([[-1.0], [1.0]]))
    assert bn.running_mean.item() < 1.0


def test_batches_to_forget_rejects_zero() -> None:
    with pytest.raises(ValueError, match="never updates"):
        batches_to_forget(0.0)


@pytest.fixture(scope="module")
def trained() -> tuple[nn.Module, torch.Tensor, torch.Tensor]:
    return toy_bn_classifier(seed=0)


def test_forgetting_eval_hurts_small_same_class_batches(trained: tuple) -> None:
    model, x, y = trained
    before = {k: v.clone() for k, v in model.state_dict().items()}
    effect = forgot_eval_effect(model, x, y, batch_size=2)
    assert effect.accuracy_eval > 0.9
    assert effect.accuracy_train_mode < 0.7
    assert effect.max_logit_diff > 1.0
    assert effect.running_mean_drift > 0.0  # train mode overwrote the running statistics of the copy
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())  # the model itself untouched
    assert not model.training


def test_forgot_eval_measures_what_a_manual_loop_measures(trained: tuple) -> None:
    model, x, y = trained
    effect = forgot_eval_effect(model, x, y, batch_size=4)
    m = copy.deepcopy(model).train()
    with torch.no_grad():
        acc = torch.cat([m(xb).argmax(1) for xb in x.split(4)]).eq(y).float().mean().item()
        acc_eval = model(x).argmax(1).eq(y).float().mean().item()
    assert effect.accuracy_train_mode == pytest.approx(acc)
    assert effect.accuracy_eval == pytest.approx(acc_eval)


def test_one_big_mixed_batch_hides_the_bug(trained: tuple) -> None:
    model, x, y = trained
    effect = forgot_eval_effect(model, x, y, batch_size=len(x))
    assert abs(effect.accuracy_train_mode - effect.accuracy_eval) < 0.05


def test_forgot_eval_batch_of_one_explains_the_error(trained: tuple) -> None:
    model, x, y = trained
    with pytest.raises(ValueError, match="Expected more than 1 value per channel"):
        forgot_eval_effect(model, x, y, batch_size=1)
    with pytest.raises(ValueError, match="Expected more than 1 value per channel"):
        copy.deepcopy(model).train()(x[:1])


def test_trace_repr_is_short() -> None:
    text = repr(simulate_running_stats(steps=2))
    assert text.startswith("RunningTrace(momentum=0.1, steps=2") and len(text) < 200
    assert math.isfinite(float(text.split("running_mean=")[1].split(",")[0]))


def test_toy_classifier_is_seeded_and_leaves_the_global_rng_alone() -> None:
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    a = toy_bn_classifier(seed=1, steps=5)
    assert torch.equal(torch.rand(3), expected)
    b = toy_bn_classifier(seed=1, steps=5)
    assert all(torch.equal(p, q) for p, q in zip(a[0].state_dict().values(), b[0].state_dict().values(), strict=True))
