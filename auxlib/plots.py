"""Figures: image grids and loss curves, drawn on matplotlib axes."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from torchvision.utils import make_grid


def as_tensor(images: torch.Tensor | np.ndarray) -> torch.Tensor:
    """NHWC uint8 arrays or NCHW tensors (uint8 or float in [0, 1]) to a float NCHW tensor in [0, 1] on the CPU."""
    if isinstance(images, np.ndarray):
        images = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2)
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


def image_rows(rows: dict[str, torch.Tensor | np.ndarray], size: float = 0.6) -> plt.Figure:
    """One row of images per entry of ``rows``, labelled on the left with its key."""
    width = max(len(images) for images in rows.values())
    fig, axes = plt.subplots(len(rows), 1, figsize=(size * width + 1.8, size * len(rows) * 1.05), squeeze=False)
    for ax, (label, images) in zip(axes[:, 0], rows.items()):
        show_images(images, nrow=width, ax=ax)
        ax.text(-0.02, 0.5, label, transform=ax.transAxes, ha="right", va="center")
    fig.subplots_adjust(left=1.6 / (size * width + 1.8), right=0.99, top=0.99, bottom=0.01, hspace=0.08)
    return fig


def loss_curves(history: Sequence[dict[str, float]], keys: Sequence[str] | None = None,
                labels: dict[str, str] | None = None, ax: plt.Axes | None = None,
                logy: bool = False) -> plt.Axes:
    """Plot the loss terms of a training history (rows of ``{"step": ..., term: value}``) against the step."""
    ax = ax or plt.figure(figsize=(6, 3.5)).gca()
    steps = [row["step"] for row in history]
    keys = keys or [k for k in history[0] if k != "step"]
    labels = labels or {}
    for key in keys:
        ax.plot(steps, [row[key] for row in history], label=labels.get(key, key))
    ax.set_xlabel("training step")
    ax.set_ylabel("nats per image")
    if logy:
        ax.set_yscale("log")
    ax.legend(frameon=False)
    ax.grid(alpha=0.3)
    return ax


def factor_histograms(factors: dict[str, np.ndarray], groups: dict[str, Sequence[str]], columns: int = 6,
                      bins: int = 20) -> plt.Figure:
    """One small histogram per factor, coloured by group (e.g. global vs local). Integer factors with few
    values are drawn as bars of counts."""
    names = [name for members in groups.values() for name in members if name in factors]
    colours = {name: f"C{i}" for i, members in enumerate(groups.values()) for name in members}
    rows = -(-len(names) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(2.2 * columns, 1.8 * rows), squeeze=False)
    for ax, name in zip(axes.flat, names):
        values = np.asarray(factors[name])
        if np.issubdtype(values.dtype, np.integer) and len(np.unique(values)) <= 30:
            levels, counts = np.unique(values, return_counts=True)
            ax.bar(levels, counts, color=colours[name], width=0.8)
        else:
            ax.hist(values, bins=bins, color=colours[name])
        ax.set_title(name, fontsize=9)
        ax.tick_params(labelsize=7)
        ax.set_yticks([])
    for ax in list(axes.flat)[len(names):]:
        ax.set_axis_off()
    handles = [plt.Rectangle((0, 0), 1, 1, color=f"C{i}") for i in range(len(groups))]
    fig.legend(handles, list(groups), loc="upper right", frameon=False, ncols=len(groups))
    fig.tight_layout(rect=(0, 0, 1, 0.95))
    return fig
