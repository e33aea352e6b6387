import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

from auxlib import plots  # noqa: E402


def test_as_tensor_accepts_nhwc_uint8_and_nchw_float():
    arr = np.full((2, 4, 5, 3), 255, np.uint8)
    assert torch.equal(plots.as_tensor(arr), torch.ones(2, 3, 4, 5))
    assert plots.as_tensor(torch.full((1, 3, 2, 2), 2.0)).max() == 1.0


def test_grid_shows_every_image_once():
    images = torch.rand(12, 3, 8, 8)
    ax = plots.show_images(images, nrow=4, padding=1)
    height, width, _ = ax.get_images()[0].get_array().shape
    assert (height, width) == (3 * 9 + 1, 4 * 9 + 1)
    plt.close("all")


def test_image_rows_labels_each_row():
    fig = plots.image_rows({"a": torch.rand(3, 3, 8, 8), "b": np.zeros((3, 8, 8, 3), np.uint8)})
    assert [t.get_text() for ax in fig.axes for t in ax.texts] == ["a", "b"]
    plt.close(fig)


def test_loss_curves_draws_one_line_per_term():
    history = [{"step": s, "rec": 10.0 / s, "kl": 1.0} for s in (1, 2, 3)]
    ax = plots.loss_curves(history)
    assert [line.get_label() for line in ax.get_lines()] == ["rec", "kl"]
    assert list(ax.get_lines()[0].get_xdata()) == [1, 2, 3]
    plt.close("all")


def test_factor_histograms_one_panel_per_factor_coloured_by_group():
    factors = {"digit": np.arange(10).repeat(3), "blur": np.linspace(0, 1, 30), "unused": np.zeros(30)}
    fig = plots.factor_histograms(factors, {"global": ["digit"], "local": ["blur", "missing"]}, columns=3)
    titled = [ax for ax in fig.axes if ax.get_title()]
    assert [ax.get_title() for ax in titled] == ["digit", "blur"]
    assert len(titled[0].patches) == 10  # one bar per digit
    assert titled[0].patches[0].get_facecolor() != titled[1].patches[0].get_facecolor()
    plt.close(fig)
