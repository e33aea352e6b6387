import numpy as np
import pytest
import torch

import auxlib
from auxlib import data, monitor, train
from auxlib.config import AuxGMVAEConfig


def test_cluster_scores_of_a_perfect_and_of_a_constant_clustering():
    labels = np.repeat(np.arange(10), 20)
    polarity = np.tile([0, 1], 100)
    perfect = monitor.cluster_scores(labels, labels + 7, polarity)
    assert perfect["acc"] == 1.0 and perfect["nmi"] == pytest.approx(1.0) and perfect["clusters_used"] == 10
    assert perfect["nmi_polarity"] == pytest.approx(0.0, abs=1e-9)
    constant = monitor.cluster_scores(labels, np.zeros(200, dtype=int))
    assert constant["acc"] == pytest.approx(0.1) and constant["nmi"] == 0 and constant["clusters_used"] == 1
    assert "nmi_polarity" not in constant


def gmvae_config(**changes):
    params = dict(model=AuxGMVAEConfig, steps=8, batch_size=16, log_every=4, checkpoint_every=4, z_g=4, z_l=4,
                  widths=(8, 16), k=4, score_every=4, score_images=32)
    return auxlib.experiment("method", "quick", **{**params, **changes})


def with_polarity(images: data.ImageSet) -> data.ImageSet:
    return data.ImageSet(images.images, images.labels, {"polarity": (np.arange(len(images)) % 2).astype(np.int64)})


def test_training_records_cluster_scores_against_images_seen(tiny_images, tmp_path):
    run = train.train(gmvae_config(), with_polarity(tiny_images), root=tmp_path, progress=False)
    assert [(row["step"], row["images"]) for row in run.scores] == [(4, 64), (8, 128)]
    assert set(run.scores[0]) == {"step", "images", "acc", "nmi", "nmi_polarity", "clusters_used"}
    assert train.load_run(run.path).scores == run.scores


def test_scoring_does_not_change_what_is_learned(tiny_images, tmp_path):
    watched = train.train(gmvae_config(), tiny_images, root=tmp_path / "a", progress=False)
    unwatched = train.train(gmvae_config(score_every=0), tiny_images, root=tmp_path / "b", progress=False)
    assert watched.config.key() == unwatched.config.key() and unwatched.scores == []
    assert all(torch.equal(a, b) for a, b in zip(watched.model.state_dict().values(),
                                                 unwatched.model.state_dict().values()))


def test_models_without_clusters_have_no_monitor(tiny_images):
    model = auxlib.models.build(auxlib.experiment("method", "quick").model)
    assert monitor.for_model(model, tiny_images, 10, torch.device("cpu")) is None
