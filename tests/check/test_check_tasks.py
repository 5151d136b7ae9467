"""The mistakes the checkers recognise beyond the basic ones, the predict-then-run questions and the find-the-bug
tasks: each fed a wrong answer written the way a learner writes it; no message gives the expected value away."""

import copy

import pytest
import torch
from torch import nn

from normlab import check
from normlab.check import bugs
from normlab.lessons.running import toy_bn_classifier

EPS = 1e-5


@pytest.mark.parametrize(("exercise", "dims"), [(check.batch_norm1d_3d, (0, 2)), (check.batch_norm2d, (0, 1, 2))])
def test_eps_outside_the_square_root(exercise, dims):
    x = exercise.x
    var = x.var(dims, unbiased=False, keepdim=True)
    y = (x - x.mean(dims, keepdim=True)) / (torch.sqrt(var) + EPS)
    if dims == (0, 2):  # this one has a weight and bias per channel
        y = y * exercise.weight.reshape(1, 3, 1) + exercise.bias.reshape(1, 3, 1)
    verdict = exercise(y)
    assert verdict.mistakes == ("eps_outside",) and "barely varies" in str(verdict) and "inside" not in str(verdict)


def test_eps_outside_in_eval_mode():
    e = check.eval_output
    y = (e.x - e.running_mean) / (torch.sqrt(e.running_var) + EPS) * e.weight + e.bias
    assert e(y).mistakes == ("eps_outside",)


def test_gamma_and_beta_applied_before_normalizing():
    e = check.batch_norm1d_affine
    z = e.x * e.weight + e.bias
    y = (z - z.mean(0)) / torch.sqrt(z.var(0, unbiased=False) + EPS)
    verdict = e(y)
    assert verdict.mistakes == ("affine_first",) and "then something undid them" in str(verdict)


def test_reshape_instead_of_permute_or_transpose():
    e = check.layer_norm_channels
    x = e.x
    n, c, h, w = x.shape
    assert e(nn.LayerNorm(c)(x.reshape(n, h, w, c)).reshape(n, c, h, w)).mistakes == ("reshape",)
    t = check.tokens_batch_norm
    x = t.x
    b, tt, ee = x.shape
    verdict = t(nn.BatchNorm1d(ee)(x.reshape(b, ee, tt)).reshape(b, tt, ee))
    assert verdict.mistakes == ("reshape",) and "mix tokens and features" in str(verdict)
    assert "transpose" not in str(verdict)  # the symptom, not the fix


@pytest.mark.parametrize("exercise", [check.layer_norm_weight_shape])
def test_a_bare_int_where_a_shape_was_asked(exercise):
    verdict = exercise(16)
    assert verdict.mistakes == ("bare_int",) and "a shape is a tuple" in str(verdict) and "16" not in str(verdict)
    assert "comma" not in str(verdict)
    assert str(exercise(7)).replace("7", "16") == str(verdict)  # a wrong size and the right one read the same


def test_messages_of_worked_mistakes_never_state_the_answer():
    assert "1 - 0.9" not in str(check.torch_momentum(0.9)) and "0.1" not in str(check.torch_momentum(0.9))
    assert "(C, H, W)" not in str(check.layer_norm_weight_shape((16,)))


PREDICTIONS = [  # exercise, right answer, wrong answers a learner gives
    (check.predict_groups, 8, [3, 6, 2, 24, 12]),
    (check.predict_running_var, 16, [10.6667, 1.0, 0.9, 4.0]),
    (check.predict_values_per_mean, 15, [3, 5, 20, 60, 4]),
    (check.predict_d2l_moving_var, "smaller", ["equal", "larger"]),
    (check.predict_batch_dependence, "BatchNorm", ["LayerNorm", "both", "neither"]),
    (check.predict_no_grad, "yes", ["no"]),
    (check.predict_channels_last, "the same", ["different"]),
    (check.predict_shifted_input, "the same", ["shifted", "scaled"]),
]


@pytest.mark.parametrize(("exercise", "right", "wrongs"), PREDICTIONS, ids=lambda p: getattr(p, "name", ""))
def test_predictions(exercise, right, wrongs):
    assert exercise(right).ok and not exercise(None).ok
    if isinstance(right, str):
        assert exercise(right.upper()).ok  # words are not case-sensitive
    for wrong in wrongs:
        verdict = exercise(wrong)
        assert not verdict and verdict.mistakes[0].startswith("wrong") and str(right) not in str(verdict).lower()
    assert exercise(12345).mistakes == ("unknown",) and "read the question again" in str(exercise(12345))


def test_prediction_answers_are_what_torch_does():
    """Each prediction's right answer, computed here with torch."""
    from normlab.lessons.explorer import explore

    assert check.predict_groups(explore("(N, C, L)", (1,)).n_groups)
    bn = nn.BatchNorm1d(4, momentum=1.0)
    bn(torch.arange(12.0).reshape(3, 4))
    assert check.predict_running_var(bn.running_var[0].item())
    assert check.predict_values_per_mean(3 * 5)
    bn = nn.BatchNorm1d(4)
    with torch.no_grad():
        bn(torch.randn(5, 4))
    assert check.predict_no_grad("yes" if bn.running_mean.abs().sum() > 0 else "no")
    x = torch.randn(2, 3, 4, 4)
    cl = x.contiguous(memory_format=torch.channels_last)
    assert check.predict_channels_last("the same" if torch.allclose(nn.BatchNorm2d(3)(cl), nn.BatchNorm2d(3)(x),
                                                                   atol=1e-6) else "different")


BROKEN = {"bug_layer_norm": bugs.layer_norm_broken, "bug_batch_norm": bugs.bn_eps_broken,
          "bug_channel_loop": bugs.channel_loop_broken,
          "bug_comparison": bugs.compare_broken, "bug_predict": bugs.predict_broken,
          "bug_nhwc": bugs.nhwc_broken}


