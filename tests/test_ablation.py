import dataclasses

import pandas as pd

import auxlib
from auxlib import ablation
from auxlib.model.config import AuxGMVAEConfig
from auxlib.training.store import Record


def differences(a, b):
    fields = {f"model.{f.name}" for f in dataclasses.fields(AuxGMVAEConfig)} | {"where"}
    def value(cfg, name):
        return getattr(cfg.model, name[6:]) if name.startswith("model.") else getattr(cfg, name)
    return {name for name in fields if value(a, name) != value(b, name)}


def test_baseline_is_the_first_standard_run_of_experiment_2():
    # The key of the book's first standard AuxGMVAE (seed 0): the ablation's baseline is that very run.
    assert ablation.runs("standard", "synth-svhn")["baseline"].key() == "39bc7073ca02f9bf"


def test_every_single_change_differs_from_the_baseline_in_its_own_fields_only():
    configs = ablation.runs("standard", "synth-svhn")
    base = configs["baseline"]
    expected = {
        "β = α = 8": {"model.beta", "model.alpha"},
        "KL warm-up": {"model.warmup_steps"},
        "joint posterior": {"model.posterior"},
        "[SPLIT] branch": {"model.branch", "model.y_hidden"},
        "mixture p̂(x̂ | z_l)": {"model.aux_components"},
        "patch size 1": {"model.patch_size"},
        "dark-on-light images only": {"where"},
    }
    for name, fields in expected.items():
        assert differences(configs[name], base) == fields, name
    assert configs["KL warm-up"].model.warmup_steps == base.train.steps // 2
    assert len({c.key() for c in configs.values()}) == len(configs)


def test_settings_keep_their_baseline_when_the_profile_changes():
    # The baseline is spelled out: a profile that adopts another setting does not move it.
    configs = ablation.runs("quick", "synth-svhn", seed=3, steps=40)
    assert configs["baseline"].model.posterior == "factorised" and configs["baseline"].model.beta == 1.0
    assert all(c.train.seed == 3 and c.train.steps == 40 for c in configs.values())
    assert configs["KL warm-up"].model.warmup_steps == 20


def record(acc, nmi=0.1, steps=(250, 500), **extra):

    config = ablation.runs("quick", "synth-svhn")["baseline"]
    scores = [{"step": s, "images": 64 * s, "acc": acc * s / steps[-1], "nmi": nmi, "nmi_polarity": 0.3,
               "clusters_used": 20.0, **extra} for s in steps]
    return Record(config, [{"step": steps[-1], "loss": 1.0, "kl_g": 50.0, "kl_l": 20.0, "kl_y": 2.0}], scores,
                  120.0, "cpu")


def test_table_reads_the_last_scores_and_the_change_from_the_baseline():
    records = {"baseline": record(0.20), "better": record(0.31), "dark-on-light images only": record(0.5)}
    table = ablation.table(records)
    assert table.loc["better", "ACC"] == 0.31 and round(table.loc["better", "Δ ACC (points)"], 6) == 11.0
    assert table.loc["baseline", "kl_y"] == 2.0 and table.loc["baseline", "minutes"] == 2.0
    assert table.loc["better", "clusters used"] == 20
    assert ablation.best(records) == "better"  # the diagnostic is never chosen, however high


def test_best_prefers_clusters_that_follow_the_digit_over_a_higher_acc():
    records = {"baseline": record(0.20), "polar": record(0.31), "digit": record(0.25, nmi=0.4)}
    assert ablation.best(records) == "digit"
    assert ablation.follows_digit({"nmi": 0.4, "nmi_polarity": 0.3})
    assert not ablation.follows_digit({"nmi": 0.4})  # no polarity recorded: nothing to follow it more than
    assert ablation.follows({"nmi": 0.005, "nmi_polarity": 0.0}) is None  # one cluster follows nothing
    assert ablation.follows({"nmi": 0.05, "nmi_polarity": 0.3}) == "polarity"


def test_a_record_without_scores_is_refused():
    empty = record(0.2)
    empty.scores.clear()
    import pytest

    with pytest.raises(ValueError, match="record must hold training-time scores"):
        ablation.final_scores(empty)


