import pandas as pd
import pytest

from auxlib import local_sweep, models
from auxlib.model.config import AuxVAEConfig


def test_each_setting_changes_one_thing_from_the_standard_auxvae_and_names_a_run_of_its_own():
    runs = local_sweep.runs("standard", "synth-svhn")
    assert runs["standard"] == local_sweep.experiment("exp1", "standard", dataset="synth-svhn")
    assert len({c.key() for c in runs.values()}) == len(runs) == len(local_sweep.changes())
    assert runs["β_g = 4"].model.kl_weights == (4.0, 1.0) and runs["z = 32 + 32"].model.z_l == 32
    assert all(c.judge is not None for c in runs.values())  # every run is scored by the classifier
    assert list(local_sweep.runs("quick", "synth-svhn", setting_names=["β_g = 4"])) == ["standard", "β_g = 4"]
    assert list(local_sweep.runs("quick", "synth-svhn", setting_names=[])) == ["standard"]
    assert set(local_sweep.SHOWN.values()) <= set(local_sweep.changes())
    with pytest.raises(ValueError, match="setting_names must be settings of the study"):
        local_sweep.runs("standard", "synth-svhn", setting_names=["β = 3"])


def test_a_settings_budget_is_the_standard_profiles_and_scales_with_the_profile():
    long = "[SPLIT]'s network, 20,000 steps"
    assert local_sweep.overrides(long, "standard")["steps"] == 20_000
    assert local_sweep.overrides(long, "quick")["steps"] == round(20_000 * 20 / 3500)  # quick: 20 steps, not 3,500
    assert local_sweep.runs("quick", "synth-svhn", setting_names=[long])[long].train.steps == 114
    assert local_sweep.overrides(long, "paper")["steps"] > 1_000_000  # longer than the paper profile's own
    assert local_sweep.overrides("β_g = 4", "quick") == {"beta_g": 4.0}
    with pytest.raises(ValueError, match="name must be one of"):
        local_sweep.overrides("β = 3", "quick")


def table_row(colour_from_l: float, ii: float = 0.88, iii: float = 0.10, ratios=(1.0, 1.0),
              colour_group: float = 0.0, label_from_g: float = 0.9) -> dict:
    row = {f"{f} from {p}": (0.9 - colour_from_l if p == "z_g" else colour_from_l)
           for f in local_sweep.TARGETS for p in ("z_g", "z_l")}
    row.update({"label from z_g": label_from_g, "label from z_l": 0.05, "S colour": colour_group,
                "z_l/z_g luma": ratios[0], "z_l/z_g chroma": ratios[1],
                "reconstruction": 0.9, "z_l resampled": ii, "z_g resampled": iii})
    return row


def test_targets_met_reads_both_parts_of_each_factor():
    row = pd.Series(table_row(0.9, ratios=(3.5, 2.0)))
    row["label from z_g"] = 0.85
    met = local_sweep.targets_met(row)
    assert all(met[f] for f in local_sweep.TARGETS) and met["Fig. 2 luma"] and not met["Fig. 2 chroma"]
    row["polarity from z_g"] = 0.31  # read from z_g above its bar
    assert not local_sweep.targets_met(row)["polarity"]


