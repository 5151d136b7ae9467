"""normlab.lessons.explorer and the AxisExplorer widget, over every subset of dims of every layout, against torch."""

import pytest
import torch
from svgparse import cells
from torch import nn

from normlab import layouts as L
from normlab.lessons import explorer as X
from normlab.lessons.matches import NO_MODULE
from normlab.widgets import AxisExplorer

# The spec, written from torch's documentation: which torch modules reduce over exactly these dims.
TORCH_FOR = {
    "(N, C)": {(0,): ["nn.BatchNorm1d(C)"], (1,): ["nn.LayerNorm(C)", "nn.GroupNorm(1, C)"],
               (0, 1): ["nn.LayerNorm([N, C])"]},
    "(N, C, L)": {(0, 2): ["nn.BatchNorm1d(C)"],
                  (2,): ["nn.InstanceNorm1d(C)", "nn.LayerNorm(L)", "nn.GroupNorm(C, C)"],
                  (1, 2): ["nn.LayerNorm([C, L])", "nn.GroupNorm(1, C)"], (0, 1, 2): ["nn.LayerNorm([N, C, L])"]},
    "(N, C, H, W)": {(0, 2, 3): ["nn.BatchNorm2d(C)"], (3,): ["nn.LayerNorm(W)"],
                     (2, 3): ["nn.InstanceNorm2d(C)", "nn.LayerNorm([H, W])", "nn.GroupNorm(C, C)"],
                     (1, 2, 3): ["nn.LayerNorm([C, H, W])", "nn.GroupNorm(1, C)"],
                     (0, 1, 2, 3): ["nn.LayerNorm([N, C, H, W])"]},
}
BASE = ["(N, C)", "(N, C, L)", "(N, C, H, W)"]
CASES = [(name, dims) for name in BASE for dims in L.all_dim_subsets(len(L.LAYOUTS[name].shape))]


def build(code: str, sizes: dict[str, int]) -> nn.Module:
    """Evaluate a line like 'nn.LayerNorm([C, L])' with the letters bound to sizes: torch builds the module."""
    return eval(code, {"nn": nn}, dict(sizes))  # noqa: S307 - our own spec strings


def by_hand(x: torch.Tensor, dims: tuple[int, ...]) -> torch.Tensor:
    """(x - mean) / sqrt(biased var + eps) over dims, in plain torch ops."""
    return (x - x.mean(dims, keepdim=True)) / torch.sqrt(x.var(dims, unbiased=False, keepdim=True) + 1e-5)


def candidates(x: torch.Tensor) -> list[nn.Module]:
    """Every standard torch normalization module that accepts x, built independently of normlab."""
    c, out = x.shape[1], [nn.GroupNorm(1, x.shape[1])]
    out += [nn.LayerNorm(list(x.shape[k:])) for k in range(x.dim())]
    out += {2: [nn.BatchNorm1d(c)], 3: [nn.BatchNorm1d(c), nn.InstanceNorm1d(c), nn.GroupNorm(c, c)],
            4: [nn.BatchNorm2d(c), nn.InstanceNorm2d(c), nn.GroupNorm(c, c)]}[x.dim()]
    return out


@pytest.mark.parametrize(("name", "dims"), CASES)
def test_explore_every_subset_against_torch(name: str, dims: tuple[int, ...]) -> None:
    result = X.explore(name, dims)
    x = result.x
    expected = TORCH_FOR[name].get(dims, [])
    assert [m.code for m in result.matches] == expected
    kept = [d for d in range(x.dim()) if d not in dims]
    assert result.n_groups == int(torch.tensor([x.shape[d] for d in kept]).prod())
    for g in range(result.n_groups):
        members = x[result.groups == g]
        assert len(members) == x.numel() // result.n_groups
        torch.testing.assert_close(result.mean[g], members.mean())
        torch.testing.assert_close(result.var[g], members.var(unbiased=False))
    if not dims:
        assert result.output is None and NO_MODULE in result.message and result.max_diff is None
        return
    torch.testing.assert_close(result.output, by_hand(x, dims))
    for code in expected:  # torch, built from the displayed line of code, gives the same output
        torch.testing.assert_close(result.output, build(code, result.layout.sizes(x.shape)).train()(x))
    if expected:
        assert result.max_diff < 1e-5 and result.code == expected[0]
    else:
        assert result.code == NO_MODULE and result.max_diff is None
        for module in candidates(x):  # the claim "no single torch module" holds for every standard one
            assert not torch.allclose(module.train()(x), result.output, atol=1e-4)


