import matplotlib
import pandas as pd
import pytest

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


def test_loss_curves_draws_one_line_per_term_named_as_the_book_writes_it():
    history = [{"step": s, "rec": 10.0 / s, "kl": 1.0} for s in (1, 2, 3)]
    ax = plots.loss_curves(history)
    assert [line.get_label() for line in ax.get_lines()] == [plots.TERM_LABELS["rec"], "kl"]
    assert [line.get_label() for line in plots.loss_curves(history, labels={"kl": "K"}).get_lines()] == [
        plots.TERM_LABELS["rec"], "K"]
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


def test_swap_grid_frames_decodes_with_their_sources():
    rows, columns = torch.rand(2, 3, 8, 8), torch.rand(3, 3, 8, 8)
    ax = plots.swap_grid(rows, columns, torch.rand(6, 3, 8, 8))
    height, width, _ = ax.get_images()[0].get_array().shape
    assert (height, width) == (3 * 10 + 2, 4 * 10 + 2)  # a source row and column around the 2 x 3 decodes
    with pytest.raises(ValueError, match="decoded must hold len\\(row_sources\\) \\* len\\(column_sources\\) = 6"):
        plots.swap_grid(rows, columns, torch.rand(5, 3, 8, 8))
    plt.close("all")


def test_accuracy_bars_one_bar_per_model_and_test_plus_reference():
    scores = {"a": {"t1": np.array([0.5, 0.7]), "t2": np.array([0.1, 0.2])}, "b": {"t1": np.ones(2), "t2": np.zeros(2)}}
    ax = plots.accuracy_bars(scores, reference={"t1": 0.9}, chance=0.1)
    bars = [p for p in ax.patches if p.get_height() > 0 or p.get_width() > 0]
    assert len(ax.containers) == 2 + 1 + 2  # two series with error bars (bar + errorbar containers), one reference
    assert any(abs(p.get_height() - 0.6) < 1e-9 for p in bars)  # the mean over repeats
    assert any(abs(p.get_height() - 0.9) < 1e-9 for p in bars)
    plt.close("all")


def test_sweep_lines_one_line_per_test_in_order_of_the_setting():
    scores = {4.0: {"t": np.array([0.2])}, 1.0: {"t": np.array([0.8])}}
    ax = plots.sweep_lines(scores, "beta", chance=0.1)
    line = ax.get_lines()[0]
    assert list(line.get_xdata()) == [1.0, 4.0] and list(line.get_ydata()) == [0.8, 0.2]
    plt.close("all")


def test_assignment_matrix_orders_clusters_by_majority_label():
    labels = np.array([0, 0, 1, 1, 1, 2])
    clusters = np.array([7, 7, 3, 3, 5, 9])  # 7 -> label 0, 3 and 5 -> label 1 (3 is larger), 9 -> label 2
    ax = plots.assignment_matrix(labels, clusters)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["7", "3", "5", "9"]
    counts = ax.collections[0].get_array().reshape(3, 4)
    assert counts[:, 0].tolist() == [2, 0, 0] and counts[:, 1].tolist() == [0, 2, 0]
    plt.close("all")


def test_accuracy_bars_accept_repeats_that_agree():
    # three equal values: the mean may differ from them in the last bit, which must not make a negative error
    ax = plots.accuracy_bars({"a": {"t": np.array([0.1, 0.1, 0.1]), "u": np.array([0.7] * 3)}})
    assert len(ax.patches) == 2
    plt.close("all")


def test_image_rows_title_sits_above_the_rows():
    fig = plots.image_rows({"a": torch.rand(3, 3, 8, 8), "b": torch.rand(3, 3, 8, 8)}, title="T")
    assert fig.get_suptitle() == "T"
    fig.canvas.draw()
    title_bottom = next(t for t in fig.texts if t.get_text() == "T").get_window_extent().y0
    rows_top = max(ax.get_window_extent().y1 for ax in fig.axes)
    assert title_bottom >= rows_top
    plt.close(fig)


