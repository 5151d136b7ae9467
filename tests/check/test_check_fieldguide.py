"""Notebook 14's exercises: the right answers pass, typical wrong ones get a verdict that describes, not fixes."""

import copy

import torch
import torch.nn.functional as F
from torch import nn

import normlab
from normlab import check, checkup
from normlab.check import fieldguide


def test_the_dropout_prediction_matches_what_torch_does() -> None:
    torch.manual_seed(0)
    block = nn.Sequential(nn.Linear(8, 16, bias=False), nn.Dropout(0.5), nn.BatchNorm1d(16, momentum=None))
    data = torch.randn(512, 8)
    for xb in data.split(64):
        block(xb)
    with torch.no_grad():
        variance = block.eval()(data).var(0).mean().item()
    assert variance < 0.7  # "below 1": the running variance holds the dropout's doubled variance
    assert check.predict_dropout_variance("below 1") and not check.predict_dropout_variance("about 1")


def test_which_trap_is_answerable_from_the_model_and_every_other_trap_is_answered() -> None:
    ex = check.which_trap
    model, clips, pad = ex.model, ex.clips, ex.collate
    with torch.no_grad():
        assert (model(pad(clips[:1]))[0] - model(pad(clips))[0]).abs().max() > 0.1  # the symptom is real
        same_length = [clips[0], *(c[:, :clips[0].shape[1]] for c in clips[1:])]
        assert torch.allclose(model(pad(clips[:1]))[0], model(pad(same_length))[0], atol=1e-5)  # no batch coupling
    assert not any(m.training for m in model.modules())
    assert "as padding is" in normlab.audit(model, pad(clips)).warnings[0]  # the audit points at it
    assert checkup.batch_coupling(model, pad(clips)) < 1e-5
    assert str(ex("padding")).startswith("✓")
    for name in check.TRAPS:
        if name != "padding":
            verdict = str(ex(name))
            assert verdict.startswith("✗") and "pad" not in verdict.split(":", 1)[1], name
    assert "print(list(check.TRAPS))" in str(ex("batchnorm"))


def _fine_tune(decay_norms: bool, freeze_mode: bool, eval_validation: bool, head_in_eval: bool = False,
               decay_biases: bool = False):
    """A learner's fine_tune with the chosen bugs (none: a right answer)."""
    def fine_tune(model, batches, val_batches):
        model.backbone.requires_grad_(False)
        trainable = [p for p in model.parameters() if p.requires_grad]
        norms = set(map(id, checkup.norm_parameters(model).values()))
        if decay_norms:
            params = trainable
        elif decay_biases:
            params = [{"params": [p for p in trainable if id(p) not in norms], "weight_decay": 0.05},
                      {"params": [p for p in trainable if id(p) in norms], "weight_decay": 0.0}]
        else:
            params = checkup.param_groups(model, weight_decay=0.05)
        optimizer = torch.optim.AdamW(params, lr=1e-2, weight_decay=0.05)
        model.train(not head_in_eval)
        if freeze_mode:
            model.backbone.eval()
        for x, y in batches:
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        if eval_validation:
            model.eval()
        with torch.no_grad():
            val = sum(F.cross_entropy(model(x), y).item() for x, y in val_batches) / len(val_batches)
        return optimizer, val
    return fine_tune


def test_fine_tune_names_each_bug_by_its_symptom() -> None:
    broken = str(check.fine_tune(_fine_tune(True, False, False)))
    assert broken.startswith("✗ fine_tune: 3 thing(s)") and "its buffers changed" in broken
    assert "acts on 3 parameters it should leave alone" in broken  # the head's gamma, beta and last bias
    assert str(check.fine_tune(fieldguide.reference_fine_tune)).startswith("✓")
    assert str(check.fine_tune(_fine_tune(False, True, True))).startswith("✓")
    only = {"its buffers changed": _fine_tune(False, False, True), "leave alone": _fine_tune(True, True, True),
            "one at a time": _fine_tune(False, True, False)}
    for symptom, fn in only.items():
        verdict = str(check.fine_tune(fn))
        assert verdict.startswith("✗ fine_tune: 1 thing(s)") and symptom in verdict, verdict
        assert "eval()" not in verdict and "param_groups" not in verdict  # the symptom, never the fix


def test_fine_tune_answers_other_mistakes() -> None:
    assert "pass your function" in str(check.fine_tune(None))
    assert "raised ZeroDivisionError" in str(check.fine_tune(lambda m, b, v: 1 / 0))
    assert "return two things" in str(check.fine_tune(lambda m, b, v: None))

    def frozen_everything(model, batches, val_batches):
        model.requires_grad_(False)
        model.eval()
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        return optimizer, fieldguide._one_at_a_time(model, val_batches)
    assert "nothing was trained" in str(check.fine_tune(frozen_everything))


def test_the_pretrained_classifier_is_the_same_every_time() -> None:
    a, b = fieldguide.pretrained_classifier(), fieldguide.pretrained_classifier()
    assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values(), strict=True))
    assert not a.training and copy.deepcopy(a).backbone[1].num_batches_tracked > 0


def test_fine_tune_refuses_a_head_trained_in_eval_mode_and_decayed_biases() -> None:
    in_eval = str(check.fine_tune(_fine_tune(False, True, True, head_in_eval=True)))  # head's BatchNorm1d never learns
    assert in_eval.startswith("✗ fine_tune: 1 thing(s)") and "never computed running statistics" in in_eval
    biases = str(check.fine_tune(_fine_tune(False, True, True, decay_biases=True)))  # the last Linear's bias
    assert "acts on 1 parameters it should leave alone" in biases