@pytest.mark.parametrize("name", BROKEN)
def test_each_bug_hunt_names_the_symptom_of_the_original(name):
    exercise = getattr(check, name)
    verdict = exercise(BROKEN[name])
    assert verdict.mistakes == ("original",) and str(verdict).startswith(f"✗ {name}: still the original bug")
    assert exercise(exercise.reference).ok
    assert not exercise(None) and "pass your function" in str(exercise(None))


def test_bug_hunt_repairs_written_by_a_learner():
    def layer_norm(x):
        mean = x.mean(dim=-1, keepdim=True)
        return (x - mean) / torch.sqrt(x.var(dim=-1, unbiased=False, keepdim=True) + 1e-5)

    def batch_norm(x):
        return (x - x.mean(0)) / torch.sqrt(x.var(0, unbiased=False) + 1e-5)

    def channel_loop(x):
        out = torch.empty_like(x)
        for c in range(x.shape[1]):
            values = x[:, c, :]
            out[:, c, :] = (values - values.mean()) / torch.sqrt(values.var(unbiased=False) + 1e-5)
        return out

    def predict(model, x):
        was_training = model.training
        model.eval()
        with torch.no_grad():
            out = torch.cat([model(xb) for xb in x.split(2)])
        model.train(was_training)
        return out

    def predict_left_in_eval(model, x):
        model.eval()
        with torch.no_grad():
            return torch.cat([model(xb) for xb in x.split(2)])

    assert check.bug_layer_norm(layer_norm) and check.bug_batch_norm(batch_norm)
    assert check.bug_channel_loop(channel_loop)
    assert check.bug_comparison(lambda a, b: torch.allclose(a, b, atol=1e-5, rtol=0))
    assert check.bug_predict(predict)
    assert check.bug_predict(predict_left_in_eval)  # the mode is notebook 07's point, not this task's
    assert check.bug_nhwc(lambda x, bn: bn(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1))


def test_bug_hunt_other_slips_are_named():
    assert check.bug_layer_norm(lambda x: (x - x.mean(-1, keepdim=True)) / torch.sqrt(
        x.var(-1, keepdim=True) + 1e-5)).mistakes == ("unbiased",)
    assert check.bug_batch_norm(lambda x: (x - x.mean(0)) / x.var(0, unbiased=False).sqrt()).mistakes == (
        "no_eps",)
    assert check.bug_comparison(lambda a, b: bool((b - a < 1e-5).all())).mistakes == ("swapped",)
    assert check.bug_comparison(lambda a, b: bool(((a - b).abs() < 1e-5).any())).mistakes == ("any",)
    assert not check.bug_comparison(lambda a, b: torch.allclose(a, b, atol=1e-5))  # rtol too: not within 1e-5
    for slip in ("no_eps", "eps_outside"):
        assert check.bug_layer_norm(bugs.bug_layer_norm.mistakes[slip][0]).mistakes == (slip,)
    channel_loop_no_eps = lambda x: (x - x.mean((0, 2), keepdim=True)) / x.var(  # noqa: E731
        (0, 2), unbiased=False, keepdim=True).sqrt()
    assert check.bug_channel_loop(channel_loop_no_eps).mistakes == ("no_eps",)  # a repair that also drops eps
    assert check.bug_nhwc(lambda x, bn: bn(x.permute(0, 3, 1, 2))).mistakes == ("not_back",)
    assert check.bug_nhwc(lambda x, bn: bn(x.reshape(2, 3, 4, 4)).reshape(x.shape)).mistakes == ("reshape",)
    assert check.bug_nhwc(lambda x, bn: bn(x.transpose(1, 3)).transpose(1, 3))  # any way in, if undone on the way out
    verdict = check.bug_batch_norm(lambda x: x * 2)
    assert verdict.mistakes == ("unknown",) and "off by up to" in str(verdict)
    verdict = check.bug_batch_norm(lambda x: x.foo)
    assert "raised AttributeError" in str(verdict)


def test_forgot_eval_checks_the_running_statistics_too():
    """A predict that calls eval() only after predicting gives eval's numbers for nothing: it moved the stats."""
    def late_eval(model, x):
        with torch.no_grad():
            out = torch.cat([model(xb) for xb in x.split(2)])
        model.eval()
        return out

    assert not check.bug_predict(late_eval)
    model, x, _ = toy_bn_classifier(seed=0)
    trained = copy.deepcopy(model).train()
    before = trained[1].running_mean.clone()
    bugs.predict_broken(trained, x[:20])
    assert not torch.equal(before, trained[1].running_mean)


def test_a_number_predicted_by_hand_may_be_rounded():
    assert check.predict_running_var(16.05).ok and check.predict_running_var(10.67).mistakes == ("wrong0",)
    assert check.predict_running_var(15.5).mistakes == ("unknown",)  # 3% off is not a rounding


def test_half_repairs_and_right_answers_in_other_words():
    half = check.bug_layer_norm(lambda x: (x - x.mean(-1, keepdim=True)) / torch.sqrt(x.var(-1, unbiased=False) + 1e-5))
    assert half.mistakes == ("half_keepdim",) and "keepdim" not in str(half)
    for exercise, words in ((check.predict_d2l_moving_var, ("less", "lower")),
                            (check.predict_batch_dependence, ("BatchNorm1d",)),
                            (check.predict_channels_last, ("identical", "same")),
                            (check.predict_shifted_input, ("unchanged", "same"))):
        assert all(exercise(word) for word in words), exercise.name
    lone = check.batch_norm_backward(lambda dout, x, gamma, eps: dout)  # dx alone, not the three gradients
    assert "returned one value; return 3" in str(lone)
