"""The profiles: what each chapter runs at each budget, the chapters' other settings, and the named experiments
that several chapters share under one run key."""

import json

import pytest

import auxlib
from auxlib import profiles
from auxlib.book.profiles import PROFILE_NAMES
from auxlib.model.config import AuxVAEConfig, RunConfig
from tests.test_parameters import check


def test_profile_values_are_overridden_only_by_given_parameters():
    quick = auxlib.experiment("method", "quick")
    assert quick.train.steps == auxlib.profiles.PROFILES["method"]["quick"]["steps"]
    assert auxlib.experiment("method", "quick", steps=None).train.steps == quick.train.steps
    assert auxlib.experiment("method", "quick", steps=7).train.steps == 7
    assert auxlib.experiment("method", "paper").model.z_g == 128


def test_paper_profile_is_the_split_network_on_train_and_extra():
    for chapter in ("method", "exp1", "exp2", "placement"):
        assert auxlib.experiment(chapter, "paper").model.arch == "split"
        assert auxlib.experiment(chapter, "paper", dataset="svhn").extra
        assert not auxlib.experiment(chapter, "paper", dataset="cifar10").extra  # it has no extra split
    assert not auxlib.experiment("exp1", "paper", dataset="svhn", extra=False).extra
    cfg = auxlib.experiment("exp1", "paper", dataset="svhn")
    assert RunConfig.from_dict(cfg.to_dict()) == cfg


def test_settings_follow_profile_and_validate():
    assert auxlib.settings("data", "quick")["kmeans_images"] == 1000
    assert auxlib.settings("data", "quick", kmeans_images=None)["kmeans_images"] == 1000
    assert auxlib.settings("data", "standard", kmeans_images=77)["kmeans_images"] == 77
    with pytest.raises(ValueError, match="kmeans_images must be a positive integer, got -3"):
        auxlib.settings("data", "quick", kmeans_images=-3)
    with pytest.raises(ValueError, match="parameters must be among kmeans_images"):
        auxlib.settings("data", "quick", kmeans=5)


def test_list_and_number_settings_are_validated():
    values = auxlib.settings("exp1_2", "quick", betas=(2, 0.5), baseline_beta=3)
    assert values["betas"] == [2, 0.5] and values["baseline_beta"] == 3
    with pytest.raises(ValueError, match="betas must be a non-empty list of numbers >= 0, got \\[\\]"):
        auxlib.settings("exp1_2", "quick", betas=[])
    with pytest.raises(ValueError, match="betas must be a non-empty list of numbers >= 0"):
        auxlib.settings("exp1_2", "quick", betas=[1, "a"])
    with pytest.raises(ValueError, match="baseline_beta must be a number >= 0, got -1"):
        auxlib.settings("exp1_2", "quick", baseline_beta=-1)


def test_seed_lists_take_integers_and_may_be_empty_only_where_that_skips():
    assert auxlib.settings("exp2_1", "quick", k10_seeds=[])["k10_seeds"] == []
    with pytest.raises(ValueError, match="seeds must be a non-empty list of integers >= 0"):
        auxlib.settings("exp2_1", "quick", seeds=[])
    with pytest.raises(ValueError, match="seeds must be a non-empty list of integers >= 0"):
        auxlib.settings("exp2_1", "quick", seeds=[0.5])


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
    for profile in PROFILE_NAMES:
        cfg = auxlib.experiment("exp1", profile, dataset="synth-svhn")
        assert cfg.judge == auxlib.experiment("classifier", profile, dataset="synth-svhn")
        assert RunConfig.from_dict(cfg.to_dict()) == cfg
        unwatched = auxlib.experiment("exp1", profile, dataset="synth-svhn", score_every=0)
        assert unwatched.judge is None and unwatched.key() == cfg.key()
    assert auxlib.experiment("exp2", "standard", dataset="synth-svhn").judge is None  # scored by its clusters


def test_the_cifar10_classifier_is_augmented_and_the_digit_classifier_keeps_its_run():
    digits = auxlib.experiment("classifier", "standard", dataset="synth-svhn")
    assert digits.key() == "b21509116c5b23de" and not digits.model.flip and digits.model.shift == 0
    objects = auxlib.experiment("classifier", "standard", dataset="cifar10")
    assert objects.model.flip and objects.model.shift == 4 and objects.train.steps > digits.train.steps
    assert auxlib.experiment("classifier", "standard", dataset="cifar10", flip=False).model.flip is False


def test_classifier_config_in_a_run():
    from auxlib.model.config import ClassifierConfig

    cfg = auxlib.experiment("classifier", "quick", dataset="synth-svhn", model=ClassifierConfig, dropout=0.1)
    assert isinstance(cfg.model, ClassifierConfig) and cfg.model.dropout == 0.1
    assert RunConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(ValueError, match="n_classes must be an integer >= 2"):
        ClassifierConfig(n_classes=1)


def run_keys(namespace: dict[str, object]) -> set[str]:
    """The keys of every run config a chapter's first cell leaves in its namespace (in dicts and lists too)."""
    keys, stack = set(), list(namespace.values())
    while stack:
        value = stack.pop()
        if isinstance(value, RunConfig):
            keys.add(value.key())
        elif isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, (list, tuple)):
            stack.extend(value)
    return keys


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_chapters_that_share_a_run_build_it_under_one_key(profile):
    """A chapter executed with its default parameters must build each named experiment it shares exactly as the
    named function does, so every chapter finds the one run in the cache."""
    for name, chapters in profiles.SHARED.items():
        expected = getattr(profiles, name)(profile, "synth-svhn").key()
        for chapter in chapters:
            assert expected in run_keys(check(f"book/{chapter}.ipynb", profile=profile)), (name, chapter, profile)