def test_extrapolation_follows_a_log_linear_curve_and_clips_to_one():
    import pytest

    curve = [{"images": 10.0 ** e, "acc": 0.1 * e} for e in (3, 4, 5, 6)]  # +0.1 per tenfold
    prediction, slope = ablation.extrapolate(curve, 1e8)
    assert prediction == pytest.approx(0.8) and slope == pytest.approx(0.1)
    assert ablation.extrapolate(curve, 1e20)[0] == 1.0
    bent = [{"images": 1e3, "acc": 0.0}, {"images": 1e4, "acc": 0.5}, *curve[2:]]  # only the tail counts
    assert ablation.extrapolate(bent, 1e8)[0] == pytest.approx(0.8)
    with pytest.raises(ValueError, match="scores must hold at least 2 points"):
        ablation.extrapolate(curve[:1], 1e8)


def test_trends_leave_out_the_runs_that_diverged():
    import dataclasses

    import pytest

    steady, stopped = record(0.2, steps=(250, 500, 1000, 2000)), record(0.3, steps=(250, 500, 1000, 2000))
    stopped = dataclasses.replace(stopped, diverged_at=2010)
    trends = ablation.trends({"steady": steady, "stopped": stopped}, 64 * 20_000)
    assert list(trends) == ["steady"]
    assert trends["steady"] == pytest.approx(ablation.extrapolate(steady.scores, 64 * 20_000))


def test_curve_runs_are_the_chosen_setting_and_the_authors_at_both_learning_rates():
    import pytest

    curves = ablation.curve_runs("quick", "synth-svhn", "joint posterior", steps=400)
    assert list(curves) == ["joint posterior", ablation.SPLIT_SETTING, ablation.SPLIT_SETTING_SLOW]
    assert all(c.train.steps == 400 for c in curves.values())
    fast, slow = curves[ablation.SPLIT_SETTING], curves[ablation.SPLIT_SETTING_SLOW]
    assert slow.train.lr == 1e-4 and fast.train.lr == ablation.runs("quick", "synth-svhn")["baseline"].train.lr
    assert slow.model == fast.model
    assert list(ablation.curve_runs("quick", "synth-svhn", ablation.SPLIT_SETTING, steps=400)) == [
        ablation.SPLIT_SETTING, ablation.SPLIT_SETTING_SLOW]
    warm = ablation.curve_runs("quick", "synth-svhn", "KL warm-up", steps=400)["KL warm-up"]
    assert warm.model.warmup_steps == 200
    with pytest.raises(ValueError, match="chosen must be one of the ablation's candidate settings"):
        ablation.curve_runs("quick", "synth-svhn", "dark-on-light images only", steps=400)


def test_describe_names_the_settings_of_a_run():
    text = ablation.describe(ablation.runs("standard", "synth-svhn")["β = α = 40, warm-up"])
    assert text == ("the factorised posterior, β = 40, α = 40, a KL warm-up over 2,500 steps, the compact branch, "
                    "one discretised logistic per subpixel for p̂(x̂ | z_l), patch size 4, 5,000 steps of 64 images")


def test_standard_profile_is_the_setting_the_ablation_chose():
    # The committed ablation chose a setting on train-split scores; Experiment 2's standard profile is that
    # setting, so exp2_1's seed-0 run is the ablation's own run of it.
    from pathlib import Path

    from auxlib import experiment, results

    chosen = results.load("exp2_gap", Path(__file__).resolve().parents[1] / "book" / "results")["chosen"]
    expected = ablation.runs("standard", "synth-svhn")[chosen]
    assert experiment("exp2", "standard", dataset="synth-svhn").key() == expected.key()
    quick = experiment("exp2", "quick", dataset="synth-svhn").model
    assert differences(experiment("exp2", "quick", dataset="synth-svhn"),
                       ablation.runs("quick", "synth-svhn")[chosen]) == set(), quick


def test_setting_of_names_the_setting_experiment_2_1_trains_and_none_after_a_change():
    import auxlib

    for profile in ("quick", "standard"):
        assert ablation.setting_of(auxlib.profiles.auxgmvae(profile, "synth-svhn"), profile) == "β = α = 8"
    assert ablation.setting_of(auxlib.profiles.auxgmvae("standard", "synth-svhn", k=20), "standard") is None
    baseline = ablation.runs("standard", "synth-svhn")["baseline"]
    assert ablation.setting_of(baseline, "standard") == "baseline"


