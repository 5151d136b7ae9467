"""d2l works through normlab.import_d2l: its non-vision parts run; vision datasets fail with a clear reason."""

import sys

import matplotlib
import pytest
import torch

import normlab
from normlab.lessons.d2l import TorchvisionUnavailable, torchvision_problem

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def d2l():
    return normlab.import_d2l()


def test_trainer_fits_a_d2l_module_and_the_progress_board_draws(d2l, capsys):
    torch.manual_seed(0)
    data = d2l.SyntheticRegressionData(w=torch.tensor([2.0, -3.4]), b=4.2, num_train=1000, num_val=100)
    model = d2l.LinearRegressionScratch(2, lr=0.1)
    assert isinstance(model, d2l.Module)
    trainer = d2l.Trainer(max_epochs=3)
    trainer.fit(model, data)
    torch.testing.assert_close(model.w.detach().reshape(-1), torch.tensor([2.0, -3.4]), atol=0.1, rtol=0)
    assert abs(model.b.item() - 4.2) < 0.1
    board = model.board
    assert isinstance(board, d2l.ProgressBoard) and board.fig is not None
    assert {"train_loss", "val_loss"} <= set(board.data)  # the board recorded both curves while drawing


def test_plot_draws_curves(d2l):
    x = torch.arange(0, 3, 0.1)
    d2l.plot(x, [x**2, 2 * x - 3], "x", "f(x)", legend=["f(x)", "tangent"])
    axes = matplotlib.pyplot.gca()
    assert len(axes.get_lines()) == 2
    assert [t.get_text() for t in axes.get_legend().get_texts()] == ["f(x)", "tangent"]
    matplotlib.pyplot.close("all")


def test_vision_parts_fail_with_a_clear_reason_when_torchvision_cannot_load(d2l):
    if torchvision_problem() is None:
        pytest.skip("a working torchvision is installed here; d2l uses the real one")
    with pytest.raises(TorchvisionUnavailable, match="normlab's notebooks make their own data"):
        d2l.FashionMNIST(resize=(32, 32))
    assert "torchvision" not in sys.modules or not repr(sys.modules["torchvision"]).startswith("<normlab")
