"""normlab.checkup: the checks one forward pass cannot make, each against what torch does."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from normlab import checkup


def _model() -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(6, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 8), nn.LayerNorm(8),
                         nn.Linear(8, 2))


def test_norm_parameters_are_found_by_layer_type_not_name() -> None:
    model = _model()
    assert list(checkup.norm_parameters(model)) == ["1.weight", "1.bias", "4.weight", "4.bias"]
    assert list(checkup.norm_parameters(nn.LayerNorm(3))) == ["weight", "bias"]
    assert checkup.norm_parameters(nn.LayerNorm(3, elementwise_affine=False)) == {}


def test_decayed_norm_parameters_reads_the_optimizers_groups_and_param_groups_fixes_them() -> None:
    model = _model()
    everything = torch.optim.AdamW(model.parameters(), weight_decay=0.1)
    assert checkup.decayed_norm_parameters(model, everything) == ["1.weight", "1.bias", "4.weight", "4.bias"]
    assert checkup.decayed_norm_parameters(model, torch.optim.SGD(model.parameters(), lr=0.1)) == []
    groups = checkup.param_groups(model, weight_decay=0.1)
    decay, keep = (set(map(id, g["params"])) for g in groups)
    assert decay == {id(model[0].weight), id(model[3].weight), id(model[5].weight)}
    assert decay | keep == set(map(id, model.parameters())) and not decay & keep
    assert checkup.decayed_norm_parameters(model, torch.optim.AdamW(groups)) == []
    model[1].requires_grad_(False)  # frozen parameters are never decayed (they have no gradient)
    assert checkup.decayed_norm_parameters(model, torch.optim.AdamW(model.parameters(), weight_decay=0.1)) == [
        "4.weight", "4.bias"]
    assert all(p.requires_grad for g in checkup.param_groups(model, 0.1) for p in g["params"])


def test_watch_running_stats_lists_what_a_block_changed() -> None:
    model = _model()
    x = torch.randn(16, 6)
    with checkup.watch_running_stats(model) as moved:
        with torch.no_grad():
            model(x)  # training mode under no_grad: BatchNorm's buffers move
    assert moved == ["1.running_mean", "1.running_var", "1.num_batches_tracked"]
    with checkup.watch_running_stats(model.eval()) as moved:
        model(x)
    assert moved == []


def test_batch_coupling_is_positive_for_batchnorm_in_training_and_zero_otherwise() -> None:
    model = _model()
    x = torch.randn(16, 6, generator=torch.Generator().manual_seed(1))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    assert checkup.batch_coupling(model, x) > 1e-2
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())  # buffers put back
    assert checkup.batch_coupling(model.eval(), x) < 1e-6
    assert checkup.batch_coupling(nn.Sequential(nn.Linear(6, 4), nn.LayerNorm(4)), x) < 1e-6
    with pytest.raises(ValueError, match="at least 2 samples"):
        checkup.batch_coupling(model, x[:1])


def test_half_precision_error_tells_a_hand_written_norm_from_one_computed_in_float32() -> None:
    x = torch.randn(2, 256, generator=torch.Generator().manual_seed(2)) * 300
    def by_hand(t):
        return t * torch.rsqrt(t.pow(2).mean(-1, keepdim=True) + 1e-6)
    assert checkup.half_precision_error(by_hand, x) > 1  # the square overflows: every output is 0
    assert checkup.half_precision_error(lambda t: F.layer_norm(t, (256,)), x) < 1e-2
    assert checkup.half_precision_error(lambda t: F.layer_norm(t, (256,)), x, torch.bfloat16) < 5e-2


def test_checklist_finds_each_trap_once_and_a_clean_model_nothing() -> None:
    torch.manual_seed(3)
    model = nn.Sequential(nn.Linear(6, 8, bias=False), nn.Dropout(0.3), nn.BatchNorm1d(8), nn.Linear(8, 2))
    batch = torch.randn(32, 6)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, weight_decay=1e-4)

    def evaluate(m):
        with torch.no_grad():
            return m(batch)

    modes = [m.training for m in model.modules()]
    state = {k: v.clone() for k, v in model.state_dict().items()}
    found = checkup.checklist(model, batch, optimizer, evaluate)
    assert len(found) == 3 and "Dropout" in found[0] and "decay_on_norm_parameters" in found[1]
    assert "validation_in_train_mode" in found[2]
    assert [m.training for m in model.modules()] == modes  # modes and buffers put back
    assert all(torch.equal(state[k], v) for k, v in model.state_dict().items())
    no_stats = nn.Sequential(nn.Linear(6, 8, bias=False), nn.BatchNorm1d(8, track_running_stats=False))
    assert any("eval_batch_statistics" in f for f in checkup.checklist(no_stats, batch))
    clean = nn.Sequential(nn.Linear(6, 8, bias=False), nn.BatchNorm1d(8), nn.Dropout(0.3), nn.Linear(8, 2))
    def evaluate_in_eval(m):
        was = m.training
        m.eval()
        with torch.no_grad():
            out = m(batch)
        m.train(was)
        return out
    groups = checkup.param_groups(clean, 1e-4)
    assert checkup.checklist(clean, batch, torch.optim.SGD(groups, lr=0.1), evaluate_in_eval) == []


def test_the_rms_norm_rule_of_this_torch_is_what_its_rms_norm_does() -> None:
    from normlab.versions import rms_norm_upcasts

    x = torch.randn(2, 512, generator=torch.Generator().manual_seed(4)) * 300
    overflows = checkup.half_precision_error(lambda t: F.rms_norm(t, (512,), eps=1e-6), x) > 1e-2
    assert overflows != rms_norm_upcasts()
    assert not rms_norm_upcasts((2, 4)) and rms_norm_upcasts((2, 5)) and rms_norm_upcasts((2, 13))
