import dataclasses
import json

import numpy as np
import pytest
import torch

import auxlib
from auxlib import config
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
    (dict(arch="resnet"), "arch must be one of compact, split"),
    (dict(arch="split", widths=[32, 64]), "widths must be 3 layers for arch 'split'"),
    (dict(precision="fp16"), "precision must be one of auto, fp32, bf16"),
    (dict(compile="yes"), "compile must be True or False"),
    (dict(extra=True), "extra must be False for cifar10, which has no extra split"),
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
    assert base.key() == auxlib.experiment("method", "quick", device="cpu", checkpoint_every=3, precision="bf16",
                                           compile=True).key()
    assert base.key() != auxlib.experiment("method", "quick", arch="split").key()
    assert base.key() != auxlib.experiment("method", "quick", beta=2.0).key()
    assert base.key() != auxlib.experiment("method", "quick", seed=1).key()
    assert base.key() != auxlib.experiment("method", "quick", dataset="synth-svhn").key()


def test_runs_cached_before_later_fields_existed_keep_their_key():
    # Keys of runs the committed book used, recorded in its results files before arch, extra, the AuxGMVAE's
    # posterior options, warm-up, mixtures, lr decay, where and the score settings existed.
    assert auxlib.experiment("method", "standard").key() == "9b3bb42868e2304d"
    assert auxlib.experiment("exp1", "standard", dataset="synth-svhn").key() == "448c7c140de42e5a"
    assert auxlib.ablation.runs("standard", "synth-svhn", seed=1)["baseline"].key() == "19a1139e849fa113"


def test_paper_profile_is_the_split_network_on_train_and_extra():
    for chapter in ("method", "exp1", "exp2", "placement"):
        assert auxlib.experiment(chapter, "paper").model.arch == "split"
        assert auxlib.experiment(chapter, "paper", dataset="svhn").extra
        assert not auxlib.experiment(chapter, "paper", dataset="cifar10").extra  # it has no extra split
    assert not auxlib.experiment("exp1", "paper", dataset="svhn", extra=False).extra
    cfg = auxlib.experiment("exp1", "paper", dataset="svhn")
    assert RunConfig.from_dict(cfg.to_dict()) == cfg


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

    cfg = auxlib.experiment("classifier", "quick", dataset="synth-svhn", model=ClassifierConfig, dropout=0.1)
    assert isinstance(cfg.model, ClassifierConfig) and cfg.model.dropout == 0.1
    assert RunConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(ValueError, match="n_classes must be an integer >= 2"):
        ClassifierConfig(n_classes=1)


def test_list_and_number_settings_are_validated():
    values = auxlib.config.settings("exp1_2", "quick", betas=(2, 0.5), baseline_beta=3)
    assert values["betas"] == [2, 0.5] and values["baseline_beta"] == 3
    with pytest.raises(ValueError, match="betas must be a non-empty list of numbers >= 0, got \\[\\]"):
        auxlib.config.settings("exp1_2", "quick", betas=[])
    with pytest.raises(ValueError, match="betas must be a non-empty list of numbers >= 0"):
        auxlib.config.settings("exp1_2", "quick", betas=[1, "a"])
    with pytest.raises(ValueError, match="baseline_beta must be a number >= 0, got -1"):
        auxlib.config.settings("exp1_2", "quick", baseline_beta=-1)


def test_experiment_one_chapters_share_their_models():
    """exp1_2 must find exp1_1's model in the run cache: both build it from the one "exp1" profile."""
    for profile in auxlib.config.PROFILE_NAMES:
        cfg = auxlib.experiment("exp1", profile, dataset="synth-svhn", beta=1.0)
        assert cfg.model.patch_size == 1 and cfg.model.aux  # the paper's pixel shuffle


def test_seed_lists_take_integers_and_may_be_empty_only_where_that_skips():
    assert auxlib.config.settings("exp2_1", "quick", k10_seeds=[])["k10_seeds"] == []
    with pytest.raises(ValueError, match="seeds must be a non-empty list of integers >= 0"):
        auxlib.config.settings("exp2_1", "quick", seeds=[])
    with pytest.raises(ValueError, match="seeds must be a non-empty list of integers >= 0"):
        auxlib.config.settings("exp2_1", "quick", seeds=[0.5])


def test_beta_given_as_an_integer_names_the_same_cached_run():
    assert auxlib.experiment("exp1", "standard", beta=1).key() == auxlib.experiment("exp1", "standard", beta=1.0).key()
    assert auxlib.experiment("exp1", "standard", beta=2).key() != auxlib.experiment("exp1", "standard").key()


def test_chapter_model_is_the_default_config_class():
    assert type(auxlib.experiment("exp2", "quick").model).__name__ == "AuxGMVAEConfig"
    assert type(auxlib.experiment("classifier", "quick").model).__name__ == "ClassifierConfig"
    assert type(auxlib.experiment("exp1", "quick").model) is AuxVAEConfig


