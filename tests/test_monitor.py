import dataclasses

import numpy as np
import pytest
import torch

import auxlib
from auxlib import data, monitor, store, train
from auxlib.model.config import AuxGMVAEConfig


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
    assert store.load_run(run.path).scores == run.scores


def test_scoring_does_not_change_what_is_learned(tiny_images, tmp_path):
    watched = train.train(gmvae_config(), tiny_images, root=tmp_path / "a", progress=False)
    unwatched = train.train(gmvae_config(score_every=0), tiny_images, root=tmp_path / "b", progress=False)
    assert watched.config.key() == unwatched.config.key() and unwatched.scores == []
    assert all(torch.equal(a, b) for a, b in zip(watched.model.state_dict().values(),
                                                 unwatched.model.state_dict().values()))


def test_models_without_clusters_have_no_monitor(tiny_images):
    model = auxlib.models.build(auxlib.experiment("method", "quick").model)
    assert monitor.for_model(model, tiny_images, 10, torch.device("cpu")) is None
    classifier = auxlib.models.build(auxlib.experiment("classifier", "quick").model)
    assert monitor.for_model(classifier, tiny_images, 10, torch.device("cpu")) is None


def test_a_model_class_without_a_monitor_is_refused_and_a_subclass_inherits_its_parents(tiny_images):
    with pytest.raises(ValueError, match="model must be of a class with a monitor .* got Linear: register one"):
        monitor.for_model(torch.nn.Linear(2, 2), tiny_images, 10, torch.device("cpu"))

    class Variant(auxlib.models.AuxGMVAE):
        pass

    model = Variant(gmvae_config().model)
    score = monitor.for_model(model, tiny_images, 10, torch.device("cpu"))
    assert set(score(model)) >= {"acc", "nmi", "clusters_used"}
    with pytest.raises(ValueError, match="has a monitor already"):
        monitor.register(auxlib.models.AuxVAE)(lambda *args: None)


def judged_config(judge, **changes):
    params = dict(steps=8, batch_size=16, log_every=4, checkpoint_every=4, z_g=4, z_l=4, widths=(8, 16),
                  score_every=4, score_images=32)
    config = auxlib.experiment("method", "quick", **{**params, **changes})
    return dataclasses.replace(config, judge=judge)


@pytest.fixture
def judge(tiny_images, tmp_path):
    """A classifier trained on the tiny images, in the run cache that the judged runs use."""
    config = auxlib.experiment("classifier", "quick", model=auxlib.config.ClassifierConfig, steps=4, widths=(8,))
    train.train(config, tiny_images, root=tmp_path / "runs", progress=False)
    return config


def test_training_records_decode_scores_read_by_the_judge(tiny_images, judge, tmp_path):
    run = train.train(judged_config(judge), tiny_images, root=tmp_path / "runs", progress=False)
    assert [(row["step"], row["images"]) for row in run.scores] == [(4, 64), (8, 128)]
    assert set(run.scores[0]) == {"step", "images", *auxlib.latents.RESAMPLED}
    assert all(0 <= row[d] <= 1 for row in run.scores for d in auxlib.latents.RESAMPLED)
    assert store.load_run(run.path).config.judge == judge


def test_decode_scoring_does_not_change_what_is_learned(tiny_images, judge, tmp_path):
    watched = train.train(judged_config(judge), tiny_images, root=tmp_path / "runs", progress=False)
    unwatched = train.train(judged_config(None, score_every=0), tiny_images, root=tmp_path / "b", progress=False)
    assert watched.config.key() == unwatched.config.key() and unwatched.scores == []
    assert all(torch.equal(a, b) for a, b in zip(watched.model.state_dict().values(),
                                                 unwatched.model.state_dict().values()))


class Constant(torch.nn.Module):
    """A judge that names the same label for every image."""

    def __init__(self, label: int):
        super().__init__()
        self.label = label
        self.weight = torch.nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return torch.nn.functional.one_hot(torch.full((len(x),), self.label), 10).float()


def test_decode_scores_are_the_judges_accuracy_on_every_decode(tiny_images):
    model = auxlib.models.build(auxlib.experiment("method", "quick", z_g=4, z_l=4, widths=(8, 16)).model)
    x = data.to_tensor(tiny_images.images)
    share = float((tiny_images.labels == 3).mean())
    model.train()
    scores = monitor.decode_scores(model, Constant(3), x, tiny_images.labels)
    assert scores == {d: pytest.approx(share) for d in auxlib.latents.RESAMPLED}
    assert model.training  # the mode is restored for the next training step


def test_a_record_says_what_share_of_its_time_the_scores_took(tiny_images, tmp_path):
    watched = train.train(gmvae_config(), tiny_images, root=tmp_path / "a", progress=False)
    record = store.read_record(watched.path / store.RECORD)
    assert record.score_seconds is not None and 0 < record.score_seconds < record.seconds
    assert record.score_share == record.score_seconds / record.seconds
    unwatched = train.train(gmvae_config(score_every=0), tiny_images, root=tmp_path / "b", progress=False)
    assert store.read_record(unwatched.path / store.RECORD).score_seconds == 0.0


class Recorder(torch.nn.Module):
    """A judge that names label 0 and tells ``note``, at each call, whether autocast was on and whether its weight
    is in channels-last order (a function: a deep copy of the judge still calls the test's)."""

    def __init__(self, note):
        super().__init__()
        self.note = note
        self.weight = torch.nn.Parameter(torch.zeros(2, 3, 2, 2))

    def forward(self, x):
        self.note((torch.is_autocast_enabled("cpu"), self.weight.is_contiguous(memory_format=torch.channels_last)))
        return torch.nn.functional.one_hot(torch.zeros(len(x), dtype=torch.long), 10).float()


@pytest.mark.parametrize("bf16", [False, True])
def test_scores_are_taken_in_the_runs_precision_by_a_channels_last_copy_of_the_judge(tiny_images, bf16):
    model = auxlib.models.build(auxlib.experiment("method", "quick", z_g=4, z_l=4, widths=(8, 16)).model)
    seen = []
    judge = Recorder(lambda call: seen.append(call))
    score = monitor.for_model(model, tiny_images, 10, torch.device("cpu"), judge, bf16=bf16)
    score(model)
    assert seen and set(seen) == {(bf16, True)}
    assert judge.weight.is_contiguous() and not torch.is_autocast_enabled("cpu")  # the caller's judge is unchanged


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_a_run_scores_in_the_precision_it_trains_in(tiny_images, judge, tmp_path, monkeypatch, precision):
    autocast = []

    def decode_scores(model, judge, images, labels):
        autocast.append(torch.is_autocast_enabled("cpu"))
        return {name: 0.0 for name in auxlib.latents.RESAMPLED}

    monkeypatch.setattr(monitor, "decode_scores", decode_scores)
    train.train(judged_config(judge, precision=precision), tiny_images, root=tmp_path / "runs", progress=False)
    assert autocast == [precision == "bf16"] * 2