def test_best_counts_targets_among_settings_that_keep_the_split_and_breaks_ties_by_colour():
    table = pd.DataFrame({"standard": table_row(0.2), "lost split": table_row(0.9, iii=0.40, ratios=(5, 5)),
                          "digit lost": table_row(0.9, ii=0.6, ratios=(5, 5)),
                          "colour": table_row(0.85, iii=0.12, ratios=(2, 2), colour_group=0.3),
                          "same, less colour": table_row(0.85, ratios=(2, 2))}).T
    assert local_sweep.best(table) == "colour"
    assert [local_sweep.keeps_split(r) for _, r in table.iterrows()] == [True, False, False, True, True]
    met = local_sweep.met_table(table)
    assert met.loc["standard", "label"] and not met.loc["standard", "polarity"] and met.loc["colour"].sum() == 8
    assert local_sweep.best(table.loc[["lost split", "digit lost"]]) is None
    named = table.rename(index={"colour": "FiLM decoder", "same, less colour": "β_g = 4"})
    assert local_sweep.picks(named) == {"all": "FiLM decoder", "paper's method": "β_g = 4"}
    shown = local_sweep.target_table(table, met)
    assert shown.loc["colour", "polarity"] == "0.05 / 0.85 ✓" and shown.loc["standard", "polarity"] == "0.70 / 0.20"
    assert shown.loc["lost split", "Fig. 2 luma"] == "✓" and shown.loc["standard", "Fig. 2 luma"] == ""


def test_probe_curve_reads_one_factor_by_the_number_of_fitting_images():
    from auxlib import synth_svhn
    from auxlib.data import ImageSet
    images, labels, factors = synth_svhn.generate(160, 3)
    fit = ImageSet(images[:120], labels[:120], {k: v[:120] for k, v in factors.items()})
    held = ImageSet(images[120:], labels[120:], {k: v[120:] for k, v in factors.items()})
    model = models.build(AuxVAEConfig(z_g=8, z_l=8, widths=(8, 16))).eval()
    curve = local_sweep.probe_curve(model, fit, held, [60, 120], "polarity", "z_l")
    assert list(curve.index) == [60, 120] and curve.between(0, 1).all() and curve.name == "polarity from z_l"
    with pytest.raises(ValueError, match="sizes must be positive integers up to 120"):
        local_sweep.probe_curve(model, fit, held, [500])


def test_probes_checked_names_the_probes_that_find_every_answer():
    table = pd.DataFrame({"linear": [1.0, 0.0, 0.01], "knn": [1.0, 0.95, 0.0], "mlp": [0.99, 0.98, -0.02]},
                         index=["linearly", "nonlinearly", "not at all"])
    text = local_sweep.probes_checked(table)
    assert "Only the knn and mlp probes find" in text and "the linear probe reads 0.00" in text
    table.loc["not at all", "mlp"] = 0.3
    assert "The MLP probe, which the readings below use, fails" in local_sweep.probes_checked(table)
    table.loc["nonlinearly", "knn"] = 0.2
    assert "cannot carry a conclusion" in local_sweep.probes_checked(table)


def test_probe_against_classifier_says_agree_only_within_the_tolerance_and_names_understated_readings():
    decodes = {"reconstruction": 0.90, "z_l resampled": 0.88, "z_g resampled": 0.10}
    curve = pd.Series({5000: 0.78, 20000: 0.87})
    text = local_sweep.probe_against_classifier(curve, decodes, 5000)
    assert "train images at 78.0% when fitted on 5,000 images, 87.0% when fitted on 20,000" in text
    assert "Fitted on 20,000 images the probe finds what the decodes show" in text
    assert "understates the digit by 10.0 points: they are lower bounds" in text
    assert "lower bounds" not in local_sweep.probe_against_classifier(curve, decodes, 20000)
    assert "Even fitted on 20,000 images the probe misses 28.0 points" in local_sweep.probe_against_classifier(
        pd.Series({20000: 0.60}), decodes, 20000)


def study_table(rows: dict[str, tuple[float, float, float, float, float]]):
    """A local-study table: per setting (colour score, luma ratio, chroma ratio, (ii), (iii)), every target
    factor read 0.1 from z_g and 0.9 from z_l, the digit 0.9 from z_g."""

    table = {}
    for name, (colour, luma, chroma, ii, iii) in rows.items():
        row = {f"{f} from {p}": 0.1 if p == "z_g" else 0.9 for f in local_sweep.TARGETS for p in ("z_g", "z_l")}
        row.update({"label from z_g": 0.9, "label from z_l": 0.0, "S colour": colour, "z_l/z_g luma": luma,
                    "z_l/z_g chroma": chroma, "reconstruction": 0.9, "z_l resampled": ii, "z_g resampled": iii})
        table[name] = row
    return pd.DataFrame(table).T