@pytest.mark.parametrize(("name", "dims"), CASES)
def test_widget_recomputes_every_subset(name: str, dims: tuple[int, ...]) -> None:
    widget = AxisExplorer("(N, C)", dims=())
    widget.controls["layout"].value = name
    for d in range(4):
        widget.controls[f"dim{d}"].value = d in dims
    ndim = len(L.LAYOUTS[name].shape)
    assert widget.dims == dims and widget.result.dims == dims and widget.result.layout.name == name
    assert [widget.controls[f"dim{d}"].layout.display for d in range(4)] == [None] * ndim + ["none"] * (4 - ndim)
    assert widget.controls["dim0"].description == f"0: {L.LAYOUTS[name].letters[0]}"
    assert "Error" not in widget.text.value and "Traceback" not in widget.text.value
    svg = widget.text.value[widget.text.value.index("<svg"):widget.text.value.index("</svg>") + 6]
    assert len(cells(svg)[0]) == widget.result.x.numel() * (2 if dims else 1)  # input (and output) cells
    for code in TORCH_FOR[name].get(dims, [NO_MODULE]):
        assert code in widget.text.value
    if dims:
        torch.testing.assert_close(widget.result.output, by_hand(widget.result.x, dims))
    else:
        assert widget.result.output is None


def test_layout_change_drops_dims_that_no_longer_exist() -> None:
    widget = AxisExplorer("(N, C, H, W)", dims=(0, 2, 3))
    widget.controls["layout"].value = "(N, C)"
    assert widget.dims == (0,) and widget.result.code == "nn.BatchNorm1d(C)"
    assert not widget.controls["dim3"].value


def test_explore_custom_input_and_errors() -> None:
    x = torch.arange(12.0).reshape(3, 4)
    result = X.explore("(N, C)", (0,), x)
    torch.testing.assert_close(result.output, nn.BatchNorm1d(4).train()(x))
    torch.testing.assert_close(result.var, x.var(0, unbiased=False))
    with pytest.raises(ValueError, match="known layouts"):
        X.explore("(N, Q)", (0,))
    with pytest.raises(ValueError, match="has dims 0..1"):
        X.explore("(N, C)", (2,), x)
    assert "1 group of 12 values" in repr(X.explore("(N, C)", (0, 1), x))


def test_a_layout_added_to_the_table_is_explored() -> None:
    lay = L.make_layout("(B, E, T)", (2, 3, 4))
    L.LAYOUTS[lay.name] = lay
    try:
        result = X.explore("(B, E, T)", (0, 2))
        assert result.code == "nn.BatchNorm1d(E)"
        torch.testing.assert_close(result.output, nn.BatchNorm1d(3)(result.x))
        assert X.explore("(B, E, T)", (0, 1)).code == NO_MODULE
        with pytest.raises(ValueError, match="letters"):
            L.make_layout("(P, Q)", (2, 4, 3))
    finally:
        del L.LAYOUTS[lay.name]


ALL_CASES = [(name, dims) for name, lay in L.LAYOUTS.items() for dims in L.all_dim_subsets(len(lay.shape))]


@pytest.mark.parametrize(("name", "dims"), ALL_CASES)
def test_every_registered_layout_and_subset(name: str, dims: tuple[int, ...]) -> None:
    """Every layout of the table: output by hand, each match's torch module, the widget."""
    result = X.explore(name, dims)
    if dims:
        torch.testing.assert_close(result.output, by_hand(result.x, dims))
        for m in result.matches:
            torch.testing.assert_close(m.make(result.layout.sizes()).train()(result.x), result.output)
    widget = AxisExplorer(name, dims)
    assert widget.result.dims == dims and widget.result.code == result.code
    assert result.code in widget.text.value and "Traceback" not in widget.text.value


def test_group_ids_share_exactly_the_kept_indices() -> None:
    ids = L.group_ids((2, 3, 4), (0, 2))
    for i in range(2):
        for c in range(3):
            for t in range(4):
                assert ids[i, c, t] == c
    assert L.group_ids((2, 3), ()).unique().numel() == 6
