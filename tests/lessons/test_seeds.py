"""lessons.seeds: every member of a SeedsMLP is the DigitsMLP of its seed, trained on its own batches, step for step."""

import pytest
import torch
from torch import nn

from normlab.lessons.digits import Batches, DigitsData, load_digits
from normlab.lessons.seeds import SeedBatches, SeedNorm, SeedsMLP, fit_seeds
from normlab.lessons.train import DigitsMLP, fit, norm_layer

SEEDS = (0, 3, 7)


@pytest.mark.parametrize("norm", ["none", "batch", "group", "layer"])
def test_each_member_trains_like_its_own_digits_mlp(norm):
    digits = load_digits("standard", torch.float64)
    ensemble = SeedsMLP(SEEDS[:2], norm, "relu", lr=0.5, record_every=10)
    runs = fit_seeds(ensemble, digits, 60, epochs=1)
    for seed, run in zip(SEEDS[:2], runs, strict=True):
        torch.manual_seed(seed)
        alone = DigitsMLP(norm, "relu", lr=0.5, record_every=10).double()
        single = fit(alone, DigitsData(digits, 60, seed=seed, drop_last=True), epochs=1, seed=seed)
        assert len(run.loss) == len(single.loss) == 23
        assert run.loss == pytest.approx(single.loss, rel=1e-9)  # float64: equal up to the order of additions
        assert run.checkpoints == single.checkpoints and run.test_acc == single.test_acc
        flat = [[v for p in r.percentiles for v in p] for r in (run, single)]
        assert len(run.percentiles) == 3 and flat[0] == pytest.approx(flat[1], abs=1e-4)


@pytest.mark.parametrize("norm", ["batch", "group", "layer"])
def test_a_seed_norm_is_its_members_norm_layers_side_by_side(norm):
    torch.manual_seed(0)
    layers = [norm_layer(norm, 8) for _ in range(3)]
    for layer in layers:  # distinct affine parameters, so a mix-up would show
        with torch.no_grad():
            layer.weight.uniform_(0.5, 1.5)
            layer.bias.uniform_(-1, 1)
    x = torch.randn(3, 6, 8)  # (S, N, C)
    together = SeedNorm(norm, layers, 8)(x)
    for k, layer in enumerate(layers):
        torch.testing.assert_close(together[k], layer(x[k]), atol=1e-5, rtol=1e-5)
    if norm == "batch":  # one mean per (member, feature), as 3 BatchNorm1d(8) keep
        stacked = SeedNorm(norm, layers, 8).layer
        assert isinstance(stacked, nn.BatchNorm1d) and stacked.running_mean.shape == (24,)


def test_seed_batches_are_each_seeds_own_batches():
    x, y = torch.arange(20.0)[:, None], torch.arange(20)
    together = list(SeedBatches(x, y, 6, SEEDS))
    assert len(together) == 3 and together[0][0].shape == (3, 6, 1) and together[0][1].shape == (3, 6)
    for k, seed in enumerate(SEEDS):
        alone = list(Batches(x, y, 6, shuffle=True, seed=seed, drop_last=True))
        assert all(torch.equal(t[1][k], a[1]) for t, a in zip(together, alone, strict=True))


def test_a_diverging_member_leaves_the_others_alone():
    """One member's loss blows up (its weights scaled up a lot): the others still train as they would alone."""
    ensemble = SeedsMLP(SEEDS, "none", "relu", lr=0.1, record_every=10**9)
    calm = SeedsMLP(SEEDS[1:], "none", "relu", lr=0.1, record_every=10**9)
    with torch.no_grad():
        ensemble.net[0][0].weight[0].mul_(1e6)
    runs = fit_seeds(ensemble, load_digits("standard"), 60, epochs=1)
    assert runs[0].diverged
    expected = fit_seeds(calm, load_digits("standard"), 60, epochs=1)
    for run, alone in zip(runs[1:], expected, strict=True):
        assert run.loss == pytest.approx(alone.loss, rel=1e-9)
