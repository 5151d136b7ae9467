"""Notebook 07's pieces: the digits split, d2l training of DigitsMLP, the experiments' measurements, the widget."""

import copy
import math

import pytest
import torch
import torch.nn.functional as F
from svgparse import parse, texts
from torch import nn

from normlab.lessons import experiment, landscape, why
from normlab.lessons.digits import Batches, DigitsData, load_digits
from normlab.lessons.seeds import SeedBatches
from normlab.lessons.train import DigitsMLP, Run, fit, norm_layer
from normlab.pictures import whyplots


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
    assert why.status(Run("none", 1.0, 60, loss=[2.0, 0.9])) == "trains"
    assert why.status(Run("none", 1.0, 60, loss=[2.0, math.inf])) == "diverges"
    assert why.status(Run("none", 1.0, 60, loss=[2.0, 2.4])) == "diverges"  # above the loss of guessing, ln 10
    assert why.status(Run("none", 1.0, 60, loss=[2.0, 1.5])) == "stalls"
    runs = (Run("none", 1.0, 60, loss=[0.1]), Run("none", 1.0, 60, loss=[math.nan]), Run("none", 1.0, 60, loss=[0.2]))
    assert why.count(runs) == 2 and why.count(runs, "diverges") == 1 and why.count(runs, "stalls") == 0


def test_twins_train_step_for_step():
    twins = why.twin_runs(epochs=2)
    assert twins.max_loss_diff < 1e-9 and twins.max_param_diff < 1e-9  # float64
    assert twins.torch_run.test_acc == twins.normlab_run.test_acc
    float32 = why.twin_runs(epochs=1, dtype=torch.float32)
    assert float32.max_loss_diff < 1e-4 and float32.max_param_diff < 1e-4


def test_batch_size_study_measures_the_gap_with_a_copy_on_the_same_images():
    (bn, ln) = why.batch_size_study(sizes=(64,), norms=("batch", "layer"), epochs=1)
    assert (bn.norm, bn.batch_size, ln.norm) == ("batch", 64, "layer")
    assert len(bn.eval_acc) == len(bn.gap) == len(why.SEEDS)
    assert ln.gap == (0.0,) * len(why.SEEDS)  # no running statistics: train == eval, on the same 320 of 360 images
    runs, model = why.seed_runs("batch", "relu", 0.05, 1, batch_size=64, record_every=10**9)
    digits = load_digits("standard")
    before = copy.deepcopy(model.state_dict())
    gaps = why.batch_gap(model, digits.x_test, digits.y_test, 64)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())  # the model itself is untouched
    assert gaps == bn.gap and any(g != 0 for g in gaps)  # BatchNorm's batch statistics are not its running ones
    assert [r.test_acc[-1] for r in runs] == list(bn.eval_acc)


def test_init_statistics_against_a_hand_written_network():
    stats = landscape.init_statistics(norm=False, gain=3.0, depth=3)
    torch.manual_seed(0)
    net = landscape.deep_tanh(3, 100, False, 3.0).double()
    digits = load_digits("standard", torch.float64)
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


def test_init_statistics_medians_over_seeds():
    per_seed = [landscape.init_statistics(False, gain=3.0, depth=2, seed=s) for s in (0, 1, 2)]
    median = landscape.median_stats(per_seed)
    assert [m.layer for m in median] == [1, 2]
    assert median[0].saturated == sorted(s[0].saturated for s in per_seed)[1]
    assert median[1].grad_std == sorted(s[1].grad_std for s in per_seed)[1]
    assert sum(d for _, d in median[0].histogram) * 2 / len(median[0].histogram) == pytest.approx(1.0)


def test_smoothness_probes_a_copy_per_seed_and_measures_along_each_gradient():
    out = landscape.smoothness("batch", epochs=1, every=10, seeds=(0, 1))
    assert len(out) == 2 and all(o.steps == [0, 10, 20] for o in out)
    assert all(len(o.loss_range) == len(o.grad_change) == len(o.beta) == 3 for o in out)
    assert all(v >= 0 for o in out for v in o.loss_range + o.grad_change + o.beta)
    assert out[0].summary() != out[1].summary()  # each seed measured along its own network's gradient
    plain = landscape.smoothness("none", epochs=1, every=10, seeds=(0,))
    assert plain[0].summary() != out[0].summary()


def test_smoothness_of_one_seed_is_that_of_the_network_trained_alone():
    """The probe of member 1 equals a probe of the single network member 1 stands for (seeds.py's promise)."""
    pair, alone = (landscape.smoothness("batch", epochs=1, every=10, seeds=s) for s in ((0, 1), (1,)))
    for a, b in zip((pair[1].loss_range, pair[1].grad_change, pair[1].beta),
                    (alone[0].loss_range, alone[0].grad_change, alone[0].beta), strict=True):
        assert a == pytest.approx(b, rel=1e-9)