def test_named_experiments_are_the_chapter_profiles_with_their_one_change():
    assert profiles.auxvae("standard", "synth-svhn").key() == "75d87f4d8a41e000"
    plain = profiles.plain_vae("standard", "synth-svhn", seed=2)
    assert not plain.model.aux and plain.model.beta == 1.0 and plain.train.seed == 2
    assert profiles.beta_vae("standard", "synth-svhn").model.beta == auxlib.settings("exp1_2")["baseline_beta"]
    assert profiles.beta_vae("quick", "synth-svhn", beta=2.0).model.beta == 2.0
    assert profiles.plain_vae("quick", "synth-svhn", aux=True).model.aux is False  # the one change wins
    assert profiles.classifier("standard", "synth-svhn").key() == "b21509116c5b23de"
    exp2 = auxlib.experiment("exp2", "standard", "synth-svhn")
    assert profiles.auxgmvae("standard", "synth-svhn").key() == exp2.key()


def test_name_of_finds_a_config_among_named_settings_by_its_run_key():
    settings = {"a": profiles.auxvae("quick", "synth-svhn"), "b": profiles.plain_vae("quick", "synth-svhn")}
    assert profiles.name_of(profiles.plain_vae("quick", "synth-svhn"), settings) == "b"
    assert profiles.name_of(profiles.plain_vae("quick", "synth-svhn", seed=1), settings) is None


@pytest.mark.parametrize("text, number", [("1e-4", 1e-4), ("2.5E+3", 2500.0), (".5", 0.5), ("-3", -3), ("40", 40)])
def test_numbers_are_read_as_users_write_them_wherever_a_value_is_typed(text, number, capsys):
    from auxlib.__main__ import main
    from auxlib.checks import as_number, read_yaml
    assert read_yaml(f"lr: {text}") == {"lr": number} and as_number(text) == number
    assert type(as_number(text)) is type(number)
    assert as_number("inf") == "inf" and as_number([1]) == [1]  # left for the checks to name
    if number > 0:  # --set, papermill's -y (YAML 1.1 text) and the chapters' list parameters alike
        main(["config", "exp1", "--profile", "quick", "--dataset", "synth-svhn", "--set", f"lr={text}"])
        assert json.loads(capsys.readouterr().out)["train"]["lr"] == number
        assert profiles.auxvae("quick", "synth-svhn", lr=text).train.lr == number
        assert auxlib.settings("exp1_2", "quick", baseline_beta=text)["baseline_beta"] == number
        assert auxlib.settings("exp1_2", "quick", betas=f"[{text}, 2]")["betas"] == [number, 2]
        assert auxlib.settings("exp1_2", "quick", betas=[text])["betas"] == [number]


def test_a_wrong_value_on_the_command_line_gets_one_sentence_not_a_traceback(tmp_path):
    from auxlib.__main__ import main
    with pytest.raises(SystemExit, match="^lr must be a positive number, got 'oops'.$"):
        main(["config", "exp1", "--profile", "quick", "--set", "lr=oops"])
    with pytest.raises(SystemExit, match="^--set lr takes a YAML value, got '\\[1'.$"):
        main(["config", "exp1", "--profile", "quick", "--set", "lr=[1"])
    with pytest.raises(SystemExit, match="^--config must name a readable JSON file, got '.*missing.json'"):
        main(["train", "--config", str(tmp_path / "missing.json")])
    config = profiles.auxvae("quick", "synth-svhn").to_dict()
    config["train"]["steps"] = -1
    (tmp_path / "bad.json").write_text(json.dumps(config))
    with pytest.raises(SystemExit, match="bad.json: steps must be a positive integer, got -1.$"):
        main(["train", "--config", str(tmp_path / "bad.json")])


CHAPTER_MODULE = '''
from auxlib.book import profiles

profiles.register("{name}", settings={{p: {{"grid": 4}} for p in profiles.PROFILE_NAMES}},
                  profile={{p: dict(steps=10, batch_size=8) for p in profiles.PROFILE_NAMES}})
'''


def test_a_chapter_module_registers_its_values_and_is_found_by_name(tmp_path, monkeypatch):
    import auxlib.book

    monkeypatch.setattr(auxlib.book, "__path__", [*auxlib.book.__path__, str(tmp_path)])
    for name in ("SETTINGS", "PROFILES", "CHAPTER_MODELS"):  # registering must not outlive the test
        monkeypatch.setattr(profiles, name, dict(getattr(profiles, name)))
    (tmp_path / "mychapter.py").write_text(CHAPTER_MODULE.format(name="mychapter"))
    monkeypatch.delitem(__import__("sys").modules, "auxlib.book.mychapter", raising=False)
    assert auxlib.settings("mychapter", "quick", grid=6) == {"grid": 6}  # imported on first use
    config = auxlib.experiment("mychapter", "standard", dataset="synth-svhn")
    assert config.train.steps == 10 and type(config.model) is AuxVAEConfig
    with pytest.raises(ValueError, match="chapter must be a name no chapter has yet, got 'mychapter'"):
        profiles.register("mychapter", settings={p: {} for p in PROFILE_NAMES})
    with pytest.raises(ValueError, match="settings must be a table with one entry per profile"):
        profiles.register("other", settings={"quick": {}})
    with pytest.raises(ValueError, match="chapter must be one of"):
        auxlib.settings("nochapter", "quick")  # no module of that name either
    (tmp_path / "broken.py").write_text("import auxlib.book.not_a_module\n")
    with pytest.raises(ModuleNotFoundError, match="not_a_module"):
        auxlib.settings("broken", "quick")  # a chapter module that fails says why
