import pytest

import auxlib
from auxlib.config import AuxVAEConfig, RunConfig, TrainConfig


@pytest.mark.parametrize("params, message", [
    (dict(dataset="mnist"), "dataset must be one of"),
    (dict(patch_size=3), "patch_size must be a size that divides the 32x32 image"),
    (dict(patch_size=0), "patch_size"),
    (dict(beta=-0.5), "beta must be a number >= 0"),
    (dict(steps=0), "steps must be a positive integer"),
    (dict(steps="100"), "steps must be a positive integer, got '100'"),
    (dict(steps=2.5), "steps must be a positive integer"),
    (dict(likelihood="poisson"), "likelihood must be one of bernoulli, gaussian, logistic"),
    (dict(profile="huge"), "profile must be one of quick, standard, paper"),
    (dict(unknown_knob=1), "parameters must be among"),
    (dict(z_g=0), "z_g must be a positive integer"),
    (dict(widths=[32] * 6), "widths must be at most 5 layers"),
])
def test_bad_parameters_raise_one_clear_value_error(params, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        auxlib.experiment("method", **{"profile": "quick", **params})


def test_profile_values_are_overridden_only_by_given_parameters():
    quick = auxlib.experiment("method", "quick")
    assert quick.train.steps == auxlib.config.PROFILES["method"]["quick"]["steps"]
    assert auxlib.experiment("method", "quick", steps=None).train.steps == quick.train.steps
    assert auxlib.experiment("method", "quick", steps=7).train.steps == 7
    assert auxlib.experiment("method", "paper").model.z_g == 128


def test_key_changes_with_what_is_learned_but_not_with_device():
    base = auxlib.experiment("method", "quick")
    assert base.key() == auxlib.experiment("method", "quick").key()
    assert base.key() == auxlib.experiment("method", "quick", device="cpu", checkpoint_every=3).key()
    assert base.key() != auxlib.experiment("method", "quick", beta=2.0).key()
    assert base.key() != auxlib.experiment("method", "quick", seed=1).key()
    assert base.key() != auxlib.experiment("method", "quick", dataset="synth-svhn").key()


def test_round_trip_through_dict():
    cfg = RunConfig("svhn", AuxVAEConfig(z_g=8, widths=[16, 32]), TrainConfig(steps=3), n_train=10)
    again = RunConfig.from_dict(cfg.to_dict())
    assert again == cfg and again.key() == cfg.key()


def test_settings_follow_profile_and_validate():
    assert auxlib.config.settings("data", "quick")["kmeans_images"] == 1000
    assert auxlib.config.settings("data", "quick", kmeans_images=None)["kmeans_images"] == 1000
    assert auxlib.config.settings("data", "standard", kmeans_images=77)["kmeans_images"] == 77
    with pytest.raises(ValueError, match="kmeans_images must be a positive integer, got -3"):
        auxlib.config.settings("data", "quick", kmeans_images=-3)
    with pytest.raises(ValueError, match="parameters must be among kmeans_images"):
        auxlib.config.settings("data", "quick", kmeans=5)


def test_classifier_config_in_a_run():
    from auxlib.config import ClassifierConfig

    cfg = auxlib.experiment("data", "quick", dataset="synth-svhn", model=ClassifierConfig, dropout=0.1)
    assert isinstance(cfg.model, ClassifierConfig) and cfg.model.dropout == 0.1
    assert RunConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(ValueError, match="n_classes must be an integer >= 2"):
        ClassifierConfig(n_classes=1)