def test_pictures_are_well_formed_svg():
    runs = why.ioffe_figure1(epochs=2)
    sweep = why.lr_sweep(lrs=(0.1, 10.0), epochs=1)
    for picture in (whyplots.figure1_picture(runs), whyplots.digits_picture(load_digits("unit").x_test,
                                                                              load_digits("unit").y_test),
                    whyplots.init_picture({"plain": landscape.init_statistics(False, depth=3)}),
                    whyplots.training_picture(runs["none"][0], why.status(runs["none"][0])),
                    whyplots.sweep_picture(sweep), whyplots.blocks_picture(),
                    whyplots.noise_picture({"none": runs["none"], "batch": runs["batch"], "noisy": runs["batch"]})):
        assert parse(picture.svg).tag.endswith("svg") and picture.title in repr(picture)
    assert "(a) test accuracy, every seed" in texts(whyplots.figure1_picture(runs).svg)
    assert whyplots.epoch_means(Run("none", 1.0, 2, loss=[1.0, 3.0, math.inf]), steps_per_epoch=2) == [2.0, math.inf]


def _loop(net, digits, lr, epochs, measure=None, every=23):
    """The notebook's training loop."""
    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    batches = SeedBatches(digits.x_train, digits.y_train, 60, why.SEEDS)
    losses, measured = [], []
    net.train()
    for _ in range(epochs):
        for x, y in batches:
            if measure is not None and len(losses) % every == 0:
                measured.append(measure(net, x, y))
            loss = F.cross_entropy(net(x).transpose(1, 2), y, reduction="none").mean(1)
            optimizer.zero_grad()
            loss.sum().backward()
            optimizer.step()
            losses.append(loss.detach())
    return torch.stack(losses), measured


def test_the_loop_with_experiment_networks_trains_like_d2ls_trainer():
    digits = load_digits("standard", why.DTYPE)
    net = experiment.network("batch", "relu")
    losses, log = _loop(net, digits, 0.3, 2, measure=experiment.Checkpoint(digits))
    runs = experiment.runs(net, digits, "batch", 0.3, 60, losses, log, every=23)
    ref, _ = why.seed_runs("batch", "relu", 0.3, 2, record_every=23)
    for run, other in zip(runs, ref, strict=True):
        assert run.loss == pytest.approx(other.loss, abs=1e-12)
        assert run.checkpoints == other.checkpoints and run.test_acc == other.test_acc
        assert run.percentiles == other.percentiles  # the checkpoint's extra forward moved no running statistics


def test_networks_put_the_norm_and_the_noise_where_asked():
    kinds = [[type(m).__name__ for m in block] for block in experiment.network("batch", "relu", "after", (1, 1))[:-1]]
    assert kinds == [["SeedLinear", "ReLU", "SeedNorm", "NoisyShift"]] * 3
    assert [type(m).__name__ for m in experiment.network("none", "tanh", noise=(1, 1))[0]] == ["SeedLinear", "Tanh"]
    with pytest.raises(ValueError, match="'before' or 'after'"):
        experiment.network("batch", order="inside")
    big, small = experiment.network("none", gain=3.0), experiment.network("none")
    torch.testing.assert_close(big[0][0].weight, 3 * small[0][0].weight)
    torch.testing.assert_close(big[0][0].bias, small[0][0].bias)


def test_noisy_shift_draws_a_scale_and_shift_per_unit_and_step_in_training_only():
    noise, x = experiment.NoisyShift(3.0, 3.0), torch.randn(2, 50, 7, dtype=torch.float64)
    first, second = noise(x), noise(x)
    scale = (first[:, 1] - first[:, 0]) / (x[:, 1] - x[:, 0])  # (S, C): one scale per network and unit
    shift = first[:, 0] - scale * x[:, 0]
    torch.testing.assert_close(first, x * scale[:, None] + shift[:, None])
    assert 1 <= scale.min() and scale.max() <= 4 and shift.abs().max() <= 3
    assert not torch.equal(first, second)  # redrawn at every step
    assert torch.equal(noise.eval()(x), x) and "redrawn every step" in repr(noise)


def test_accuracy_is_in_eval_mode_and_puts_the_mode_back():
    digits = load_digits("standard", why.DTYPE)
    net = experiment.network("batch", "relu")
    _loop(net, digits, 0.3, 1)
    acc = experiment.accuracy(net, digits)
    assert net.training and acc.shape == (len(why.SEEDS),)
    net.eval()
    with torch.no_grad():
        logits = net(digits.x_test.expand(len(why.SEEDS), -1, -1))
    torch.testing.assert_close(acc, (logits.argmax(-1) == digits.y_test).double().mean(1))
    assert not net.training and not experiment.accuracy(net, digits).isnan().any() and not net.training


def test_the_probe_measures_each_seed_as_smoothness_does():
    digits = load_digits("standard", why.DTYPE)
    _, probes = _loop(experiment.network("batch", "relu"), digits, 0.5, 1, measure=landscape.Probe(), every=10)
    ref = landscape.smoothness("batch", epochs=1, every=10)
    for k, record in enumerate(ref):
        for j, values in enumerate((record.loss_range, record.grad_change, record.beta)):
            assert [p[k, j].item() for p in probes] == pytest.approx(values, rel=1e-6)