def test_assignment_matrix_shares_follow_a_given_order_and_sum_to_one_per_cluster():
    labels = np.array([0, 0, 1, 1, 1, 2])
    clusters = np.array([7, 7, 3, 3, 5, 7])
    assert plots.cluster_order(labels, clusters) == [7, 3, 5]
    ax = plots.assignment_matrix(labels, clusters, order=[5, 7, 3, 11], shares=True, ylabel="factor")
    assert [t.get_text() for t in ax.get_xticklabels()] == ["5", "7", "3"]  # 11 is empty, left out
    shares = ax.collections[0].get_array().reshape(3, 3)
    assert np.allclose(shares.sum(axis=0), 1) and np.allclose(shares[:, 1], [2 / 3, 0, 1 / 3])
    assert ax.get_ylabel() == "factor"
    plt.close("all")


def test_placement_heatmaps_one_panel_per_model_rows_grouped():
    m = {"digit": {"z_g": 0.9, "z_l": 0.1}, "colour": {"z_g": 0.2, "z_l": 0.8}}
    fig = plots.placement_heatmaps({"A": m, "B": m}, {"global": ["digit"], "local": ["colour"]})
    first = fig.axes[0]
    assert [t.get_text() for t in first.get_yticklabels()] == ["digit (global)", "colour (local)"]
    assert first.collections[0].get_array().reshape(2, 2).tolist() == [[0.9, 0.1], [0.2, 0.8]]
    assert [ax.get_title() for ax in fig.axes[:2]] == ["A", "B"]
    wrapped = plots.placement_heatmaps({"patch shuffle, n = 1": m}, {"global": ["digit"]}).axes[0].get_title()
    assert wrapped.replace("\N{NO-BREAK SPACE}", " ").split("\n") == ["patch shuffle,", "n = 1"]
    plt.close("all")


def test_paper_vs_ours_one_bar_and_one_tick_per_row():
    import pandas as pd
    table = pd.DataFrame({"experiment": ["1.2", "2.1"], "quantity": ["a", "b"], "paper": [0.9, 0.5],
                          "ours": [0.8, 0.1], "against": ["the paper", "DEC"]})
    ax = plots.paper_vs_ours(table)
    assert [round(p.get_width(), 2) for p in ax.patches] == [0.8, 0.1]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["1.2: a", "2.1: b vs DEC"]
    assert [p.get_y() + p.get_height() / 2 for p in ax.patches] == [1, 0]  # the first row on top
    assert ax.collections[0].get_offsets()[:, 0].tolist() == [0.9, 0.5]
    plt.close("all")


def test_score_grid_annotates_every_cell_and_outlines_the_marked_ones():
    import pandas as pd

    table = pd.DataFrame([[0.1, 0.2], [0.3, 0.4]], index=pd.Index([1, 4], name="n"), columns=[1.0, 4.0])
    ax = plots.score_grid(table, "S", marks={"best": (4, 4.0), "paper": (1, 1.0)})
    assert sorted(t.get_text() for t in ax.texts) == ["0.10", "0.20", "0.30", "0.40"]
    outlined = {p.get_label(): (round(p.get_x()), round(p.get_y())) for p in ax.patches}
    assert outlined == {"best": (1, 1), "paper": (0, 0)}  # (column, row) of each marked cell
    plt.close("all")


def test_signed_score_grid_centres_its_palette_on_zero():
    import pandas as pd

    table = pd.DataFrame([[-0.2, 0.6]], index=["standard"], columns=["identity", "colour"])
    mesh = plots.score_grid(table, "S", signed=True).collections[0]
    assert mesh.norm.vmin == -1 and mesh.norm.vmax == 1 and mesh.norm(0.0) == pytest.approx(0.5)
    plt.close("all")


