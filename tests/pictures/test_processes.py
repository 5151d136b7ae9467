"""Notebook 11's picture of SyncBatchNorm's processes: well-formed SVG that says what crosses between the ranks."""

import pytest
from svgparse import NS, parse, texts

from normlab.pictures.processes import sync_picture
from normlab.pictures.style import palette, tint_hex


@pytest.mark.parametrize("sizes", [(5, 4, 3), (8, 8), (1, 2, 3, 4)])
def test_sync_picture_draws_every_rank_and_both_collectives(sizes) -> None:
    picture = sync_picture(sizes)
    words = texts(picture.svg)
    assert f"whole batch of {sum(sizes)}" in picture.title and picture.title in words
    assert "all_gather" in words and any("all_reduce" in w for w in words)
    for rank, n in enumerate(sizes):
        assert f"rank {rank}: {n} sample{'s' * (n != 1)}" in words and f"rank {rank}: combine" in words
    assert [str(i) for i in range(sum(sizes))] == [w for w in words if w.isdigit()]  # every sample, numbered in order
    fills = [r.get("fill") for r in parse(picture.svg).iter(f"{NS}rect")]
    for rank, colour in enumerate(palette(len(sizes))):  # one colour per rank: its shard's cells and its box
        assert fills.count(tint_hex(colour)) >= sizes[rank] + 1


def test_the_forward_only_picture_leaves_the_backward_out() -> None:
    words = texts(sync_picture((5, 4, 3), backward=False).svg)
    assert "all_gather" in words and not any("all_reduce" in w or "backward" in w for w in words)


@pytest.mark.parametrize("sizes", [(5,), (3, 0), tuple([5] * 9)])
def test_sync_picture_refuses_what_it_cannot_draw(sizes) -> None:
    with pytest.raises(ValueError, match="2 or more ranks"):
        sync_picture(sizes)
