"""Notebook 07's widget and exercises: driven like a learner, checked against the sweep's own runs."""

import torch
from svgparse import texts

from normlab import check, landscape, why
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
    w.controls["norm"].value = "none"  # the plain network's runs: the checker below needs them anyway
    for lr in why.LRS:  # every rate of the slider draws, none shows a traceback
        w.controls["lr"].value = lr
        assert f"learning rate {lr:g}:" in w.text.value and "Error" not in w.text.value


def _first_failing(sweep: dict) -> float:
    """Computed here, independently of the checker: the first rate above a training one that most seeds fail."""
    n = len(why.SEEDS)
    plain = [(lr, "trains" if why.count(sweep[("none", lr)]) > n / 2 else "fails") for lr in why.LRS]
    start = next(k for k, (_, s) in enumerate(plain) if s == "trains")
    return next(lr for lr, s in plain[start:] if s != "trains")


def test_predict_first_failing_lr():
    right = _first_failing(why.lr_sweep())
    assert check.predict_first_failing_lr(right)
    smaller = [lr for lr in why.LRS if lr < right and why.count(why.lr_sweep()[("none", lr)]) == len(why.SEEDS)]
    assert "still trains" in str(check.predict_first_failing_lr(smaller[-1]))
    assert "already stopped" in str(check.predict_first_failing_lr(why.LRS[-1]))
    assert "too small" in str(check.predict_first_failing_lr(why.LRS[0]))
    assert str(right) not in str(check.predict_first_failing_lr(why.LRS[-1]))


def test_saturated_percent_is_read_within_three_points():
    plain, with_bn = (100 * landscape.median_stats([landscape.init_statistics(bn, gain=3.0, seed=s)
                                                    for s in why.SEEDS])[0].saturated for bn in (False, True))
    assert check.saturated_percent(plain) and check.saturated_percent(plain + 2.5)
    assert check.saturated_percent(plain - 3)
    assert check.saturated_percent(with_bn).mistakes == ("bn",)
    assert check.saturated_percent(plain / 100).mistakes == ("fraction",)
    assert check.saturated_percent(plain + 10).mistakes == ("unknown",) and "look at it again" in str(
        check.saturated_percent(plain + 10))
    assert not check.saturated_percent("18%") and not check.saturated_percent(None)


def test_norm_for_a_batch_of_two():
    assert check.norm_for_batch_of_2("group") and check.norm_for_batch_of_2("Layer")
    assert not check.norm_for_batch_of_2("batch") and "noisy" in str(check.norm_for_batch_of_2("batch"))


def test_bug_evaluate_names_the_mode_left_behind():
    from normlab.check.why import _evaluate_broken

    assert check.bug_evaluate(_evaluate_broken).mistakes == ("original",)

    def repaired(model, x, y):
        was = model.training
        model.eval()
        with torch.no_grad():
            acc = (model(x).argmax(1) == y).float().mean().item()
        model.train(was)
        return acc

    assert check.bug_evaluate(repaired)
    verdict = check.bug_evaluate(lambda model, x, y: (model(x).argmax(1) == y).float().mean().item())
    assert verdict.mistakes == ("train_mode",) and "running statistics" in str(verdict)
    assert "off by" in str(check.bug_evaluate(lambda model, x, y: (repaired(model, x, y) + 0.5)))
