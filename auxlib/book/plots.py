"""Figures: image grids, loss curves, accuracy bars and assignment heatmaps, drawn on matplotlib axes; and the
check that a figure's text stays readable at the width the book's page shows it (:func:`shown_text`)."""

from __future__ import annotations

import math
import os
import sys
import textwrap
from collections.abc import Sequence
from typing import Any

import matplotlib.legend
import matplotlib.pyplot as plt
import matplotlib.text
import matplotlib.ticker as ticker
import matplotlib.transforms as transforms
import numpy as np
import pandas as pd
import seaborn as sns
import torch
from sklearn.metrics.cluster import contingency_matrix
from torchvision.utils import make_grid

from ..data import to_tensor

#: The width of the book's text column in inches at the figures' 100 dots per inch: 676 pixels in a browser window
#: 1,280 pixels wide (sphinx-book-theme; the site test measures it). A wider figure is scaled down to it.
PAGE_WIDTH = 6.76
#: The smallest text a figure may show, in points as the page shows it.
MIN_TEXT_PT = 8.0


#: The book's figure style, set when this module is imported: text at least :data:`MIN_TEXT_PT` on a figure
#: drawn at :data:`PAGE_WIDTH` or narrower.
STYLE: dict[str, Any] = {"font.size": 9, "axes.titlesize": 9, "axes.labelsize": 9, "xtick.labelsize": 8,
                         "ytick.labelsize": 8, "legend.fontsize": 8, "figure.titlesize": 10, "legend.frameon": False}
plt.style.use(STYLE)


def shown_text(fig: plt.Figure, page_width: float = PAGE_WIDTH) -> list[tuple[str, float]]:
    """Every visible text of ``fig`` with its size in points as the page shows it: its own size times the factor
    by which the page scales the figure down to ``page_width`` inches. The inline backend saves a figure cropped
    to what is drawn (``bbox_inches="tight"``), so that crop's width is the one scaled."""
    fig.canvas.draw()
    width = fig.get_tightbbox().width  # inches
    scale = min(1.0, page_width / width)
    return [(t.get_text(), float(t.get_fontsize()) * scale) for t in _drawn_texts(fig)]


def _drawn_texts(fig: plt.Figure) -> list[matplotlib.text.Text]:
    """The texts of ``fig`` that are drawn: visible, not empty, and not the label of a tick outside its axis's
    view (matplotlib keeps those, visible but never drawn)."""
    undrawn = set()
    for ax in fig.axes:
        for axis, limits in ((ax.xaxis, ax.get_xlim()), (ax.yaxis, ax.get_ylim())):
            low, high = sorted(limits)
            margin = 1e-9 * (high - low)
            for tick in [*axis.get_major_ticks(), *axis.get_minor_ticks()]:
                if not low - margin <= tick.get_loc() <= high + margin:
                    undrawn.update({id(tick.label1), id(tick.label2)})
    return [t for t in fig.findobj(matplotlib.text.Text) if t.get_visible() and t.get_text().strip()
            and t.get_alpha() != 0 and id(t) not in undrawn]


def small_text(fig: plt.Figure, smallest: float = MIN_TEXT_PT, page_width: float = PAGE_WIDTH) -> list[str]:
    """The texts of ``fig`` shown smaller than ``smallest`` points (:func:`shown_text`), each with its size."""
    return [f"{text!r} at {size:.1f} pt" for text, size in shown_text(fig, page_width) if size < smallest - 0.05]


def overlapping_text(fig: plt.Figure) -> list[str]:
    """Every pair of visible texts of ``fig`` whose drawn boxes overlap (titles, labels, tick labels, legends,
    annotations), each as ``'a' over 'b'``: text drawn over other text cannot be read at any width."""
    fig.canvas.draw()
    texts = [(t.get_text(), t.get_window_extent()) for t in _drawn_texts(fig)]
    return [f"{a!r} over {b!r}" for i, (a, box_a) in enumerate(texts) for b, box_b in texts[i + 1:]
            if box_a.x0 < box_b.x1 - 1 and box_b.x0 < box_a.x1 - 1 and box_a.y0 < box_b.y1 - 1
            and box_b.y0 < box_a.y1 - 1]