def test_ratio_bars_draw_one_bar_per_cell_top_row_first_with_the_target_marked():
    import pandas as pd

    ratios = pd.DataFrame({"luma": [2.0, 20.0], "chroma": [1.0, 15.0]}, index=["standard", "FiLM"])
    ax = plots.ratio_bars(ratios, 3.0)
    assert ax.get_xscale() == "log" and len(ax.patches) == 4
    assert [t.get_text() for t in ax.get_yticklabels()] == ["FiLM", "standard"]  # drawn bottom-up
    assert 3.0 in [line.get_xdata()[0] for line in ax.get_lines()]
    plt.close("all")


def test_score_curves_tick_every_decade_only_over_wide_spans():
    rows = [{"images": 10.0 ** e, "acc": 0.1 * e} for e in (3, 4)]
    narrow = plots.score_curves({"run": rows})
    narrow.figure.canvas.draw()
    assert 2000 in narrow.get_xticks()  # 1, 2 and 5 of each decade
    wide = plots.score_curves({"run": rows}, marks={"budget": 1e8})
    wide.figure.canvas.draw()
    ticks = [t for t in wide.get_xticks() if 1e3 <= t <= 1e8]
    assert ticks and all(np.log10(t) == round(np.log10(t)) for t in ticks)
    plt.close("all")


def test_shown_text_scales_a_figure_wider_than_the_page_down_to_it():
    narrow, wide = plt.figure(figsize=(plots.PAGE_WIDTH / 2, 2)), plt.figure(figsize=(4 * plots.PAGE_WIDTH, 2))
    for fig in (narrow, wide):
        fig.text(0.01, 0.5, "x" * 10, fontsize=10)
        fig.text(0.9, 0.5, "y", fontsize=10)
    assert plots.shown_text(narrow) == [("x" * 10, 10.0), ("y", 10.0)]
    (_, small), _ = plots.shown_text(wide)
    assert 10 / 4 <= small < 10 / 3.5  # cropped to its text, a little less than 4 page widths
    assert plots.small_text(narrow) == [] and plots.small_text(wide)[0].startswith("'xxxxxxxxxx' at 2.")
    plt.close("all")


def _figures() -> dict[str, plt.Figure]:
    """Every figure the library draws on its own, with inputs of the size the chapters give it."""
    rng = np.random.default_rng(0)
    tests = {"reconstruction": np.array([0.9, 0.88]), "z_l resampled": np.array([0.8]),
             "z_g resampled": np.array([0.1])}
    # synth-svhn's longest factor names: long row labels leave the panels their narrowest
    names = [f"bg_color yellow-blue {i}" for i in range(27)]
    matrix = {name: {"z_g": rng.uniform(-0.5, 1), "z_l": rng.uniform(-0.5, 1)} for name in names}
    groups = {"global": names[:12], "local": names[12:]}
    curves = {f"setting {i}": [{"images": 64 * s, "acc": s / 1e4} for s in (100, 1000, 5000)] for i in range(9)}
    table = pd.DataFrame(rng.uniform(-1, 1, (5, 4)), index=[1, 2, 4, 8, 16], columns=[0.5, 1, 4, 16])
    return {
        "image_rows": plots.image_rows({"original": torch.rand(10, 3, 8, 8), "shuffled": torch.rand(10, 3, 8, 8)},
                                       title="a title"),
        "loss_curves": plots.loss_curves([{"step": s, "rec": 1.0 / s, "kl_g": 2.0} for s in (1, 2)]).figure,
        "factor_histograms": plots.factor_histograms({f"f{i}": rng.normal(size=50) for i in range(27)},
                                                     {"global": [f"f{i}" for i in range(12)],
                                                      "local": [f"f{i}" for i in range(12, 27)]}),
        "accuracy_bars": plots.accuracy_bars({"AuxVAE": tests, "plain VAE (no auxiliary task)": tests,
                                              "β-VAE (β = 4)": tests}, reference={t: 0.5 for t in tests},
                                             chance=0.1, reference_label="paper (SVHN)").figure,
        "sweep_lines": plots.sweep_lines({b: tests for b in (0.5, 1, 2, 4, 8)}, "β", chance=0.1).figure,
        "assignment_matrix": plots.assignment_matrix(rng.integers(0, 10, 500), rng.integers(0, 30, 500)).figure,
        "placement_heatmaps": plots.placement_heatmaps({"AuxVAE": matrix, "plain VAE (no auxiliary task)": matrix,
                                                        "β-VAE (β = 4)": matrix}, groups),
        "score_grid": plots.score_grid(table, "S (k-NN)", {"best": (4, 1)}, signed=True).figure,
        "paper_vs_ours": plots.paper_vs_ours(pd.DataFrame({"experiment": ["1.2"] * 4, "quantity": [
            "classifier on decodes: z_l resampled"] * 4, "ours": [0.9] * 4, "paper": [0.8] * 4})).figure,
        "score_curves": plots.score_curves(curves, marks={"standard budget": 224_000}, reference="setting 0").figure,
        "ratio_bars": plots.ratio_bars(pd.DataFrame({"luma": [2.0, 3.0], "chroma": [1.0, 4.0]},
                                                    index=["standard", "β_g = 4"]), 3.0).figure,
    }


