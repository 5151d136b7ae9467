"""Notebook 10's pieces: the state table, one training step, FrozenBatchNorm2d, recalibration, the exercises."""

import copy
import itertools

import pytest
import torch
from torch import nn

from normlab import check, frozen
from normlab.lessons import d2l_chapter, state
from normlab.widgets import StateWidget


def test_state_table_of_torch_batchnorm_and_of_the_d2l_module() -> None:
    rows = {r.name: r for r in state.state_table(nn.BatchNorm1d(3))}
    assert {n for n, r in rows.items() if r.kind == "parameter"} == {n for n, _ in nn.BatchNorm1d(3).named_parameters()}
    assert all(r.saved for r in rows.values())
    mine = {r.name: r for r in state.state_table(d2l_chapter.BatchNorm(3, 2))}
    assert mine["moving_mean"].kind == "plain attribute" and not mine["moving_mean"].saved


@pytest.mark.parametrize("train,requires_grad,track,affine", list(itertools.product((True, False), repeat=4)))
def test_one_step_reports_what_torch_does(train: bool, requires_grad: bool, track: bool, affine: bool) -> None:
    report = state.one_step(train, requires_grad, track, affine)
    uses_batch = train or not track
    mean = report.row("output mean").after
    assert (max(abs(v) for v in mean) < 1e-4) == uses_batch  # only batch statistics centre this batch
    assert report.row("running_mean").changed == (train and track)
    assert report.row("weight").changed == (affine and requires_grad)
    assert (report.row("weight").before is None) == (not affine)
    assert (report.row("running_mean").before is None) == (not track)


def test_state_widget_toggles_change_the_table() -> None:
    w = StateWidget()
    assert "SGD updated weight, bias" in w.text.value
    w.controls["requires_grad"].value = False
    assert "do not require grad" in w.text.value
    w.controls["mode"].value = "eval"
    assert "running_mean and running_var" in w.text.value
    w.controls["track_running_stats"].value = False
    assert "no running statistics to use" in w.text.value
    w.controls["affine"].value = False
    assert "no parameters" in w.text.value and "Traceback" not in w.text.value


def _pretrained_bn() -> nn.BatchNorm2d:
    torch.manual_seed(0)
    bn = nn.BatchNorm2d(3)
    with torch.no_grad():
        bn.weight.uniform_(0.5, 1.5)
        bn.bias.uniform_(-0.5, 0.5)
    for _ in range(5):
        bn(torch.randn(8, 3, 4, 4) * 2 + 1)
    return bn.eval()


def test_frozen_batchnorm_equals_eval_batchnorm_in_any_mode_and_loads_its_checkpoint() -> None:
    bn, x = _pretrained_bn(), torch.randn(4, 3, 5, 5) * 3
    ice = frozen.FrozenBatchNorm2d.from_batchnorm(bn).train()
    assert torch.allclose(ice(x), bn(x), atol=1e-6) and list(ice.parameters()) == []
    before = {k: v.clone() for k, v in ice.state_dict().items()}
    ice(x)
    assert all(torch.equal(before[k], v) for k, v in ice.state_dict().items())
    again = frozen.FrozenBatchNorm2d(3)
    again.load_state_dict(bn.state_dict())
    assert torch.allclose(again(x), bn(x), atol=1e-6)


def test_frozen_batchnorm_errors_teach() -> None:
    with pytest.raises(ValueError, match="track_running_stats=False"):
        frozen.FrozenBatchNorm2d.from_batchnorm(nn.BatchNorm2d(3, track_running_stats=False))
    with pytest.raises(ValueError, match=r"\(N, C, H, W\) with C = 3"):
        frozen.FrozenBatchNorm2d(3)(torch.randn(2, 4, 3, 3))


def test_freeze_batchnorm_replaces_nested_layers() -> None:
    model = nn.Sequential(nn.Conv2d(3, 3, 1), nn.Sequential(_pretrained_bn(), nn.ReLU()))
    x = torch.randn(2, 3, 4, 4)
    want = model.eval()(x)
    frozen.freeze_batchnorm(model)
    assert isinstance(model[1][0], frozen.FrozenBatchNorm2d)
    assert torch.allclose(model.train()(x), want, atol=1e-6)


