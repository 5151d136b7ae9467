"""normlab.viz: every cell drawn with its number and its group's colour; titles name the reduction dims."""

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure
from torch import nn

from normlab import style, viz


def cell_texts(fig: Figure) -> list[str]:
    """Texts drawn inside the cells (centred both ways), in drawing order."""
    ax = fig.axes[0]
    return [t.get_text() for t in ax.texts if t.get_ha() == "center" and t.get_va() == "center"]


def cell_colours(fig: Figure) -> np.ndarray:
    """RGB of every cell, flattened in the tensor's own order, across all images of the figure."""
    return np.concatenate([np.asarray(im.get_array()).reshape(-1, 3) for im in fig.axes[0].images])


def colour_classes(colours: np.ndarray) -> torch.Tensor:
    """Label each cell by its colour: cells with equal colours get equal labels."""
    _, inverse = np.unique(colours.round(6), axis=0, return_inverse=True)
    return torch.as_tensor(inverse.reshape(-1))


def same_partition(a: torch.Tensor, b: torch.Tensor) -> bool:
    """a and b split the elements into the same groups (labels may differ)."""
    a, b = a.reshape(-1), b.reshape(-1)
    return bool(((a[:, None] == a[None, :]) == (b[:, None] == b[None, :])).all())


def torch_partition(x: torch.Tensor, dims: tuple[int, ...]) -> torch.Tensor:
    """Group labels from torch alone: elements with equal indices on every kept dim share a label."""
    kept = [d for d in range(x.dim()) if d not in dims]
    index = torch.stack(torch.meshgrid(*[torch.arange(s) for s in x.shape], indexing="ij"))
    return torch.unique(index[kept].reshape(len(kept), -1).T, dim=0, return_inverse=True)[1] if kept else \
        torch.zeros(x.numel(), dtype=torch.long)


CASES = [(torch.arange(12.0).reshape(3, 4), (0,)), (torch.arange(24.0).reshape(2, 3, 4), (0, 2)),
         (torch.arange(24.0).reshape(2, 3, 2, 2), (0, 2, 3)), (torch.arange(24.0).reshape(2, 3, 4), (1, 2)),
         (torch.arange(24.0).reshape(2, 3, 2, 2), (2, 3))]


@pytest.mark.parametrize(("x", "dims"), CASES)
def test_show_groups_numbers_and_colours(x: torch.Tensor, dims: tuple[int, ...]) -> None:
    fig = viz.show_groups(x, dims)
    assert isinstance(fig, Figure)
    assert cell_texts(fig) == [f"{v:.0f}" for v in x.reshape(-1).tolist()]
    assert same_partition(colour_classes(cell_colours(fig)), torch_partition(x, dims))
    assert f"reduce over {dims}" in fig.texts[0].get_text()


def test_before_after_output_matches_torch_batchnorm() -> None:
    x = torch.tensor([[1.0, 0, 2, 0, 0], [0, 1, 0, 3, 8], [2, 5, 3, 0, 6]]).reshape(1, 3, 5).repeat(2, 1, 1)
    x[1, 0, 3] = 7.0
    fig = viz.before_after(x, (0, 2))
    texts = cell_texts(fig)
    expected = nn.BatchNorm1d(3).train()(x).detach()
    assert texts[: x.numel()] == [f"{v:.0f}" for v in x.reshape(-1).tolist()]
    assert texts[x.numel():] == [f"{v:.2f}" for v in expected.reshape(-1).tolist()]
    colours = colour_classes(cell_colours(fig))
    assert torch.equal(colours[: x.numel()], colours[x.numel():])  # same colours before and after
    assert len(colours.unique()) == 3


def test_side_by_side_titles_and_layout_letters() -> None:
    x = torch.arange(24.0).reshape(2, 4, 3)
    fig = viz.side_by_side(x, (0, 1), (2,), layout="(B, T, E)", labels=("BatchNorm", "LayerNorm"))
    headers = [t.get_text() for t in fig.axes[0].texts if t.get_va() == "top" and "reduce" in t.get_text()]
    assert headers == ["BatchNorm: reduce over (0, 1) = B, T: 3 groups", "LayerNorm: reduce over (2,) = E: 8 groups"]
    colours = colour_classes(cell_colours(fig))
    assert same_partition(colours[:24], torch_partition(x, (0, 1)))
    assert same_partition(colours[24:], torch_partition(x, (2,)))


def test_group_colours_are_the_palette() -> None:
    fig = viz.show_groups(torch.arange(6.0).reshape(2, 3), (0,))
    tints = np.array([style.tint(c) for c in style.palette(3)])
    np.testing.assert_allclose(cell_colours(fig)[:3], tints)
    assert len(set(style.palette(20))) == 15 and style.palette(0) == []


def test_groups_html_has_every_cell() -> None:
    x = torch.arange(24.0).reshape(2, 3, 4)
    html = viz.groups_html(x, torch.zeros(2, 3, 4, dtype=torch.long), header="input x")
    assert html.count("<td style='width") == 24 and "n = 1" in html and ">23<" in html


def test_bad_inputs_teach() -> None:
    with pytest.raises(ValueError, match="2-D"):
        viz.show_groups(torch.zeros(4), (0,))
    with pytest.raises(ValueError, match="too many numbers"):
        viz.show_groups(torch.zeros(30, 30), (0,))
    with pytest.raises(ValueError, match="one letter per dim"):
        viz.show_groups(torch.zeros(2, 3), (0,), layout="(N, C, L)")
    with pytest.raises(ValueError, match="at least one reduction dim"):
        viz.before_after(torch.zeros(2, 3), ())


def test_style_scale() -> None:
    try:
        style.use(1.5)
        assert style.fontsize(10) == 15.0
        big = viz.show_groups(torch.zeros(2, 3), (0,)).get_size_inches()
        style.use(1.0)
        small = viz.show_groups(torch.zeros(2, 3), (0,)).get_size_inches()
        assert (big > small).all()
        with pytest.raises(ValueError):
            style.use(0)
    finally:
        style.use(1.0)
