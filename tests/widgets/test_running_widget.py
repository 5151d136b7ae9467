"""RunningStatsWidget driven like a learner: move sliders, check the redrawn state against torch."""

import torch
from svgparse import NS, parse, texts
from torch import nn

from normlab.lessons.running import simulate_running_stats
from normlab.pictures.running import running_picture, running_text
from normlab.widgets.running import STEPS, RunningStatsWidget


def _torch_running_mean(batches: torch.Tensor, momentum: float, step: int) -> float:
    bn = nn.BatchNorm1d(1, momentum=momentum)
    for batch in batches[:step]:
        bn(batch)
    return bn.running_mean.item()


def test_widget_shows_the_update_at_the_chosen_step() -> None:
    w = RunningStatsWidget(momentum=0.1, batch_size=8, step=10)
    trace = simulate_running_stats(STEPS, 0.1, 8, seed=0)
    assert f"<b>{_torch_running_mean(trace.batches, 0.1, 10):.4f}</b>" in w.text.value
    w.controls["step"].value = 25
    assert "batch 25:" in w.text.value
    assert f"<b>{_torch_running_mean(trace.batches, 0.1, 25):.4f}</b>" in w.text.value
    assert "<svg" in w.text.value and w.text.value.startswith(running_picture(trace, 25).svg)


def test_momentum_slider_changes_the_rule_and_the_numbers() -> None:
    w = RunningStatsWidget(step=5)
    w.controls["momentum"].value = 0.5
    trace = simulate_running_stats(STEPS, 0.5, 8, seed=0)
    assert "(1 - 0.5000)" in w.text.value
    assert f"<b>{_torch_running_mean(trace.batches, 0.5, 5):.4f}</b>" in w.text.value
    assert torch.equal(w.trace.running_mean, trace.running_mean)
    assert "written 0.50 where momentum weighs the old value" in w.text.value


def test_batch_size_slider_redraws_with_new_batches() -> None:
    w = RunningStatsWidget(step=3)
    before = w.text.value
    w.controls["batch_size"].value = 32
    assert w.text.value != before
    assert "N = 32 values" in w.text.value and w.trace.batches.shape == (STEPS, 32, 1)


def test_running_picture_has_the_title_and_the_true_values() -> None:
    trace = simulate_running_stats(20, 0.2, 4, seed=1)
    picture = running_picture(trace, step=7)
    assert "momentum 0.20; written 0.80" in " ".join(texts(picture.svg)) and "written 0.80" in repr(picture)
    assert {"running_mean", "running_var", "true mean", "true var"} <= set(texts(picture.svg))


def test_running_text_for_cumulative_average() -> None:
    trace = simulate_running_stats(5, None, 4, seed=2)
    assert "(1 - 0.3333)" in running_text(trace, 3)
    assert f"<b>{trace.batch_mean[:3].mean().item():.4f}</b>" in running_text(trace, 3)


def test_running_picture_draws_the_first_step_points() -> None:
    trace = simulate_running_stats(10, 0.5, 4, seed=3)
    root = parse(running_picture(trace, 4).svg)
    lines = [p for p in root.iter(f"{NS}polyline")]
    solid = [p for p in lines if not p.get("stroke-dasharray")]
    assert len(solid) == 2 and all(len(p.get("points").split()) == 5 for p in solid)  # initial value + 4 updates
    assert len([p for p in lines if p.get("stroke-dasharray")]) == 2  # the true mean and the true variance
    assert len(list(root.iter(f"{NS}circle"))) == 2 * 4 + 2  # the batch values, and the two legend dots