def test_screen_verdict_names_unmet_targets_lost_splits_and_both_choices():
    table = study_table({"standard": (-0.2, 1.6, 1.0, 0.88, 0.10), "β_g = 4": (0.1, 4.0, 2.5, 0.82, 0.09),
                         "FiLM decoder": (0.4, 4.0, 3.5, 0.87, 0.09), "luma, aligned": (0.7, 9.0, 9.0, 0.63, 0.1)})
    met = local_sweep.met_table(table)
    met["polarity"] = False
    text = local_sweep.screen_verdict(met, table, "FiLM decoder", "β_g = 4")
    assert text.startswith("Of the 4 settings, none meets every target. No setting meets the target of polarity.")
    assert "luma, aligned ((ii) 63.0%, (iii) 10.0%) loses the split and is left out." in text
    assert "It chooses **FiLM decoder** among all settings, which misses polarity (9 of 10 targets)" in text
    assert "**β_g = 4** within the paper's method, which misses polarity and Fig. 2 chroma (8 of 10" in text
    assert "The standard setting: -0.20, 1.6 and 1.0 times, 90.0% / 88.0% / 10.0%." in text
    assert local_sweep.screen_verdict(met, table, None, None).endswith("No setting keeps the split: none is chosen.")
    met[["fg_color", "Fig. 2 luma"]] = False
    lost = {**{name: 0.5 for name in table.index}, "standard": 0.88}
    text = local_sweep.screen_verdict(met, table.assign(**{"z_l resampled": lost}), "standard", None)
    assert "No setting meets the targets of polarity, fg_color and Fig. 2 luma." in text
    assert "3 settings lose the split and are left out: β_g = 4 ((ii) 50.0%, (iii) 9.0%); FiLM decoder" in text
    met[:] = True
    assert local_sweep.screen_verdict(met, table, "standard", None).startswith(
        "Of the 4 settings, standard, β_g = 4, FiLM decoder and luma, aligned meet every target.")


def test_seeds_verdict_gives_spreads_and_whether_the_seeds_settle_the_colour_gap():
    mean = study_table({"standard": (-0.2, 1.6, 1.0, 0.88, 0.10), "β_g = 4": (0.1, 4.0, 3.5, 0.82, 0.09),
                        "FiLM decoder": (-0.1, 2.0, 1.0, 0.88, 0.1)})
    sd = mean * 0 + 0.06
    text = local_sweep.seeds_verdict(mean, sd, [0, 1, 2])
    assert text.startswith("Over 3 seeds (0, 1, 2), as mean ± standard deviation: **standard** has a colour group "
                           "score of -0.20 ± 0.06, Fig. 2 ratios of 1.6 ± 0.1 (luma)")
    assert "its colour score is 0.30 above the standard's, more than 2 times the larger" in text
    assert "its colour score is 0.10 above the standard's, not more than 2 times" in text


def test_shown_verdict_says_whether_the_rule_still_chooses_what_experiment_1_1_shows():
    shown = {"paper's method": "β_g = 4", "all": "z_g sees luma"}
    text = local_sweep.shown_verdict(dict(shown), shown, 3)
    assert text.startswith("On the means over 3 seeds the rule chooses **β_g = 4** within the paper's method and "
                           "**z_g sees luma** among all settings. These are the settings "
                           "[Experiment 1.1](exp1_1) shows beside the standard one.")
    text = local_sweep.shown_verdict({"paper's method": None, "all": "z_g sees luma"}, shown, 1)
    assert "chooses no setting within the paper's method" in text
    assert text.endswith("[Experiment 1.1](exp1_1) shows β_g = 4 within the paper's method "
                         "(`auxlib.local_sweep.SHOWN`), which these readings do not choose.")
