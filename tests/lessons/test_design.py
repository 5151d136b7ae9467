"""lessons.design and the design task of notebook 09: the layer a learner picks, measured, and what the checker says."""

import pytest
import torch
from torch import nn

from normlab import check
from normlab.lessons import design


class _ChannelsFirstLayerNorm(nn.Module):
    """ConvNeXt's LayerNorm: per pixel, over C."""

    def __init__(self, c: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(c)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


@pytest.mark.parametrize("make_norm", [lambda c: nn.GroupNorm(4, c), lambda c: nn.GroupNorm(1, c),
                                       lambda c: nn.GroupNorm(8, c, affine=False), _ChannelsFirstLayerNorm])
def test_design_accepts_every_layer_the_network_can_use(make_norm) -> None:
    verdict = check.design_norm(make_norm)
    assert verdict and verdict.message.startswith("✓"), verdict


@pytest.mark.parametrize(("make_norm", "lacks", "words"), [
    (lambda c: nn.BatchNorm2d(c), ("alone", "eval"), "other image of its batch"),
    (lambda c: nn.BatchNorm2d(c, track_running_stats=False), ("alone",), "other image of its batch"),
    (lambda c: nn.InstanceNorm2d(c), ("contrast",), "how strongly feature map 0 responds"),
    (lambda c: nn.GroupNorm(c, c), ("contrast",), "how strongly feature map 0 responds"),
    (lambda c: nn.InstanceNorm2d(c, track_running_stats=True), ("eval", "contrast"), "eval mode"),
    (lambda c: nn.LayerNorm([c, *design.CROP]), ("size",), "tied to one image size"),
    (lambda c: nn.Identity(), ("scale",), "does not normalize"),
])
def test_design_names_the_symptom_of_each_property_a_layer_lacks(make_norm, lacks, words) -> None:
    verdict = check.design_norm(make_norm)
    assert not verdict and verdict.mistakes == lacks and words in verdict.message, verdict
    for name in ("GroupNorm", "BatchNorm", "InstanceNorm", "LayerNorm"):
        assert name not in verdict.message  # the symptom, never the layer to pick
    assert not design.measure(make_norm).passed()[lacks[0]]


def test_design_missing_raising_and_not_a_layer() -> None:
    assert check.design_norm(None).mistakes == ("missing",)
    assert check.design_norm(lambda c: None).mistakes == ("missing",)
    assert check.design_norm(lambda c: nn.LayerNorm(c)).mistakes == ("raises",)  # LayerNorm(C) on NCHW raises
    assert check.design_norm(lambda c: "group").mistakes == ("raises",)


def test_design_report_prints_every_property(capsys) -> None:
    design.report(None)
    assert "no layer yet" in capsys.readouterr().out
    design.report(lambda c: nn.BatchNorm2d(c))
    out = capsys.readouterr().out
    assert out.count("✓") + out.count("✗") == len(design.PROPERTIES) and "✗ an image's output" in out
    design.report(lambda c: nn.LayerNorm(c))
    assert "raised" in capsys.readouterr().out


def test_design_measures_match_torch_layers() -> None:
    """The numbers behind the verdicts: InstanceNorm keeps no contrast, GroupNorm(1) equals the paper's LayerNorm's."""
    assert design.measure(lambda c: nn.InstanceNorm2d(c)).contrast < 1e-5
    paper = design.measure(lambda c: nn.LayerNorm([c, *design.CROP], elementwise_affine=False))
    one = design.measure(lambda c: nn.GroupNorm(1, c, affine=False))
    assert abs(paper.contrast - one.contrast) < 1e-4