def _report(kind: str, problems: list[str]) -> None:
    if problems:
        print(f"auxlib.plots: {kind}: {', '.join(problems[:5])}"
              + (f" and {len(problems) - 5} more" if len(problems) > 5 else ""), file=sys.stderr)


def _report_unreadable_text() -> None:
    """Write to stderr, once per open figure, its text shown smaller than :data:`MIN_TEXT_PT` and its texts that
    overlap."""
    for number in plt.get_fignums():
        fig = plt.figure(number)
        _report(f"figure text smaller than {MIN_TEXT_PT:g} pt on the page", small_text(fig))
        _report("figure texts overlap", overlapping_text(fig))


def _check_figures_in_notebooks() -> None:
    """With ``AUXLIB_CHECK_FIGURES`` set (the notebook tests set it), report unreadable text after every cell, before
    the inline backend shows and closes the cell's figures (so the callback goes first)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None and os.environ.get("AUXLIB_CHECK_FIGURES"):
        callbacks = shell.events.callbacks["post_execute"]
        if _report_unreadable_text not in callbacks:
            callbacks.insert(0, _report_unreadable_text)


_check_figures_in_notebooks()


def as_tensor(images: torch.Tensor | np.ndarray) -> torch.Tensor:
    """NHWC uint8 arrays or NCHW tensors (uint8 or float in [0, 1]) to a float NCHW tensor in [0, 1] on the CPU."""
    if isinstance(images, np.ndarray):
        images = to_tensor(images)
    images = images.detach().cpu()
    return images.float() / 255 if images.dtype == torch.uint8 else images.float().clamp(0, 1)


def show_images(images: torch.Tensor | np.ndarray, nrow: int = 10, title: str | None = None,
                ax: plt.Axes | None = None, padding: int = 1) -> plt.Axes:
    """Draw a batch of images as one grid (torchvision's make_grid) on ``ax``."""
    grid = make_grid(as_tensor(images), nrow=nrow, padding=padding, pad_value=1.0)
    if ax is None:
        height, width = grid.shape[1:]
        ax = plt.figure(figsize=(0.5 * nrow, 0.5 * nrow * height / width)).gca()
    ax.imshow(grid.permute(1, 2, 0).numpy(), interpolation="nearest")
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return ax


def image_rows(rows: dict[str, torch.Tensor | np.ndarray], size: float = 0.6, title: str | None = None
               ) -> plt.Figure:
    """One row of images per entry of ``rows``, labelled on the left with its key, under an optional title."""
    width = max(len(images) for images in rows.values())
    size = min(size, (PAGE_WIDTH - 1.8) / width)  # the page's column, less the labels' margin
    head = 0.4 if title else 0.0  # inches kept free above the rows for the title
    height = size * len(rows) * 1.05 + head
    fig, axes = plt.subplots(len(rows), 1, figsize=(size * width + 1.8, height), squeeze=False)
    for ax, (label, images) in zip(axes[:, 0], rows.items()):
        show_images(images, nrow=width, ax=ax)
        ax.text(-0.02, 0.5, label, transform=ax.transAxes, ha="right", va="center")
    fig.subplots_adjust(left=1.6 / (size * width + 1.8), right=0.99, top=0.99 - head / height, bottom=0.01,
                        hspace=0.08)
    if title:
        fig.suptitle(title, y=1 - 0.1 / height, va="top", fontsize=10)
    return fig


#: How the loss terms of the AuxVAE read in a legend.
TERM_LABELS = {"rec": r"$-\log p(x \mid z_g, z_l)$", "aux": r"$-\log \hat p(\hat x \mid z_l)$",
               "kl_g": r"KL of $z_g$", "kl_l": r"KL of $z_l$", "kl_y": r"KL of $y$"}


def loss_curves(history: Sequence[dict[str, float]], keys: Sequence[str] | None = None,
                labels: dict[str, str] | None = None, ax: plt.Axes | None = None,
                logy: bool = False) -> plt.Axes:
    """Plot the loss terms of a training history (rows of ``{"step": ..., term: value}``) against the step,
    labelled by ``labels``, else :data:`TERM_LABELS`, else their names."""
    ax = ax or plt.figure(figsize=(6, 3.5)).gca()
    steps = [row["step"] for row in history]
    keys = keys or [k for k in history[0] if k != "step"]
    labels = {**TERM_LABELS, **(labels or {})}
    for key in keys:
        ax.plot(steps, [row[key] for row in history], label=labels.get(key, key))
    ax.set_xlabel("training step")
    ax.set_ylabel("nats per image")
    if logy:
        ax.set_yscale("log")
    ax.legend(frameon=False)
    ax.grid(alpha=0.3)
    return ax


def factor_histograms(factors: dict[str, np.ndarray], groups: dict[str, Sequence[str]], columns: int = 4,
                      bins: int = 20) -> plt.Figure:
    """One small histogram per factor, coloured by group (e.g. global vs local). Integer factors with few
    values are drawn as bars of counts."""
    names = [name for members in groups.values() for name in members if name in factors]
    colours = {name: f"C{i}" for i, members in enumerate(groups.values()) for name in members}
    rows = -(-len(names) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(PAGE_WIDTH, 1.5 * rows), squeeze=False)
    for ax, name in zip(axes.flat, names):
        values = np.asarray(factors[name])
        if np.issubdtype(values.dtype, np.integer) and len(np.unique(values)) <= 30:
            levels, counts = np.unique(values, return_counts=True)
            ax.bar(levels, counts, color=colours[name], width=0.8)
        else:
            ax.hist(values, bins=bins, color=colours[name])
        ax.set_title(name)
        ax.set_yticks([])
    for ax in list(axes.flat)[len(names):]:
        ax.set_axis_off()
    handles = [plt.Rectangle((0, 0), 1, 1, color=f"C{i}") for i in range(len(groups))]
    fig.legend(handles, list(groups), loc="upper right", frameon=False, ncols=len(groups))
    fig.tight_layout(rect=(0, 0, 1, 0.95))
    return fig


def swap_grid(row_sources: torch.Tensor | np.ndarray, column_sources: torch.Tensor | np.ndarray,
              decoded: torch.Tensor, title: str | None = None, ax: plt.Axes | None = None) -> plt.Axes:
    """A grid of decodes framed by their sources: the top row shows ``column_sources``, the left column
    ``row_sources``, and cell (i, j) the decode ``decoded[i * len(column_sources) + j]``."""
    rows, columns = as_tensor(row_sources), as_tensor(column_sources)
    decoded = as_tensor(decoded)
    if len(decoded) != len(rows) * len(columns):
        raise ValueError(f"decoded must hold len(row_sources) * len(column_sources) = {len(rows) * len(columns)} "
                         f"images, got {len(decoded)}.")
    blank = torch.ones_like(rows[:1])
    cells = [blank, columns]
    for i in range(len(rows)):
        cells += [rows[i:i + 1], decoded[i * len(columns):(i + 1) * len(columns)]]
    ax = show_images(torch.cat(cells), nrow=len(columns) + 1, ax=ax, padding=2)
    if title:
        ax.set_title(title)
    return ax


def accuracy_bars(scores: dict[str, dict[str, np.ndarray]], reference: dict[str, float] | None = None,
                  chance: float | None = None, reference_label: str = "paper",
                  ax: plt.Axes | None = None) -> plt.Axes:
    """Grouped bars of accuracies: one group per test (the inner keys), one bar per model (the outer keys), at
    the mean over repeats with the min-max range as an error bar; ``reference`` adds hatched bars (e.g. the
    paper's numbers) and ``chance`` a dashed line."""
    tests = list(next(iter(scores.values())))
    series = {name: {t: np.atleast_1d(v[t]) for t in tests} for name, v in scores.items()}
    if reference is not None:
        series[reference_label] = {t: np.atleast_1d(reference[t]) for t in tests if t in reference}
    ax = ax or plt.figure(figsize=(PAGE_WIDTH, 3.0)).gca()
    width = 0.8 / len(series)
    for k, (name, values) in enumerate(series.items()):
        xs = [i + (k - (len(series) - 1) / 2) * width for i, t in enumerate(tests) if t in values]
        vals = [values[t] for t in tests if t in values]
        means = np.array([v.mean() for v in vals])
        spread = np.clip([[m - v.min(), v.max() - m] for m, v in zip(means, vals)], 0, None).T  # rounding
        ref = reference is not None and name == reference_label
        ax.bar(xs, means, width, yerr=None if ref else spread, capsize=3, label=name,
               color="white" if ref else f"C{k}", edgecolor="0.3" if ref else None, hatch="//" if ref else None)
    if chance is not None:
        ax.axhline(chance, color="k", ls="--", lw=1, label="chance")
    ax.set_xticks(range(len(tests)), tests)
    ax.set_ylim(0, 1)
    ax.set_ylabel("classifier accuracy")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncols=min(len(series) + (chance is not None), 4))
    return ax


