import dataclasses

import numpy as np
import pytest
import torch

import auxlib
from auxlib.model.config import AuxVAEConfig, RunConfig, TrainConfig


@pytest.mark.parametrize("params, message", [
    (dict(dataset="mnist"), "dataset must be one of"),
    (dict(patch_size=3), "patch_size must be a size that divides the 32x32 image"),
    (dict(patch_size=0), "patch_size"),
    (dict(beta=-0.5), "beta must be a number >= 0"),
    (dict(steps=0), "steps must be a positive integer"),
    (dict(steps="100 steps"), "steps must be a positive integer, got '100 steps'"),
    (dict(steps="2.5e0"), "steps must be a positive integer, got 2.5"),
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
    (dict(beta_g=-1), "beta_g must be a number >= 0 or None (beta's value)"),
    (dict(beta_l="x"), "beta_l must be a number >= 0 or None"),
    (dict(init="he"), "init must be one of torch, glorot"),
    (dict(decoder="attention"), "decoder must be one of concat, film"),
    (dict(global_input="edges"), "global_input must be one of image, luma, luma-aligned"),
])
def test_bad_parameters_raise_one_clear_value_error(params, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        auxlib.experiment("method", **{"profile": "quick", **params})


def test_key_changes_with_what_is_learned_but_not_with_device():
    base = auxlib.experiment("method", "quick")
    assert base.key() == auxlib.experiment("method", "quick").key()
    assert base.key() == auxlib.experiment("method", "quick", device="cpu", checkpoint_every=3, precision="bf16",
                                           compile=True).key()
    assert base.key() != auxlib.experiment("method", "quick", arch="split").key()
    assert base.key() != auxlib.experiment("method", "quick", beta=2.0).key()
    assert base.key() != auxlib.experiment("method", "quick", seed=1).key()
    assert base.key() != auxlib.experiment("method", "quick", dataset="synth-svhn").key()
    changed = [dict(beta_g=4.0), dict(beta_l=4.0), dict(init="glorot"), dict(decoder="film"),
               dict(global_input="luma")]
    keys = {auxlib.experiment("method", "quick", **change).key() for change in changed}
    assert base.key() not in keys and len(keys) == len(changed)


def test_runs_cached_before_later_fields_existed_keep_their_key():
    # Keys of runs the committed book used, recorded in its results files before arch, extra, the AuxGMVAE's
    # posterior options, warm-up, mixtures, lr decay, where and the score settings existed.
    assert auxlib.experiment("method", "standard").key() == "9b3bb42868e2304d"
    assert auxlib.experiment("exp1", "standard", dataset="synth-svhn", z_g=32, z_l=32).key() == "448c7c140de42e5a"
    assert auxlib.ablation.runs("standard", "synth-svhn", seed=1)["baseline"].key() == "19a1139e849fa113"


def test_round_trip_through_dict():
    cfg = RunConfig("svhn", AuxVAEConfig(z_g=8, widths=[16, 32]), TrainConfig(steps=3), n_train=10)
    again = RunConfig.from_dict(cfg.to_dict())
    assert again == cfg and again.key() == cfg.key()


def test_beta_given_as_an_integer_names_the_same_cached_run():
    assert auxlib.experiment("exp1", "standard", beta=1).key() == auxlib.experiment("exp1", "standard", beta=1.0).key()
    assert auxlib.experiment("exp1", "standard", beta=2).key() != auxlib.experiment("exp1", "standard").key()


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

