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

Scores are taken in the run's precision (bf16 autocast when its steps compute in bf16) and with the judge in
channels-last memory order, as the model trains: in fp32 and the judge's own order, they took about a fifth of
an Experiment 1 run's time on a 2-core CPU, the judge's convolutions most of it (``benchmarks/throughput.py``).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn

from ..analysis import latents, metrics
from ..data import ImageSet, to_tensor
from ..model.models import AuxGMVAE, AuxVAE, Classifier, predict

#: A cluster counts as in use when it holds at least this share of the images.
MIN_CLUSTER_SHARE = 0.01

Monitor = Callable[[Any], dict[str, float]]  # called with the model being trained


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


#: Builds a model's monitor: (model, the sample's images as a tensor on the model's device, the sample, the run's
#: judge or None) -> the :data:`Monitor`, or None for no scores.
MonitorFactory = Callable[[nn.Module, torch.Tensor, ImageSet, nn.Module | None], Monitor | None]
#: How each model class is scored during training, looked up along the model's class hierarchy (:func:`register`).
MONITORS: dict[type, MonitorFactory] = {}


def register(model_class: type) -> Callable[[MonitorFactory], MonitorFactory]:
    """Decorator: ``factory`` builds the monitor of ``model_class`` and of its subclasses that have none of their
    own. Raises ValueError when the class has one already."""
    def add(factory: MonitorFactory) -> MonitorFactory:
        if model_class in MONITORS:
            raise ValueError(f"model_class must be new, got {model_class.__name__}, which has a monitor already.")
        MONITORS[model_class] = factory
        return factory
    return add


def for_model(model: nn.Module, data: ImageSet, images: int, device: torch.device,
              judge: nn.Module | None = None, bf16: bool = False) -> Monitor | None:
    """The monitor of ``model`` (:data:`MONITORS`) on ``images`` images of ``data`` (drawn with a fixed seed, so
    every run of a data set is scored on the same ones), computing under bf16 autocast when ``bf16``, or None when
    its class takes no scores. ``judge`` is read through a channels-last copy; the caller's keeps its memory order.
    Raises ValueError for a model of a class with no monitor registered."""
    factory = next((MONITORS[c] for c in type(model).__mro__ if c in MONITORS), None)
    if factory is None:
        raise ValueError(f"model must be of a class with a monitor ({', '.join(c.__name__ for c in MONITORS)}), got "
                         f"{type(model).__name__}: register one with auxlib.monitor.register.")
    sample = data.subset(images, seed=0)
    if judge is not None:
        judge = copy.deepcopy(judge).to(device, memory_format=torch.channels_last)  # type: ignore[call-overload]
    score = factory(model, to_tensor(sample.images, device), sample, judge)
    if score is None or not bf16:
        return score

    def in_bf16(trained: Any) -> dict[str, float]:
        with torch.autocast(device.type, dtype=torch.bfloat16):
            return score(trained)

    return in_bf16


@register(AuxVAE)
def _decodes(model: nn.Module, x: torch.Tensor, sample: ImageSet, judge: nn.Module | None) -> Monitor | None:
    if judge is None:
        return None
    return lambda trained: decode_scores(trained, judge, x, sample.labels)


@register(AuxGMVAE)
def _clusters(model: nn.Module, x: torch.Tensor, sample: ImageSet, judge: nn.Module | None) -> Monitor:
    polarity = None if sample.factors is None else sample.factors.get("polarity")

    def score(trained: AuxGMVAE) -> dict[str, float]:
        clusters = predict(trained, x, logits=trained.cluster_logits).numpy()
        return cluster_scores(sample.labels, clusters, polarity)

    return score


@register(Classifier)
def _no_scores(model: nn.Module, x: torch.Tensor, sample: ImageSet, judge: nn.Module | None) -> None:
    return None