def sweep_lines(scores: dict[float, dict[str, np.ndarray]], xlabel: str, chance: float | None = None,
                logx: bool = True, ax: plt.Axes | None = None) -> plt.Axes:
    """Accuracies against a swept setting (the outer keys): one line per test at the mean over repeats, with
    the min-max range shaded."""
    ax = ax or plt.figure(figsize=(PAGE_WIDTH / 2, 3.0)).gca()
    xs = sorted(scores)
    for k, test in enumerate(next(iter(scores.values()))):
        values = [np.atleast_1d(scores[x][test]) for x in xs]
        ax.plot(xs, [v.mean() for v in values], "o-", color=f"C{k}", label=test)
        ax.fill_between(xs, [v.min() for v in values], [v.max() for v in values], color=f"C{k}", alpha=0.2)
    if chance is not None:
        ax.axhline(chance, color="k", ls="--", lw=1, label="chance")
    if logx:
        ax.set_xscale("log", base=2)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("classifier accuracy")
    ax.set_ylim(0, 1)
    ax.legend()
    ax.grid(alpha=0.3)
    return ax


def cluster_order(labels: np.ndarray, clusters: np.ndarray) -> list[int]:
    """The non-empty cluster ids ordered by their majority label, then by size (largest first)."""
    table = contingency_matrix(np.asarray(labels), np.asarray(clusters))
    ids = np.unique(clusters)
    return [ids[j].item() for j in sorted(range(len(ids)), key=lambda j: (table[:, j].argmax(), -table[:, j].sum()))]


