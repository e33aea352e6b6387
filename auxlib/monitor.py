"""Scores of a model taken during training, on a fixed sample of its own training images: its learning curves.

The trainer calls a :class:`Monitor` every ``score_every`` steps (:class:`auxlib.config.TrainConfig`) and stores
each row, with the step and the images seen, in the run's ``scores``. The labels and true factors of those images
are used for scoring only, never for training; choices between settings are made on these train-split curves,
never on the test split.

For the AuxGMVAE the row holds the scores of its clusters, argmax q(y | x) (the paper's section 3.2): many-to-one
``acc``, ``nmi`` with the label, ``nmi_polarity`` with the polarity factor where the data set records it (a
clustering that follows polarity instead of the digit shows there), and ``clusters_used``, the clusters that hold
at least 1% of the images (a collapse shows there).

For the AuxVAE (and the same network without the auxiliary task) the row holds the paper's Fig. 3 test
(section 3.1) read by a classifier, the run's ``judge``: the share of the images it labels correctly in their
``reconstruction`` (posterior means of both parts) and in their decodes with ``z_l resampled`` or ``z_g
resampled`` from the prior (:func:`auxlib.latents.resampling_accuracies`, one repeat with fixed draws).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from . import latents, metrics
from .data import ImageSet, to_tensor
from .models import AuxGMVAE, AuxVAE, predict

#: A cluster counts as in use when it holds at least this share of the images.
MIN_CLUSTER_SHARE = 0.01

Monitor = Callable[[nn.Module], dict[str, float]]


def cluster_scores(labels: np.ndarray, clusters: np.ndarray, polarity: np.ndarray | None = None
                   ) -> dict[str, float]:
    """Many-to-one ``acc``, ``nmi`` (with the labels), ``nmi_polarity`` (when ``polarity`` is given) and
    ``clusters_used`` (:func:`auxlib.metrics.clusters_in_use`) of a clustering."""
    scores = {"acc": metrics.many_to_one_accuracy(labels, clusters), "nmi": metrics.nmi(labels, clusters),
              "clusters_used": float(metrics.clusters_in_use(clusters, MIN_CLUSTER_SHARE))}
    if polarity is not None:
        scores["nmi_polarity"] = metrics.nmi(polarity, clusters)
    return scores


def decode_scores(model: AuxVAE, judge: nn.Module, images: torch.Tensor, labels: np.ndarray
                  ) -> dict[str, float]:
    """The share of ``images`` (uint8 NCHW) whose decodes ``judge`` labels as ``labels``, for each decode of
    :data:`auxlib.latents.RESAMPLED`, with fixed shuffles and prior draws (seed 0), in eval mode; the global
    random state is left untouched, so scoring does not change what a run learns."""
    was_training = model.training
    model.eval()
    scores = latents.resampling_accuracies(model, judge, images, labels, repeats=1, seed=0)
    model.train(was_training)
    return {name: float(values[0]) for name, values in scores.items()}


def for_model(model: nn.Module, data: ImageSet, images: int, device: torch.device,
              judge: nn.Module | None = None) -> Monitor | None:
    """The monitor of ``model`` on ``images`` images of ``data`` (drawn with a fixed seed, so every run of a data
    set is scored on the same ones): cluster scores for an AuxGMVAE, decode scores read by the classifier
    ``judge`` for an AuxVAE given one, None otherwise."""
    if not isinstance(model, AuxGMVAE) and not (isinstance(model, AuxVAE) and judge is not None):
        return None

    sample = data.subset(images, seed=0)
    x = to_tensor(sample.images, device)
    if not isinstance(model, AuxGMVAE):
        return lambda trained: decode_scores(trained, judge, x, sample.labels)
    polarity = None if sample.factors is None else sample.factors.get("polarity")

    def score(trained: nn.Module) -> dict[str, float]:
        clusters = predict(trained, x, logits=trained.cluster_logits).numpy()
        return cluster_scores(sample.labels, clusters, polarity)

    return score
