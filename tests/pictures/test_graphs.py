"""normlab.pictures.graphs: the forward graph of notebook 08 and the Post-LN / Pre-LN blocks of notebook 09 as SVG."""

from svgparse import parse, texts

from normlab.pictures import graphs


def test_forward_graph_has_every_node_and_an_arrow_per_edge() -> None:
    picture = graphs.forward_graph_picture()
    root = parse(picture.svg)
    words = texts(picture.svg)
    for node in ("x", "mean μ", "centered c", "var v", "rstd r", "x̂", "y", "γ", "β"):
        assert node in words, node
    arrows = [e for e in root.iter("{http://www.w3.org/2000/svg}line") if e.get("marker-end")]
    assert len(arrows) == 10  # x->mean, x->c, mean->c, c->var, var->rstd, c->x_hat, rstd->x_hat, x_hat/γ/β->y
    assert "reduce over the batch N" in picture.title
    assert "dx" not in " ".join(words)  # the graph is the forward only: the backward is the learner's to derive


def test_blocks_picture_draws_post_and_pre_ln_with_their_layer_norms() -> None:
    picture = graphs.blocks_picture()
    parse(picture.svg)
    words = texts(picture.svg)
    assert any(w.startswith("Post-LN") for w in words) and any(w.startswith("Pre-LN (") for w in words)
    assert words.count("LayerNorm") == 4 and words.count("+") == 4
    assert words.count("attention") == 2 and words.count("feed-forward") == 2
    assert "E features of one token" in picture.title and picture._repr_html_().startswith("<img")