def assignment_matrix(labels: np.ndarray, clusters: np.ndarray, label_names: Sequence[str] | None = None,
                      ax: plt.Axes | None = None, order: Sequence[int] | None = None, shares: bool = False,
                      ylabel: str = "true label") -> plt.Axes:
    """The paper's Fig. 4 (section 3.2): counts of true labels (rows) in each cluster (columns) as a seaborn heatmap.

    Args:
        order: the cluster ids to show, left to right; by default :func:`cluster_order` (empty clusters are
            left out either way).
        shares: show each cluster's shares of the labels (columns sum to 1) instead of counts, so that small
            and large clusters read alike.
    """
    labels, clusters = np.asarray(labels), np.asarray(clusters)
    table = contingency_matrix(labels, clusters)  # rows: sorted label values, columns: sorted cluster ids
    column = {c.item(): j for j, c in enumerate(np.unique(clusters))}
    order_given = order
    order = [c for c in (order if order is not None else cluster_order(labels, clusters)) if c in column]
    shown = table[:, [column[c] for c in order]]
    if shares:
        shown = shown / shown.sum(axis=0)
    ax = ax or plt.figure(figsize=(min(PAGE_WIDTH, 0.2 * len(order) + 1.8), 3.6)).gca()
    names = label_names if label_names is not None else [str(v) for v in np.unique(labels)]
    sns.heatmap(shown, ax=ax, cmap="viridis", xticklabels=[str(c) for c in order], yticklabels=names,
                vmin=0, vmax=1 if shares else None,
                cbar_kws={"label": "share of the cluster" if shares else "test images"})
    ax.set_xlabel("cluster (ordered by majority label)" if order_given is None else "cluster")
    ax.set_ylabel(ylabel)
    ax.tick_params(axis="x", rotation=90)
    ax.tick_params(axis="y", rotation=0)
    # a row lower than its label (many labels in a short panel): label every step-th row, so no two labels touch
    row_pt = ax.get_window_extent().height * 72 / ax.figure.dpi / len(names)
    step = math.ceil(1.5 * plt.rcParams["ytick.labelsize"] / row_pt)
    if step > 1:
        ax.set_yticks(np.arange(0, len(names), step) + 0.5, names[::step])
    return ax


