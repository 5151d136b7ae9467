"""Notebook 07's pieces: the digits split, d2l training of DigitsMLP, the experiments' measurements, the widget."""

import copy
import math

import pytest
import torch
import torch.nn.functional as F
from svgparse import parse, texts
from torch import nn

from normlab import landscape, why, whyplots
from normlab.digits import Batches, DigitsData, load_digits
from normlab.train import DigitsMLP, Run, fit, norm_layer


def test_the_split_is_fixed_and_scaled_as_asked():
    a, b = load_digits("unit"), load_digits("unit")
    assert torch.equal(a.x_train, b.x_train) and torch.equal(a.y_test, b.y_test)
    assert a.x_train.shape == (1437, 64) and a.x_test.shape == (360, 64)
    assert 0 <= a.x_train.min() and a.x_train.max() <= 1
    s = load_digits("standard")
    torch.testing.assert_close(s.x_train.mean(0), torch.zeros(64), atol=1e-5, rtol=0)
    used = s.x_train.std(0) > 0.5  # every pixel that varies in the training images has std 1 (constant ones are 0)
    torch.testing.assert_close(s.x_train.std(0)[used], torch.ones(int(used.sum())), atol=1e-4, rtol=0)
    assert torch.equal(s.y_train, a.y_train)
    with pytest.raises(ValueError, match="'unit'"):
        load_digits("minmax")


def test_batches_cover_the_data_once_per_pass_and_drop_a_short_last_batch():
    x, y = torch.arange(10.0)[:, None], torch.arange(10)
    batches = Batches(x, y, 4, shuffle=True, seed=1)
    seen = torch.cat([yb for _, yb in batches])
    assert len(batches) == 3 and sorted(seen.tolist()) == list(range(10))
    short = Batches(x, y, 4, shuffle=True, seed=1, drop_last=True)
    assert len(short) == 2 and [len(yb) for _, yb in short] == [4, 4]
    first, second = [torch.cat([yb for _, yb in Batches(x, y, 4, True, seed=s)]) for s in (1, 1)]
    assert torch.equal(first, second)  # the same seed gives the same order


@pytest.mark.parametrize("norm", ["none", "batch", "group", "layer"])
def test_norm_layers_are_torchs_or_normlabs(norm):
    x = torch.randn(6, 8)
    ours, theirs = norm_layer(norm, 8, "normlab"), norm_layer(norm, 8, "torch")
    torch.testing.assert_close(ours(x), theirs(x), atol=1e-5, rtol=1e-4)
    with pytest.raises(ValueError, match="choose one of"):
        norm_layer("instance", 8)


def test_a_d2l_fit_records_losses_checkpoints_and_percentiles():
    torch.manual_seed(0)
    model = DigitsMLP("batch", "sigmoid", lr=1.0, record_every=10)
    modes = []
    model.callbacks.append(lambda m, batch, step: modes.append(m.training))
    run = fit(model, DigitsData(load_digits("unit"), 60, drop_last=True), epochs=2)
    assert len(run.loss) == 2 * 23 and run.checkpoints == [0, 10, 20, 30, 40, 46]
    assert len(run.percentiles) == 5 and all(a <= b <= c for a, b, c in run.percentiles)
    assert len(modes) == 46 and all(modes)  # every step trains in train mode: checkpoints put the mode back
    digits = load_digits("unit")
    model.eval()
    with torch.no_grad():
        accuracy = (model(digits.x_test).argmax(1) == digits.y_test).float().mean().item()
    assert run.test_acc[-1] == pytest.approx(accuracy, abs=1e-4)
    assert run.test_acc[-1] > 0.9 and why.status(run) == "trains"


def test_status_names_what_a_run_did():
    assert why.status(Run("none", 1.0, 60, loss=[2.0, 0.1])) == "trains"
    assert why.status(Run("none", 1.0, 60, loss=[2.0, math.inf])) == "diverges"
    assert why.status(Run("none", 1.0, 60, loss=[2.0, 2.4])) == "diverges"  # above the loss of guessing, ln 10
    assert why.status(Run("none", 1.0, 60, loss=[2.0, 1.5])) == "stalls"


def test_twins_train_step_for_step():
    twins = why.twin_runs(epochs=2)
    assert twins.max_loss_diff < 1e-5 and twins.max_param_diff < 1e-5
    assert twins.torch_run.test_acc == twins.normlab_run.test_acc


def test_batch_size_study_measures_the_gap_with_a_copy():
    (bn, ln) = why.batch_size_study(sizes=(8,), norms=("batch", "layer"), epochs=1)
    assert (bn.norm, bn.batch_size, ln.norm) == ("batch", 8, "layer")
    assert ln.gap == pytest.approx(0, abs=1e-6)  # LayerNorm has no running statistics: train == eval
    run, model = why.train_run("batch", "relu", 0.05, 1, batch_size=8, record_every=10**9)
    before = copy.deepcopy(model.state_dict())
    why._batch_accuracy(model, load_digits("standard").x_test, load_digits("standard").y_test, 8)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())  # the model itself is untouched


def test_init_statistics_against_a_hand_written_network():
    stats = landscape.init_statistics(norm=False, gain=3.0, depth=3)
    torch.manual_seed(0)
    net = landscape._deep_tanh(3, 100, False, 3.0)
    digits = load_digits("standard")
    hs, h = [], digits.x_test
    for layer in net[:-1]:
        h = layer(h)
        if isinstance(layer, nn.Tanh):
            h.retain_grad()
            hs.append(h)
    F.cross_entropy(net[-1](h), digits.y_test).backward()
    for s, h in zip(stats, hs, strict=True):
        assert s.activation_std == pytest.approx(h.std().item(), abs=1e-4)
        assert s.saturated == pytest.approx((h.abs() > 0.97).float().mean().item(), abs=1e-4)
        assert s.grad_std == pytest.approx(h.grad.std().item(), rel=1e-5)
        assert sum(d for _, d in s.histogram) * 2 / len(s.histogram) == pytest.approx(1.0)  # a density on [-1, 1]


def test_smoothness_probes_a_copy_and_measures_along_the_gradient():
    out = landscape.smoothness("batch", epochs=1, every=10)
    assert out.steps == [0, 10, 20] and len(out.loss_range) == len(out.grad_change) == len(out.beta) == 3
    assert all(v >= 0 for v in out.loss_range + out.grad_change + out.beta)
    plain = landscape.smoothness("none", epochs=1, every=10)
    assert plain.summary() != out.summary()


def test_pictures_are_well_formed_svg():
    runs = why.ioffe_figure1(epochs=2)
    for picture in (whyplots.figure1_picture(runs), whyplots.digits_picture(load_digits("unit").x_test,
                                                                              load_digits("unit").y_test),
                    whyplots.init_picture({"plain": landscape.init_statistics(False, depth=3)}),
                    whyplots.training_picture(runs["none"], why.status(runs["none"]))):
        assert parse(picture.svg).tag.endswith("svg") and picture.title in repr(picture)
    assert "(a) test accuracy" in texts(whyplots.figure1_picture(runs).svg)
    assert whyplots.epoch_means(Run("none", 1.0, 2, loss=[1.0, 3.0, math.inf]), steps_per_epoch=2) == [2.0, math.inf]