def curve(scores: list[dict], diverged_at: int | None = None) -> Record:
    """A long run's record with these score rows."""
    return Record(auxlib.experiment("exp2", "quick", dataset="synth-svhn"), [], scores, 60.0, None, diverged_at)


def test_best_verdict_says_which_the_clusters_follow_more():
    scores = pd.DataFrame({"ACC": [0.15, 0.2], "Δ ACC (points)": [0.0, 5.0], "NMI digit": [0.02, 0.3],
                           "NMI polarity": [0.3, 0.1], "clusters used": [30, 28]}, index=["baseline", "x"])
    assert "Its clusters follow the digit more" in ablation.best_verdict(scores, "x", True)
    assert "Its clusters follow polarity more" in ablation.best_verdict(scores, "baseline", True)
    assert "polarity" not in ablation.best_verdict(scores, "x", False).split("in use.")[1].split("One seed")[0]


def test_learning_curves_say_where_a_run_diverged_and_label_the_extrapolation():
    row = {"images": 1_000_000, "acc": 0.2, "nmi": 0.05, "clusters_used": 30}
    text = ablation.learning_curves({"a": curve([row]), "b": curve([row], diverged_at=29_538)},
                                    {"a": (0.3, 0.05)}, 192_000_000)
    assert "**a** reaches 20.0% (after 1,000,000 images, NMI with the digit 0.050, 30 clusters" in text
    polar = ablation.learning_curves({"a": curve([dict(row, nmi_polarity=0.31)])}, {"a": (0.3, 0.05)}, 1e8)
    assert "NMI with the digit 0.050, with polarity 0.310, 30 clusters in use" in polar
    assert "Every run's clusters share more information with polarity than with the digit (NMI)." in polar
    assert "polarity than with the digit" not in text  # no polarity recorded: nothing to say
    mixed = ablation.learning_curves({"a": curve([dict(row, nmi_polarity=0.31)]),
                                      "c": curve([dict(row, nmi_polarity=0.01)])}, {"a": (0.3, 0.05)}, 1e8)
    assert ("The clusters of **c** share more information with the digit than with polarity (NMI); those of the others "
            "follow polarity.") in mixed
    assert ("**b** reaches 20.0% (its loss stopped being finite at step 29,538, so its curve is not continued; its "
            "last score, after 1,000,000") in text
    assert "the b curve" not in text
    assert "gives 30.0% at the paper's budget (+5.0 points per tenfold" in text
    assert "extrapolation over up to 2.3 tenfolds of images, not a measurement" in text


def test_gap_summary_says_whether_experiment_2_1_uses_the_chosen_setting():
    scores = pd.DataFrame({"ACC": [0.15, 0.2], "Δ ACC (points)": [0.0, 5.0]}, index=["baseline", "x"])
    text = ablation.gap_summary(scores, ["baseline", "x"], 0.582, 1.5, {"x": 0.21}, {"x": (0.3, 0.05)}, 10, "x",
                                "x")
    assert "the largest gain over the baseline is +5.0 points (x)" in text and "gains +1.5 points" in text
    assert "neither the settings nor polarity close the gap" in text and "short of the paper's figure" in text
    assert text.endswith("[Experiment 2.1](exp2_1)'s models at this profile use the chosen setting, **x**.")
    assert ablation.gap_summary(scores, ["baseline", "x"], 0.1, None, {"x": 0.21}, {"x": (0.3, 0.05)}, 10, "x",
                                "baseline").endswith("use another setting of the ablation: baseline.")
    assert ablation.gap_summary(scores, ["baseline", "x"], 0.1, None, {"x": 0.21}, {"x": (0.3, 0.05)}, 10, "x",
                                None).endswith("use none of the settings of the ablation.")
    diverged_higher = ablation.gap_summary(scores, ["baseline", "x"], 0.582, None, {"x": 0.21, "y": 0.25},
                                           {"x": (0.3, 0.05)}, 10, "x", "x")
    assert "takes x to 21.0%" in diverged_higher  # y diverged: it has no trend to read