def placement_heatmaps(matrices: dict[str, dict[str, dict[str, float]]], groups: dict[str, Sequence[str]],
                       height: float = 0.28) -> plt.Figure:
    """One heatmap per model of :func:`auxlib.placement.placement_matrix` scores (rows: factors, grouped and
    labelled by ``groups``, e.g. {"global": [...], "local": [...]}; columns: latent parts), side by side."""
    rows = [(group, f) for group, names in groups.items() for f in names]
    fig, axes = plt.subplots(1, len(matrices), figsize=(min(PAGE_WIDTH, 1.45 * len(matrices) + 2.4),
                                                        height * len(rows) + 1.4), squeeze=False, sharey=True)
    for i, (ax, (title, matrix)) in enumerate(zip(axes[0], matrices.items())):
        parts = list(next(iter(matrix.values())))
        table = np.array([[matrix[f][p] for p in parts] for _, f in rows])
        # scores are rescaled so that 0 is chance and may fall below it: a diverging palette centred on 0
        sns.heatmap(table, ax=ax, vmin=-1, vmax=1, center=0, cmap="vlag_r", annot=True, fmt=".2f",
                    annot_kws={"size": 8}, xticklabels=parts, yticklabels=[f"{f} ({group})" for group, f in rows],
                    cbar=i == len(matrices) - 1, cbar_kws={"label": "held-out probe score"})
        # the panels are narrow: a long model name takes two lines, never breaking a setting such as "n = 1"
        ax.set_title(textwrap.fill(title.replace(" = ", "\N{NO-BREAK SPACE}=\N{NO-BREAK SPACE}"), 18))
        ax.tick_params(axis="y", rotation=0)
        for edge in np.cumsum([len(names) for names in groups.values()])[:-1]:
            ax.axhline(edge, color="white", lw=2)
    fig.tight_layout()
    return fig


def score_grid(table: pd.DataFrame, label: str, marks: dict[str, tuple] | None = None, fmt: str = ".2f",
               ax: plt.Axes | None = None, signed: bool = False) -> plt.Axes:
    """A sweep's scores as an annotated heatmap (rows and columns: the table's index and columns), with named
    cells outlined, e.g. ``marks={"best": (4, 1.0)}``. ``signed`` scores (in [-1, 1], 0 meaning neither way)
    get a diverging palette centred on 0."""
    ax = ax or plt.figure(figsize=(1.1 * table.shape[1] + 2, 0.6 * table.shape[0] + 1.2)).gca()
    colours = dict(cmap="vlag_r", center=0, vmin=-1, vmax=1) if signed else dict(cmap="viridis")
    sns.heatmap(table, ax=ax, annot=True, fmt=fmt, cbar_kws={"label": label}, annot_kws={"size": 8}, **colours)
    for i, (name, (row, column)) in enumerate((marks or {}).items()):
        y, x = list(table.index).index(row), list(table.columns).index(column)
        ax.add_patch(plt.Rectangle((x + 0.04 * (i + 1), y + 0.04 * (i + 1)), 1 - 0.08 * (i + 1),
                                   1 - 0.08 * (i + 1), fill=False, ec=f"C{i + 1}", lw=2.5, label=name))
    if marks:
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12 - 0.6 / table.shape[0]), ncol=len(marks))
    ax.tick_params(axis="y", rotation=0)
    return ax


def paper_vs_ours(table, ax: plt.Axes | None = None) -> plt.Axes:
    """One row per reported number (a :func:`auxlib.paper.comparison` table): our value as a bar, the
    reported one as a black tick; rows set against another method than the paper's own name it."""
    if ax is None:
        fig = plt.figure(figsize=(PAGE_WIDTH, 0.4 * len(table) + 1))
        fig.subplots_adjust(left=0.45)  # the labels' room, inside the page's width
        ax = fig.gca()
    y = np.arange(len(table))[::-1]
    ax.barh(y, table["ours"], color="C0", height=0.6, label="this book")
    ax.scatter(table["paper"], y, marker="|", s=300, color="black", zorder=3, label="reported")
    against = table["against"] if "against" in table else ["the paper"] * len(table)
    ax.set_yticks(y, [f"{e}: {q}" + ("" if a == "the paper" else f" vs {a}")
                      for e, q, a in zip(table["experiment"], table["quantity"], against)])
    ax.set_xlim(0, 1)
    ax.set_xlabel("accuracy")
    ax.legend(loc="lower right")
    ax.grid(axis="x", alpha=0.3)
    return ax


