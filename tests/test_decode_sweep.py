import dataclasses

import pytest

from auxlib import decode_sweep
from auxlib.model.config import AuxVAEConfig
from auxlib.training.store import Record

DECODES = decode_sweep.DECODES


def differences(a, b):
    fields = {f"model.{f.name}" for f in dataclasses.fields(AuxVAEConfig)} | {"train.lr"}
    def value(cfg, name):
        return getattr(getattr(cfg, name.split(".")[0]), name.split(".")[1])
    return {name for name in fields if value(a, name) != value(b, name)}


def test_baseline_is_experiment_ones_first_standard_run():
    # The key of the book's first standard AuxVAE of Experiment 1 (seed 0): the sweep's baseline is that run.
    assert decode_sweep.runs("standard", "synth-svhn")["baseline"].key() == "448c7c140de42e5a"


def test_every_single_change_differs_from_the_baseline_in_its_own_fields_only():
    configs = decode_sweep.runs("standard", "synth-svhn", steps=10_000)
    base = configs["baseline"]
    expected = {"z = 64 + 64": {"model.z_g", "model.z_l"}, "z = 128 + 128": {"model.z_g", "model.z_l"},
                "lr 5e-4": {"train.lr"}, "lr 2e-3": {"train.lr"}, "mixture p̂(x̂ | z_l)": {"model.aux_components"},
                "[SPLIT] network": {"model.arch"},
                "z = 128 + 128, mixture": {"model.z_g", "model.z_l", "model.aux_components"}}
    for name, fields in expected.items():
        assert differences(configs[name], base) == fields, name
    assert all(c.train.steps == 10_000 and c.judge is not None for c in configs.values())
    assert len({c.key() for c in configs.values()}) == len(configs)


def record(rows, kl_g=50.0):
    """A record scored at each row's step whose KL of z_g is ``kl_g`` at the last step and half of it before."""
    config = decode_sweep.runs("quick", "synth-svhn")["baseline"]
    scores = [{"step": step, "images": 64 * step, **dict(zip(DECODES, values))} for step, values in rows]
    history = [{"step": step, "loss": 1.0, "kl_g": kl_g if step == rows[-1][0] else kl_g / 2, "kl_l": 20.0}
               for step, _ in rows]
    return Record(config, history, scores, 60.0, "cpu")


def test_table_reads_the_scores_at_a_step_or_at_the_end():
    records = {"baseline": record([(250, (0.5, 0.4, 0.1)), (500, (0.7, 0.6, 0.1))]),
               "longer": record([(250, (0.6, 0.6, 0.1)), (500, (0.8, 0.79, 0.1)), (1000, (0.9, 0.88, 0.1))])}
    end, common = decode_sweep.table(records), decode_sweep.table(records, step=600)
    assert end.loc["longer", "reconstruction"] == 0.9 and end.loc["longer", "step"] == 1000
    assert common.loc["longer", "reconstruction"] == 0.8 and common.loc["longer", "step"] == 500
    assert common.loc["baseline", "gap (i) - (ii), points"] == pytest.approx(10.0)
    assert end.loc["baseline", "run minutes"] == 1.0 and end.loc["baseline", "kl_g"] == 50.0
    assert common.loc["longer", "kl_g"] == 25.0 and common.loc["longer", "run minutes"] == 1.0
    with pytest.raises(ValueError, match="record must hold decode scores up to step 100"):
        decode_sweep.table(records, step=100)


def test_best_reads_z_l_resampled_among_settings_that_keep_the_split():
    records = {"baseline": record([(500, (0.8, 0.7, 0.1))]), "sharper": record([(500, (0.9, 0.85, 0.12))]),
               "leaky": record([(500, (0.95, 0.94, 0.4))])}  # (iii) far above the bar: the split is lost
    assert decode_sweep.best(records) == "sharper"
    with pytest.raises(ValueError, match=r"whose \(iii\) is at most 15%, got none"):
        decode_sweep.best({"leaky": records["leaky"]})


def test_setting_of_names_the_setting_a_config_trains_and_none_for_others():
    assert decode_sweep.setting_of(decode_sweep.runs("standard", "synth-svhn")["baseline"], "standard") == "baseline"
    mixture = decode_sweep.runs("quick", "synth-svhn", seed=2)["z = 128 + 128, mixture"]
    assert decode_sweep.setting_of(mixture, "quick") == "z = 128 + 128, mixture"
    other = dataclasses.replace(mixture, model=dataclasses.replace(mixture.model, beta=4.0))
    assert decode_sweep.setting_of(other, "quick") is None


def test_the_quick_and_standard_profiles_train_a_setting_of_the_sweep():
    import auxlib

    for profile in ("quick", "standard"):
        assert decode_sweep.setting_of(auxlib.profiles.auxvae(profile, "synth-svhn"), profile) is not None, profile


def test_standard_profile_is_the_setting_the_committed_sweep_chose():
    # exp1_2's sweep chose a setting on train-split scores at the standard budget; Experiment 1's standard profile
    # is that setting, so the chapter's main models are the sweep's own choice.
    from pathlib import Path

    import auxlib
    from auxlib import results

    committed = results.load("exp1_2", Path(__file__).resolve().parents[1] / "book" / "results")
    chosen = committed["sweep"]["best_at_standard"]
    assert decode_sweep.setting_of(auxlib.profiles.auxvae("standard", "synth-svhn"), "standard") == chosen
