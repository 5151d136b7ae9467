"""Notebook 07's widget and exercises: driven like a learner, checked against the runs they are about."""

import torch
import torch.nn.functional as F
from svgparse import texts
from verdicts import stated_answers

from normlab import check
from normlab.check.why import reference
from normlab.lessons import experiment, why
from normlab.lessons.digits import load_digits
from normlab.lessons.seeds import SeedBatches
from normlab.widgets import TrainingWidget


def _svg(html: str) -> str:
    return html[html.index("<svg"):html.index("</svg>") + 6]


def test_training_widget_shows_the_chosen_run_of_the_sweep():
    w = TrainingWidget(lr=3.0, batch_norm=False)
    run = why.sweep_runs("none", 3.0)[0]
    assert f"{run.final_loss:.4f}" in w.text.value and why.status(run) in texts(_svg(w.text.value))[0]
    assert f"<b>0 of {len(why.SEEDS)}</b> seeds train" in w.text.value
    w.controls["norm"].value = "batch"
    bn_run = why.sweep_runs("batch", 3.0)[0]
    assert f"{bn_run.test_acc[-1]:.4f}" in w.text.value and "with BN, learning rate 3" in w.text.value
    w.controls["seed"].value = why.SEEDS[2]
    assert f"{why.sweep_runs('batch', 3.0)[2].test_acc[-1]:.4f}" in w.text.value
    for lr in why.LRS:  # every rate of the slider draws, none shows a traceback
        w.controls["lr"].value = lr
        assert f"learning rate {lr:g}:" in w.text.value and "Error" not in w.text.value


def test_predict_bn_largest_lr_names_what_each_rate_does():
    n = len(why.SEEDS)
    trains = [lr for lr in why.LRS if why.count(why.sweep_runs("batch", lr)) == n]  # computed here, not by the checker
    right = max(trains)
    assert check.predict_bn_largest_lr(right)
    for lr in trains[:-1]:
        assert "trains in every seed" in str(check.predict_bn_largest_lr(lr))
    beyond = [lr for lr in why.LRS if lr > right]
    assert beyond and all("does not train in every seed" in str(check.predict_bn_largest_lr(lr)) for lr in beyond)
    assert "as without BatchNorm" in str(check.predict_bn_largest_lr(why.LRS[-1]))
    assert "one of the sweep's rates" in str(check.predict_bn_largest_lr(5.0))
    assert check.predict_bn_largest_lr(None).mistakes == ("missing",)
    others = [str(check.predict_bn_largest_lr(lr)).split(":", 1)[1] for lr in why.LRS if lr != right]
    assert all(f"{right:g}" not in verdict for verdict in others)


def test_design_norm_for_a_batch_of_two():
    assert check.design_norm_for_batch_of_2("group") and check.design_norm_for_batch_of_2("Layer")
    verdict = check.design_norm_for_batch_of_2("batch")
    assert not verdict and "below 60%" in str(verdict) and "group" not in str(verdict).lower()
    assert not check.design_norm_for_batch_of_2("instance") and not check.design_norm_for_batch_of_2(None)


def test_the_batch_of_two_verdict_states_what_the_runs_show():
    """The 'batch' verdict says every seed trained on batches of 2 ends below 60%: it holds, with a margin."""
    standard = load_digits("standard", why.DTYPE)
    accs = {}
    for norm, size in (("batch", 2), ("batch", 64), ("group", 2)):
        net = experiment.network(norm, "relu")
        _reference_epoch(net, standard, size)
        accs[(norm, size)] = experiment.accuracy(net, standard)
    assert accs[("batch", 2)].max() < 0.6 < 0.75 < min(accs[("batch", 64)].min(), accs[("group", 2)].min())


def _reference_epoch(net, digits, batch_size):
    """One epoch of the notebook's loop at learning rate 0.05."""
    optimizer = torch.optim.SGD(net.parameters(), lr=0.05)
    net.train()
    for x, y in SeedBatches(digits.x_train, digits.y_train, batch_size, why.SEEDS):
        loss = F.cross_entropy(net(x).transpose(1, 2), y, reduction="none").mean(1)
        optimizer.zero_grad()
        loss.sum().backward()
        optimizer.step()


def _evaluate(net, digits, restore):
    was = net.training
    net.eval()
    with torch.no_grad():
        logits = net(digits.x_test.expand(len(why.SEEDS), -1, -1))
    if restore:
        net.train(was)
    return (logits.argmax(-1) == digits.y_test).double().mean(1)


def _loop(restore=False, train_each_epoch=False, eval_mode=True, lr_factor=1.0, result="both"):
    """train_and_report as the notebook gives it (defaults), or with one change."""
    def train_and_report(net, digits, lr, epochs):
        optimizer = torch.optim.SGD(net.parameters(), lr=lr * lr_factor)
        batches = SeedBatches(digits.x_train, digits.y_train, 60, why.SEEDS)
        losses, accuracies = [], []
        net.train()
        for _ in range(epochs):
            if train_each_epoch:
                net.train()
            for x, y in batches:
                loss = F.cross_entropy(net(x).transpose(1, 2), y, reduction="none").mean(1)
                optimizer.zero_grad()
                loss.sum().backward()
                optimizer.step()
                losses.append(loss.detach())
            if eval_mode:
                accuracies.append(_evaluate(net, digits, restore))
            else:
                with torch.no_grad():
                    accuracies.append((net(digits.x_test.expand(len(why.SEEDS), -1, -1)).argmax(-1)
                                       == digits.y_test).double().mean(1))
        out = torch.stack(losses), torch.stack(accuracies)
        return out if result == "both" else out[0] if result == "losses" else (out[0][:5], out[1])
    return train_and_report


def test_bug_train_and_report_describes_what_the_run_shows():
    original = check.bug_train_and_report(_loop())
    assert original.mistakes == ("original",)
    text = str(original)
    assert "nan during epoch 2" in text and f"{len(why.SEEDS)} of {len(why.SEEDS)} seeds" in text
    assert "eval" not in text and ".train(" not in text  # a symptom, not the fix
    assert check.bug_train_and_report(_loop(restore=True))
    assert check.bug_train_and_report(_loop(train_each_epoch=True))
    assert check.bug_train_and_report(reference)
    reported = check.bug_train_and_report(_loop(eval_mode=False))
    assert reported.mistakes == ("reported",) and "not what the trained network gives" in str(reported)
    other = check.bug_train_and_report(_loop(restore=True, lr_factor=0.5))
    assert other.mistakes == ("unknown",) and "from epoch 1 on" in str(other)
    assert check.bug_train_and_report(_loop(restore=True, result="losses")).mistakes == ("returns",)
    assert check.bug_train_and_report(_loop(restore=True, result="short")).mistakes == ("shape",)
    assert check.bug_train_and_report(lambda net, digits, lr, epochs: 1 / 0).mistakes == ("raised",)
    assert check.bug_train_and_report(None).mistakes == ("missing",)


def test_no_verdict_on_a_wrong_rate_states_the_largest_that_trains():
    verdicts, leaks = stated_answers("predict_bn_largest_lr", check.predict_bn_largest_lr)
    assert len(verdicts) == len(why.LRS) - 1 and not leaks, leaks