def score_curves(curves: dict[str, Sequence[dict[str, float]]], key: str = "acc", ylabel: str | None = None,
                 ax: plt.Axes | None = None, marks: dict[str, float] | None = None,
                 reference: str | None = None) -> plt.Axes:
    """Training-time scores (rows of ``{"images": ..., key: ...}``, :mod:`auxlib.monitor`) against the images
    seen, on a log axis: one line per run, the ``reference`` run's in black. ``marks`` draws labelled vertical
    lines at image counts (a budget)."""
    ax = ax or plt.figure(figsize=(PAGE_WIDTH * 0.8, 3.2)).gca()
    others = [label for label in curves if label != reference]
    for label, rows in curves.items():
        style = dict(color="k", lw=2) if label == reference else dict(color=f"C{others.index(label) % 10}",
                                                                      ls="-" if others.index(label) < 10 else "--")
        ax.plot([r["images"] for r in rows], [r[key] for r in rows], label=label, **style)
    for label, images in (marks or {}).items():
        ax.axvline(images, color="grey", ls=":", lw=1)
        ax.annotate(label, (images, 1), xycoords=("data", "axes fraction"), ha="right", va="top", fontsize=8,
                    color="grey", rotation=90)
    ax.set_xscale("log")
    # ticks at 1, 2 and 5 of each decade, written 20k, 50k, 1M, where the curves span a few decades (the default
    # labels of every minor tick run into each other); at 1 alone over wider spans, such as out to a paper's budget
    # within one decade a log locator falls back on linear ticks, as many as a wide axis holds: three instead;
    # over more, ticks at 1, 2 and 5 of each decade where a decade is wide enough to hold their labels
    low, high = ax.get_xlim()
    decades = math.log10(high / low)
    inches_per_decade = ax.get_window_extent().width / ax.figure.dpi / decades
    ax.xaxis.set_major_locator(ticker.MaxNLocator(3) if decades < 1 else
                               ticker.LogLocator(subs=(1.0, 2.0, 5.0) if inches_per_decade >= 1.1 else (1.0,)))
    ax.xaxis.set_major_formatter(ticker.EngFormatter(sep=""))
    ax.xaxis.set_minor_formatter(ticker.NullFormatter())
    ax.set_xlabel("training images seen")
    ax.set_ylabel(ylabel or key)
    ax.grid(alpha=0.3, which="both")
    return ax


def legend_below(ax: plt.Axes, **kwargs) -> matplotlib.legend.Legend:
    """The legend of ``ax`` under its tick labels and x label, at a fixed distance in inches whatever the axes'
    height (an anchor in axes fractions moves with it, onto the label); ``kwargs`` go to ``ax.legend``."""
    fig = ax.figure
    tight = ax.get_tightbbox()
    under = 0.0 if tight is None else (ax.get_window_extent().y0 - tight.y0) / fig.dpi  # inches
    shift = transforms.ScaledTranslation(0, -under - 0.05, fig.dpi_scale_trans)
    return ax.legend(loc="upper center", bbox_to_anchor=(0.5, 0), bbox_transform=ax.transAxes + shift, **kwargs)


def ratio_bars(ratios: pd.DataFrame, target: float, ax: plt.Axes | None = None) -> plt.Axes:
    """Ratios per row (one horizontal bar per column of ``ratios``, grouped by row) on a log axis, with 1 (no
    difference) and ``target`` marked: the local chapter's Fig. 2 ratios per setting."""
    ax = ax or plt.figure(figsize=(PAGE_WIDTH * 0.8, 0.35 * len(ratios) + 1.2)).gca()
    ratios.iloc[::-1].plot.barh(ax=ax, width=0.8, logx=True, color=["0.55", "C1"])
    ax.axvline(1, color="0.4", lw=1)
    ax.axvline(target, color="C3", ls="--", lw=1, label=f"target ({target:g}x)")
    ax.set_xlabel("spread of the mean colour when $z_l$ is drawn again ÷ when $z_g$ is drawn again")
    ax.legend(loc="lower right")
    ax.grid(axis="x", alpha=0.3)
    return ax