def test_recalibrate_equals_update_bn_and_restores_the_model() -> None:
    torch.manual_seed(1)
    net = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8, momentum=0.3), nn.ReLU(), nn.Linear(8, 2)).eval()
    batches = [(torch.randn(16, 4) * 2 + 3, torch.zeros(16)) for _ in range(6)]
    ours, torchs = copy.deepcopy(net), copy.deepcopy(net)
    frozen.recalibrate(ours, batches)
    torch.optim.swa_utils.update_bn(batches, torchs)
    assert torch.allclose(ours[1].running_mean, torchs[1].running_mean, atol=1e-6)
    assert torch.allclose(ours[1].running_var, torchs[1].running_var, atol=1e-6)
    whole = torch.cat([b[0] for b in batches])
    assert not ours.training and ours[1].momentum == 0.3
    with torch.no_grad():  # the plain average of the batch means
        means = torch.stack([net[0](b[0]).mean(0) for b in batches]).mean(0)
    assert torch.allclose(ours[1].running_mean, means, atol=1e-5) and whole.shape == (96, 4)
    with pytest.raises(ValueError, match="nothing to recalibrate"):
        frozen.recalibrate(nn.Linear(2, 2), batches)


def test_state_exercises() -> None:
    right = set(nn.BatchNorm2d(4, track_running_stats=False).state_dict())
    assert right == {"weight", "bias"} and check.predict_state_dict_keys(right)
    every = set(nn.BatchNorm2d(4).state_dict())
    extra = check.predict_state_dict_keys(every).message
    assert check.predict_state_dict_keys(every).mistakes == ("keys",) and "3 of your keys are not in" in extra
    assert not any(key in extra for key in every)  # counted, never named
    missing = check.predict_state_dict_keys(right - {"bias"}).message
    assert "misses 1 of the keys" in missing and "bias" not in missing.split(":", 1)[1]
    assert check.predict_state_dict_keys("running_mean").mistakes == ("type",)


def _requires_grad_only(model):
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.requires_grad_(False)


def _eval_only(model):
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.eval()


def _momentum_zero(model):
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.requires_grad_(False)
            m.momentum = 0.0


def _eval_and_no_grad(model):
    _requires_grad_only(model)
    _eval_only(model)


def _everything(model):
    frozen.freeze_batchnorm(model).requires_grad_(False)


@pytest.mark.parametrize("fn,mistake", [(_requires_grad_only, "running"), (_eval_only, "training"),
                                        (_momentum_zero, "batch_stats"), (_everything, "everything"),
                                        (_eval_and_no_grad, "eval_undone"),
                                        (lambda m: m.__setitem__(1, nn.Identity()), "keys"),
                                        (lambda m: 1 / 0, "raised"), (None, "missing")])
def test_bug_freeze_names_each_way_of_getting_it_wrong(fn, mistake) -> None:
    verdict = check.bug_freeze(fn)
    assert not verdict and verdict.mistakes == (mistake,)


def test_bug_freeze_verdicts_describe_symptoms_not_the_fix() -> None:
    for fn in (_requires_grad_only, _eval_only, _momentum_zero, _everything, _eval_and_no_grad):
        message = check.bug_freeze(fn).message
        assert "FrozenBatchNorm" not in message and "train()" not in message and "eval" not in message


def test_one_step_rows_equal_a_step_written_out() -> None:
    bn = nn.BatchNorm1d(3)
    before = state.snapshot(bn)
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(16, 3, generator=gen) * torch.tensor([3.0, 1.0, 0.5]) + torch.tensor([2.0, -1.0, 0.5])
    target = torch.randn(16, 3, generator=gen)
    y = bn(x)
    torch.nn.functional.mse_loss(y, target).backward()
    torch.optim.SGD(bn.parameters(), lr=0.5).step()
    assert state.step_rows(before, bn, y) == state.one_step().rows


def test_bug_freeze_accepts_frozen_batchnorm() -> None:
    assert check.bug_freeze(frozen.freeze_batchnorm)
    model = frozen.freeze_batchnorm(check.state.pretrained())
    check.state.fine_tune_step(model)
    h = torch.randn(2, 4, 5, 5)  # what reaches the BatchNorm: after the step it is still the pretrained one
    assert torch.allclose(model[1](h), check.state.pretrained()[1](h), atol=1e-6)


def test_freeze_batchnorm_on_a_batchnorm_itself_returns_its_frozen_twin() -> None:
    bn = _pretrained_bn()
    ice = frozen.freeze_batchnorm(bn)
    x = torch.randn(2, 3, 4, 4)
    assert isinstance(ice, frozen.FrozenBatchNorm2d) and torch.allclose(ice(x), bn(x), atol=1e-6)