def test_config_command_prints_what_experiment_builds(capsys):
    from auxlib.__main__ import main

    main(["config", "exp1", "--profile", "quick", "--dataset", "synth-svhn", "--set", "beta=4", "aux=false"])
    printed = RunConfig.from_dict(json.loads(capsys.readouterr().out))
    assert printed == auxlib.experiment("exp1", "quick", dataset="synth-svhn", beta=4.0, aux=False)
    with pytest.raises(SystemExit, match="NAME=VALUE"):
        main(["config", "exp1", "--set", "beta"])


def test_experiment_one_runs_are_judged_by_the_chapters_classifier_out_of_their_key():
    for profile in auxlib.config.PROFILE_NAMES:
        cfg = auxlib.experiment("exp1", profile, dataset="synth-svhn")
        assert cfg.judge == auxlib.experiment("classifier", profile, dataset="synth-svhn")
        assert RunConfig.from_dict(cfg.to_dict()) == cfg
        unwatched = auxlib.experiment("exp1", profile, dataset="synth-svhn", score_every=0)
        assert unwatched.judge is None and unwatched.key() == cfg.key()
    assert auxlib.experiment("exp2", "standard", dataset="synth-svhn").judge is None  # scored by its clusters


def test_a_judge_must_be_a_classifier_of_the_same_data_set():
    cfg = auxlib.experiment("exp1", "quick", dataset="synth-svhn")
    with pytest.raises(ValueError, match="judge must be None or the RunConfig of a classifier of synth-svhn"):
        dataclasses.replace(cfg, judge=auxlib.experiment("classifier", "quick", dataset="cifar10"))
    with pytest.raises(ValueError, match="judge must be None or the RunConfig of a classifier"):
        dataclasses.replace(cfg, judge=cfg)


def plain(value) -> bool:
    """True when ``value`` is built of Python's own dict, list, tuple, str, int, float, bool and None only."""
    if isinstance(value, dict):
        return all(type(k) is str and plain(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return all(plain(v) for v in value)
    return value is None or type(value) in (str, int, float, bool)


def test_equal_values_of_any_type_name_the_same_run():
    paper = auxlib.experiment("exp2", "paper", dataset="synth-svhn")
    assert auxlib.experiment("exp2", "paper", dataset="synth-svhn", alpha=40).key() == paper.key()
    reference = auxlib.experiment("exp2", "standard", dataset="synth-svhn", tau_start=2.0, lr=1e-3, y_dropout=0.25)
    variants = [
        dict(tau_start=2, lr=np.float64(1e-3), y_dropout=np.float64(0.25), alpha=np.int64(8), beta=8),
        dict(tau=np.float64(0.4), tau_start=np.int8(2), y_hidden=np.array([256, 128]), widths=[32, 64, 128],
             steps=np.int64(5000), batch_size=64.0, k=np.int32(30), lr_decay=1, y_dropout=0.25, lr=1e-3),
    ]
    for changes in variants:
        config = auxlib.experiment("exp2", "standard", dataset="synth-svhn", **{"tau_start": 2.0, **changes})
        assert config == reference and config.key() == reference.key()
        assert plain(config.to_dict())
    assert auxlib.experiment("classifier", "quick", dropout=np.float32(0.5)).model.dropout == 0.5
    assert type(auxlib.experiment("classifier", "quick", dropout=0).model.dropout) is float


def test_a_config_given_numpy_values_is_read_back_by_a_weights_only_load(tmp_path):
    config = auxlib.experiment("exp2", "quick", dataset="synth-svhn", alpha=np.float32(2.0), k=np.int64(10),
                               widths=np.array([32, 64]), where=(np.str_("polarity"), np.int64(0)))
    torch.save({"config": config.to_dict()}, tmp_path / "checkpoint.pt")
    again = torch.load(tmp_path / "checkpoint.pt", weights_only=True)["config"]
    assert RunConfig.from_dict(again) == config


def test_a_whole_number_for_an_integer_field_is_read_as_that_integer_and_a_fraction_is_refused():
    assert auxlib.experiment("method", "quick", steps=30.0).train.steps == 30
    with pytest.raises(ValueError, match="steps must be a positive integer, got 30.5"):
        auxlib.experiment("method", "quick", steps=30.5)


def test_the_cifar10_classifier_is_augmented_and_the_digit_classifier_keeps_its_run():
    digits = auxlib.experiment("classifier", "standard", dataset="synth-svhn")
    assert digits.key() == "b21509116c5b23de" and not digits.model.flip and digits.model.shift == 0
    objects = auxlib.experiment("classifier", "standard", dataset="cifar10")
    assert objects.model.flip and objects.model.shift == 4 and objects.train.steps > digits.train.steps
    assert auxlib.experiment("classifier", "standard", dataset="cifar10", flip=False).model.flip is False
