"""The classifier that judges images: how well it reads real images, and how much blur it forgives.

Experiment 1.2 (the paper's Fig. 3, section 3.1) reads decodes with a digit classifier trained on real images. A
decode can be misread because it lost the digit or merely because it is blurred; :func:`blur_accuracies` says
how much of a drop blur alone would explain, by reading real images blurred by a Gaussian of growing width.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn
from torchvision.transforms.v2 import functional as tvf

from ..model.models import outputs, predict, to_unit
from . import metrics

#: Images per batch the classifier reads: its first stage's 32x32 maps of 100 images stay in the CPU's cache, and
#: 2,000 images are read 1.4 (bf16) to 1.65 (fp32) times faster than in batches of 500 on a 2-core CPU.
BATCH = 100


def accuracy(classifier: nn.Module, images: torch.Tensor, labels: np.ndarray) -> float:
    """The share of ``images`` (uint8 or [0, 1] float NCHW) that ``classifier`` labels as ``labels`` (N,)."""
    return metrics.accuracy(np.asarray(labels), predict(classifier, images, BATCH).numpy())


def blur(images: torch.Tensor, sigma: float) -> torch.Tensor:
    """``images`` (uint8 or [0, 1] float NCHW) blurred by a Gaussian of standard deviation ``sigma`` pixels (a
    kernel of 2 * ceil(3 sigma) + 1 taps, reflected at the border), as [0, 1] floats; 0 leaves them sharp.
    Raises ValueError for a negative ``sigma``."""
    if not sigma >= 0:
        raise ValueError(f"sigma must be a number >= 0, got {sigma!r}.")
    x = to_unit(images)
    if sigma == 0:
        return x
    size = 2 * int(np.ceil(3 * sigma)) + 1
    return tvf.gaussian_blur(x, [size, size], [float(sigma), float(sigma)])


def blur_accuracies(classifier: nn.Module, images: torch.Tensor, labels: np.ndarray,
                    sigmas: Sequence[float] = (0.0, 0.5, 1.0, 1.5, 2.0)) -> dict[float, float]:
    """The classifier's :func:`accuracy` on ``images`` blurred by each of ``sigmas`` (pixels), by sigma."""
    return {float(s): accuracy(classifier, blur(images, s), labels) for s in sigmas}


#: A decode is legible when the classifier puts at least this probability on one class.
LEGIBLE = 0.9


def legible_share(classifier: nn.Module, images: torch.Tensor, threshold: float = LEGIBLE) -> float:
    """The share of ``images`` (uint8 or [0, 1] float NCHW) that ``classifier`` reads with confidence: its top
    class probability at least ``threshold``. It stands for "a legible digit" in the paper's Fig. 2 (section
    3.1); the classifier's share on real test images is the known answer a decode is compared with."""
    return float((outputs(classifier, images, BATCH).softmax(1).amax(1) >= threshold).float().mean())