def test_gap_headline_says_what_the_ablation_gains_and_what_the_long_runs_follow():
    gap = {"chosen": "b", "dataset": "synth-svhn", "scores": {"baseline": {"acc": 0.15}, "b": {"acc": 0.18}},
           "settings": {"curve_steps": 50_000}, "baseline": {"train": {"steps": 5000}},
           "curves": {"b": {"scores": [{"acc": 0.2}, {"acc": 0.22}], "extrapolated_acc": 0.33}}}
    assert ablation.gap_headline(gap) == (
        "**[What Experiment 2's gap is made of](exp2_gap)** (synth-svhn, train images): of the ablation's settings, b "
        "gains most, +3.0 points of ACC over the baseline; 10 times the budget takes it to 22.0%, and the trend of its "
        "curve points to 33.0% at the paper's budget (an extrapolation).")
    gap["curves"]["b"]["extrapolated_acc"] = None  # the chosen setting's long run diverged
    assert "takes it to 22.0%, where its loss stopped being finite." in ablation.gap_headline(gap)
    gap["curves"]["b"]["scores"][-1].update(nmi=0.045, nmi_polarity=0.038)
    gap["curves"]["c"] = {"scores": [{"acc": 0.2, "nmi": 0.01, "nmi_polarity": 0.3}], "extrapolated_acc": 0.3}
    assert ablation.gap_headline(gap).endswith(
        "At the end of the longer runs, the clusters of **b** share more information with the digit than with "
        "polarity (NMI); those of the others follow polarity.")
    assert "not been executed" in ablation.gap_headline(None)


def test_long_budget_names_the_runs_that_follow_the_digit():
    def run(nmi, polarity):
        row = {"step": 50, "images": 3200, "acc": 0.2, "nmi": nmi, "nmi_polarity": polarity, "clusters_used": 30.0}
        return Record(None, [], [row], 1.0, "cpu")

    text = ablation.long_budget({"slow": run(0.045, 0.038), "fast": run(0.09, 0.31)})
    assert text.startswith("**slow** reaches 20.0% ACC after 3,200 images (NMI with the digit 0.045, with "
                           "polarity 0.038); **fast**")
    assert text.endswith("The clusters of **slow** share more information with the digit than with polarity (NMI); "
                         "those of the others follow polarity.")
    assert ablation.led_by({"a": {"nmi": 0.1, "nmi_polarity": 0.3}}, "row") == (
        "Every row's clusters share more information with polarity than with the digit (NMI). ")


def test_rows_follow_averages_each_rows_runs():
    rows = {"AuxGMVAE": (30, [{"nmi": 0.02, "nmi_polarity": 0.3}, {"nmi": 0.04, "nmi_polarity": 0.28}]),
            "variant": (30, [{"nmi": 0.1, "nmi_polarity": 0.01}])}
    assert ablation.rows_follow(rows) == (
        "On the test split, by the mean over each row's runs: the clusters of **variant** share more information "
        "with the digit than with polarity (NMI); those of the others follow polarity.")
    assert ablation.rows_follow({"svhn": (30, [{"nmi": 0.1}])}) == ""


def test_led_by_says_which_clusterings_follow_neither():
    ends = {"a": {"nmi": 0.1, "nmi_polarity": 0.3}, "collapsed": {"nmi": 0.0001, "nmi_polarity": 0.0}}
    assert ablation.led_by(ends) == ("The clusters of **a** follow polarity; those of **collapsed** follow neither "
                                     "(NMI below 0.01 with both). ")


def test_led_by_names_the_smaller_groups_and_calls_the_largest_the_others():
    polar = {"nmi": 0.01, "nmi_polarity": 0.3}
    ends = {"a": polar, "b": polar, "c": polar, "flat": {"nmi": 0.0, "nmi_polarity": 0.0},
            "digit": {"nmi": 0.2, "nmi_polarity": 0.1}, "digit 2": {"nmi": 0.3, "nmi_polarity": 0.1}}
    assert ablation.led_by(ends) == (
        "The clusters of **flat** follow neither (NMI below 0.01 with both); those of **digit** and **digit 2** share "
        "more information with the digit than with polarity (NMI); those of the others follow polarity. ")
    flat = {"nmi": 0.0, "nmi_polarity": 0.0}
    assert ablation.led_by({"a": flat, "b": flat}) == (
        "The clusters of **a** and **b** follow neither (NMI below 0.01 with both). ")