@pytest.mark.parametrize("name", ["image_rows", "loss_curves", "factor_histograms", "accuracy_bars", "sweep_lines",
                                  "assignment_matrix", "placement_heatmaps", "score_grid", "paper_vs_ours",
                                  "score_curves", "ratio_bars"])
def test_every_figure_of_the_library_is_readable_at_the_pages_width(name):
    figures = _figures()
    try:
        assert plots.small_text(figures[name]) == []
        assert plots.overlapping_text(figures[name]) == []
    finally:
        plt.close("all")


def test_overlapping_text_finds_text_drawn_over_text_and_only_that():
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.set_xlim(0, 1)
    ax.text(0.5, 0.5, "first")
    assert plots.overlapping_text(fig) == []  # nor do tick labels outside the view count
    ax.text(0.5, 0.5, "second")
    assert plots.overlapping_text(fig) == ["'first' over 'second'"]
    plt.close(fig)


def test_score_curves_label_only_the_ticks_a_narrow_panel_has_room_for():
    fig, axes = plt.subplots(1, 3, figsize=(plots.PAGE_WIDTH, 2.8), sharey=True)
    for ax in axes:  # 16,000 to 1,280,000 images, as exp1_2's longest run
        rows = [{"images": 16_000 + 15_800 * i, "acc": 0.01 * i} for i in range(81)]
        plots.score_curves({"run": rows}, "acc", "classifier accuracy (train)", ax=ax,
                           marks={"standard budget": 224_000})
    fig.tight_layout()
    try:
        assert plots.overlapping_text(fig) == []
    finally:
        plt.close(fig)


def test_legend_below_stays_clear_of_the_x_label_on_a_short_axes():
    fig, axes = plt.subplots(1, 2, figsize=(plots.PAGE_WIDTH, 3.0))
    for ax in axes:
        curves = {f"setting {i}": [{"images": 320, "acc": 0.1}, {"images": 640, "acc": 0.2}] for i in range(9)}
        plots.score_curves(curves, "acc", "ACC", ax=ax)
        plots.legend_below(ax)
    fig.tight_layout()
    try:
        assert plots.overlapping_text(fig) == []
    finally:
        plt.close(fig)


def test_assignment_matrix_labels_every_row_it_has_room_for():
    rng = np.random.default_rng(0)
    fig, ax = plt.subplots(figsize=(plots.PAGE_WIDTH, 1.9))
    plots.assignment_matrix(rng.integers(0, 21, 2000), rng.integers(0, 30, 2000), ax=ax, shares=True)
    try:
        labels = [int(t.get_text()) for t in ax.get_yticklabels()]
        assert labels[0] == 0 and 1 < len(labels) < 21 and len(set(np.diff(labels))) == 1  # every step-th label
        assert plots.overlapping_text(fig) == []
    finally:
        plt.close(fig)
