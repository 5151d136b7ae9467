"""normlab.pictures.viz: every cell drawn with its number and its group's colour; titles name the reduction dims."""

import pytest
import torch
from svgparse import cells, parse, texts
from torch import nn

from normlab.pictures import style, viz
from normlab.pictures.svg import Picture


def same_partition(a: list, b: torch.Tensor) -> bool:
    """Labels a (any hashable) and b split the elements into the same groups."""
    codes = {v: i for i, v in enumerate(dict.fromkeys(a))}
    a = torch.tensor([codes[v] for v in a])
    b = b.reshape(-1)
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
    picture = viz.show_groups(x, dims)
    assert isinstance(picture, Picture) and picture._repr_svg_() == picture.svg
    numbers, fills = cells(picture.svg)
    assert numbers == [f"{v:.0f}" for v in x.reshape(-1).tolist()]
    assert same_partition(fills, torch_partition(x, dims))
    assert f"reduce over {dims}" in texts(picture.svg)[0] and f"reduce over {dims}" in repr(picture)


def test_before_after_output_matches_torch_batchnorm() -> None:
    x = torch.tensor([[1.0, 0, 2, 0, 0], [0, 1, 0, 3, 8], [2, 5, 3, 0, 6]]).reshape(1, 3, 5).repeat(2, 1, 1)
    x[1, 0, 3] = 7.0
    numbers, fills = cells(viz.before_after(x, (0, 2)).svg)
    expected = nn.BatchNorm1d(3).train()(x).detach()
    assert numbers[: x.numel()] == [f"{v:.0f}" for v in x.reshape(-1).tolist()]
    assert numbers[x.numel():] == [f"{v:.2f}" for v in expected.reshape(-1).tolist()]
    assert fills[: x.numel()] == fills[x.numel():]  # same colours before and after
    assert len(set(fills)) == 3


def test_side_by_side_titles_and_layout_letters() -> None:
    x = torch.arange(24.0).reshape(2, 4, 3)
    svg = viz.side_by_side(x, (0, 1), (2,), layout="(B, T, E)", labels=("BatchNorm", "LayerNorm")).svg
    assert texts(svg, "header") == ["BatchNorm: reduce over (0, 1) = B, T: 3 groups",
                                    "LayerNorm: reduce over (2,) = E: 8 groups"]
    fills = cells(svg)[1]
    assert same_partition(fills[:24], torch_partition(x, (0, 1)))
    assert same_partition(fills[24:], torch_partition(x, (2,)))
    assert "b = 1" in texts(svg) and "t3" in texts(svg) and "e2" in texts(svg)  # the layout's own letters


def test_group_colours_are_the_tinted_palette() -> None:
    fills = cells(viz.show_groups(torch.arange(6.0).reshape(2, 3), (0,)).svg)[1]
    assert fills[:3] == [style.tint_hex(c) for c in style.palette(3)]
    assert len(set(style.palette(20))) == 15 and style.palette(0) == []
    assert style.tint_hex("#000000", 0.5) == "#808080" and style.tint_hex("#ffffff") == "#ffffff"


def test_text_is_escaped_and_the_svg_well_formed() -> None:
    picture = viz.show_groups(torch.zeros(2, 3), (0,), title="x < y & 'quoted'")
    assert texts(picture.svg)[0] == "x < y & 'quoted'"


def test_bad_inputs_teach() -> None:
    with pytest.raises(ValueError, match="2-D"):
        viz.show_groups(torch.zeros(4), (0,))
    with pytest.raises(ValueError, match="too many numbers"):
        viz.show_groups(torch.zeros(30, 30), (0,))
    with pytest.raises(ValueError, match="one letter per dim"):
        viz.show_groups(torch.zeros(2, 3), (0,), layout="(N, C, L)")
    with pytest.raises(ValueError, match="at least one reduction dim"):
        viz.before_after(torch.zeros(2, 3), ())


def test_style_scale_enlarges_pictures() -> None:
    try:
        style.use(1.5)
        assert style.fontsize(10) == 15.0
        big = parse(viz.show_groups(torch.zeros(2, 3), (0,)).svg)
        style.use(1.0)
        small = parse(viz.show_groups(torch.zeros(2, 3), (0,)).svg)
        assert float(big.get("width")) == pytest.approx(1.5 * float(small.get("width")), abs=1)
        assert big.get("viewBox") == small.get("viewBox")
        with pytest.raises(ValueError):
            style.use(0)
    finally:
        style.use(1.0)


def test_median_ms_is_the_median_of_the_timed_calls() -> None:
    import time

    from normlab.course.notebook import median_ms

    calls = []
    value = median_ms(lambda: calls.append(time.sleep(0.002)), repeats=5)
    assert len(calls) == 6 and 1.9 <= value < 50  # one warm-up call, then five timed ones of at least 2 ms
