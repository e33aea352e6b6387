import pandas as pd
import pytest

import auxlib
from auxlib import verdicts
from auxlib.training.store import Record, Run


def record(scores: list[dict], diverged_at: int | None = None) -> Record:
    return Record(auxlib.experiment("exp2", "quick", dataset="synth-svhn"), [], scores, 60.0, None, diverged_at)


def test_checklist_and_table1_add_the_budget_only_when_a_check_is_missed():
    config = auxlib.experiment("exp2", "standard", dataset="synth-svhn")
    assert verdicts.checklist({"a": True, "b": False}) == "- a: met\n- b: **missed**"
    missed = verdicts.table1([0.15, 0.17], 30, 0.2, {"x": False}, config)
    assert "**16.0% ± 1.0%** at $k = 30$ on synth-svhn" in missed
    assert missed.endswith("the paper's for 3,000,000 (the `paper` profile); the table above is what this budget "
                           "gives.")
    assert "paper` profile" not in verdicts.table1([0.6], 30, 0.2, {"x": True}, config)


def test_followed_factors_lists_the_top_three_and_the_digit():
    nmi = {"polarity": 0.3, "label": 0.01, "bg_color": 0.2, "font": 0.05}
    kinds = {"polarity": "local", "label": "global", "bg_color": "local", "font": "global"}
    assert verdicts.followed_factors(nmi, kinds) == (
        "The factors the clusters follow most closely are polarity (local, NMI 0.30), bg_color (local, NMI 0.20), "
        "font (global, NMI 0.05); the digit label has NMI 0.01.")
    assert verdicts.followed_factors({}, {}) == ""


def test_ablation_best_says_which_the_clusters_follow_more():
    scores = pd.DataFrame({"ACC": [0.15, 0.2], "Δ ACC (points)": [0.0, 5.0], "NMI digit": [0.02, 0.3],
                           "NMI polarity": [0.3, 0.1], "clusters used": [30, 28]}, index=["baseline", "x"])
    assert "Its clusters follow the digit more" in verdicts.ablation_best(scores, "x", True)
    assert "Its clusters follow polarity more" in verdicts.ablation_best(scores, "baseline", True)
    assert "polarity" not in verdicts.ablation_best(scores, "x", False).split("in use.")[1].split("One seed")[0]


def test_learning_curves_say_where_a_run_diverged_and_label_the_extrapolation():
    row = {"images": 1_000_000, "acc": 0.2, "nmi": 0.05, "clusters_used": 30}
    text = verdicts.learning_curves({"a": record([row]), "b": record([row], diverged_at=29_538)},
                                    {"a": (0.3, 0.05)}, 192_000_000)
    assert "**a** reaches 20.0% (after 1,000,000 images, NMI with the digit 0.050, 30 clusters" in text
    polar = verdicts.learning_curves({"a": record([dict(row, nmi_polarity=0.31)])}, {"a": (0.3, 0.05)}, 1e8)
    assert "NMI with the digit 0.050, with polarity 0.310, 30 clusters in use" in polar
    assert "Every run's clusters share more information with polarity than with the digit (NMI)." in polar
    assert "polarity than with the digit" not in text  # no polarity recorded: nothing to say
    mixed = verdicts.learning_curves({"a": record([dict(row, nmi_polarity=0.31)]),
                                      "c": record([dict(row, nmi_polarity=0.01)])}, {"a": (0.3, 0.05)}, 1e8)
    assert ("The clusters of **c** share more information with the digit than with polarity (NMI); those of the others "
            "follow polarity.") in mixed
    assert ("**b** reaches 20.0% (its loss stopped being finite at step 29,538, so its curve is not continued; its "
            "last score, after 1,000,000") in text
    assert "the b curve" not in text
    assert "gives 30.0% at the paper's budget (+5.0 points per tenfold" in text
    assert "extrapolation over up to 2.3 tenfolds of images, not a measurement" in text


def test_gap_summary_says_whether_experiment_2_1_uses_the_chosen_setting():
    scores = pd.DataFrame({"ACC": [0.15, 0.2], "Δ ACC (points)": [0.0, 5.0]}, index=["baseline", "x"])
    text = verdicts.gap_summary(scores, ["baseline", "x"], 0.582, 1.5, {"x": 0.21}, {"x": (0.3, 0.05)}, 10, "x",
                                "x")
    assert "the largest gain over the baseline is +5.0 points (x)" in text and "gains +1.5 points" in text
    assert "neither the settings nor polarity close the gap" in text and "short of the paper's figure" in text
    assert text.endswith("[Experiment 2.1](exp2_1)'s models at this profile use the chosen setting, **x**.")
    assert verdicts.gap_summary(scores, ["baseline", "x"], 0.1, None, {"x": 0.21}, {"x": (0.3, 0.05)}, 10, "x",
                                "baseline").endswith("use another setting of the ablation: baseline.")
    assert verdicts.gap_summary(scores, ["baseline", "x"], 0.1, None, {"x": 0.21}, {"x": (0.3, 0.05)}, 10, "x",
                                None).endswith("use none of the settings of the ablation.")
    diverged_higher = verdicts.gap_summary(scores, ["baseline", "x"], 0.582, None, {"x": 0.21, "y": 0.25},
                                           {"x": (0.3, 0.05)}, 10, "x", "x")
    assert "takes x to 21.0%" in diverged_higher  # y diverged: it has no trend to read


def test_fig3_reading_explains_the_reconstructions_only_below_the_papers_bar():
    run = Run(auxlib.experiment("exp1", "standard", dataset="synth-svhn"), None, [], 600.0, None)
    low = {"reconstruction": 0.7, "z_l resampled": 0.65, "z_g resampled": 0.11}
    assert verdicts.fig3_reading(low, 0.1, 0.97, run).startswith("The reconstructions are read less well")
    assert "holds no trace of it" in verdicts.fig3_reading(low, 0.1, 0.97, run)
    high = {"reconstruction": 0.9, "z_l resampled": 0.88, "z_g resampled": 0.2}
    assert verdicts.fig3_reading(high, 0.1, 0.97, run) == (
        "Drawing $z_l$ from the prior costs 2.0 points of accuracy, and drawing $z_g$ leaves 20.0%, +10.0 points "
        "from chance.")


def test_beta_sweep_calls_a_cost_only_beyond_the_margin():
    kl = {b: {"kl_g": 100 / b, "kl_l": 10.0} for b in (1.0, 4.0)}
    flat = {1.0: {"reconstruction": [0.72], "z_l resampled": [0.6], "z_g resampled": [0.1]},
            4.0: {"reconstruction": [0.71], "z_l resampled": [0.6], "z_g resampled": [0.1]}}
    assert "is not seen at this training budget" in verdicts.beta_sweep(flat, kl)
    flat[4.0]["reconstruction"] = [0.6]
    assert verdicts.beta_sweep(flat, kl).endswith("Larger β costs accuracy, as the paper reports.")


def test_gap_headline_says_what_the_ablation_gains_and_what_the_long_runs_follow():
    gap = {"chosen": "b", "dataset": "synth-svhn", "scores": {"baseline": {"acc": 0.15}, "b": {"acc": 0.18}},
           "settings": {"curve_steps": 50_000}, "baseline": {"train": {"steps": 5000}},
           "curves": {"b": {"scores": [{"acc": 0.2}, {"acc": 0.22}], "extrapolated_acc": 0.33}}}
    assert verdicts.gap_headline(gap) == (
        "**[What Experiment 2's gap is made of](exp2_gap)** (synth-svhn, train images): of the ablation's settings, b "
        "gains most, +3.0 points of ACC over the baseline; 10 times the budget takes it to 22.0%, and the trend of its "
        "curve points to 33.0% at the paper's budget (an extrapolation).")
    gap["curves"]["b"]["extrapolated_acc"] = None  # the chosen setting's long run diverged
    assert "takes it to 22.0%, where its loss stopped being finite." in verdicts.gap_headline(gap)
    gap["curves"]["b"]["scores"][-1].update(nmi=0.045, nmi_polarity=0.038)
    gap["curves"]["c"] = {"scores": [{"acc": 0.2, "nmi": 0.01, "nmi_polarity": 0.3}], "extrapolated_acc": 0.3}
    assert verdicts.gap_headline(gap).endswith(
        "At the end of the longer runs, the clusters of **b** share more information with the digit than with "
        "polarity (NMI); those of the others follow polarity.")
    assert "not been executed" in verdicts.gap_headline(None)


def test_decode_sweep_best_says_which_setting_the_models_use():
    columns = ["reconstruction", "z_l resampled", "z_g resampled", "step"]
    at = pd.DataFrame([[0.7, 0.6, 0.1, 500], [0.9, 0.88, 0.09, 500]], index=["baseline", "wide"], columns=columns)
    text = verdicts.decode_sweep_best(at, at, "wide", "wide", 0.15, "wide")
    assert "is **wide**: (i) 90.0%, (ii) 88.0%, (iii) 9.0%, against the baseline's 70.0%, 60.0% and 10.0%" in text
    assert text.endswith("The models of this chapter use the chosen setting, **wide**.")
    assert verdicts.decode_sweep_best(at, at, "wide", "wide", 0.15, "baseline").endswith("another setting of the "
                                                                                        "sweep: baseline.")
    assert verdicts.decode_sweep_best(at, at, "wide", "wide", 0.15, None).endswith("none of the settings of the "
                                                                                  "sweep.")


def test_decode_curve_reads_the_scores_at_each_step_and_the_gain_of_the_second_half():
    from auxlib import decode_sweep

    config = decode_sweep.runs("quick", "synth-svhn")["baseline"]
    rows = [(250, (0.5, 0.4, 0.1)), (500, (0.7, 0.6, 0.1)), (1000, (0.8, 0.75, 0.11))]
    scores = [{"step": s, "images": 64 * s, **dict(zip(decode_sweep.DECODES, v))} for s, v in rows]
    text = verdicts.decode_curve(Record(config, [], scores, 1.0, "cpu"), "wide", [250, 1000])
    assert "at 250 steps: 50.0%, 40.0%, 10.0%; 1,000 steps: 80.0%, 75.0%, 11.0%." in text
    assert text.endswith("(ii) moved by +15.0 points.")  # 0.60 at step 500 -> 0.75


def test_baseline_gaps_names_the_half_each_model_puts_the_digit_in():
    gaps = {"AuxVAE": 0.781, "plain VAE": -0.019, "β-VAE": -0.694}
    text = verdicts.baseline_gaps(gaps)
    assert "the AuxVAE holds it in $z_g$, the plain VAE holds it in neither half alone" in text
    assert "the β-VAE holds it in $z_l$." in text
    assert "nothing puts the digit in $z_g$" in text
    assert "nothing puts" not in verdicts.baseline_gaps({"AuxVAE": 0.78, "plain VAE": 0.5})


def test_settings_fig3_names_the_bars_each_setting_misses():
    scores = {"β_g = 4": {"reconstruction": [0.9, 0.92], "z_l resampled": [0.88, 0.9], "z_g resampled": [0.1, 0.12]},
              "z_g sees luma": {"reconstruction": [0.9], "z_l resampled": [0.7], "z_g resampled": [0.1]}}
    text = verdicts.settings_fig3(scores)
    assert text.startswith("Mean over 1, 2 seeds: β_g = 4: (i) 91.0%, (ii) 89.0%, (iii) 11.0%, meeting the paper's")
    assert text.endswith("missing (ii) z_l resampled >= 80% and (ii) within 6 points of (i).")


def test_long_budget_names_the_runs_that_follow_the_digit():
    from auxlib.training.store import Record

    def run(nmi, polarity):
        row = {"step": 50, "images": 3200, "acc": 0.2, "nmi": nmi, "nmi_polarity": polarity, "clusters_used": 30.0}
        return Record(None, [], [row], 1.0, "cpu")

    text = verdicts.long_budget({"slow": run(0.045, 0.038), "fast": run(0.09, 0.31)})
    assert text.startswith("**slow** reaches 20.0% ACC after 3,200 images (NMI with the digit 0.045, with "
                           "polarity 0.038); **fast**")
    assert text.endswith("The clusters of **slow** share more information with the digit than with polarity (NMI); "
                         "those of the others follow polarity.")
    assert verdicts.led_by({"a": {"nmi": 0.1, "nmi_polarity": 0.3}}, "row") == (
        "Every row's clusters share more information with polarity than with the digit (NMI). ")


def test_rows_follow_averages_each_rows_runs():
    rows = {"AuxGMVAE": (30, [{"nmi": 0.02, "nmi_polarity": 0.3}, {"nmi": 0.04, "nmi_polarity": 0.28}]),
            "variant": (30, [{"nmi": 0.1, "nmi_polarity": 0.01}])}
    assert verdicts.rows_follow(rows) == (
        "On the test split, by the mean over each row's runs: the clusters of **variant** share more information "
        "with the digit than with polarity (NMI); those of the others follow polarity.")
    assert verdicts.rows_follow({"svhn": (30, [{"nmi": 0.1}])}) == ""


def test_led_by_says_which_clusterings_follow_neither():
    ends = {"a": {"nmi": 0.1, "nmi_polarity": 0.3}, "collapsed": {"nmi": 0.0001, "nmi_polarity": 0.0}}
    assert verdicts.led_by(ends) == ("The clusters of **a** follow polarity; those of **collapsed** follow neither "
                                     "(NMI below 0.01 with both). ")


def test_led_by_names_the_smaller_groups_and_calls_the_largest_the_others():
    polar = {"nmi": 0.01, "nmi_polarity": 0.3}
    ends = {"a": polar, "b": polar, "c": polar, "flat": {"nmi": 0.0, "nmi_polarity": 0.0},
            "digit": {"nmi": 0.2, "nmi_polarity": 0.1}, "digit 2": {"nmi": 0.3, "nmi_polarity": 0.1}}
    assert verdicts.led_by(ends) == (
        "The clusters of **flat** follow neither (NMI below 0.01 with both); those of **digit** and **digit 2** share "
        "more information with the digit than with polarity (NMI); those of the others follow polarity. ")
    flat = {"nmi": 0.0, "nmi_polarity": 0.0}
    assert verdicts.led_by({"a": flat, "b": flat}) == (
        "The clusters of **a** and **b** follow neither (NMI below 0.01 with both). ")


def test_digit_clusters_says_when_a_cluster_does_not_stand_for_its_digit():
    low = verdicts.digit_clusters({3: (12, 0.27), 5: (4, 0.31)}, [0, 1])
    assert "None of these 2 clusters holds its digit" in low and "cluster 12 for 3 (27% of its test images)" in low
    assert "no cluster is led by 0 or 1." in low
    assert "no cluster is led by 0, 1 or 7." in verdicts.digit_clusters({3: (12, 0.27)}, [0, 1, 7])
    mixed = verdicts.digit_clusters({3: (12, 0.27), 5: (4, 0.8)}, [])
    assert "1 of these 2 clusters holds its digit" in mixed and "only leads" in mixed
    two = verdicts.digit_clusters({3: (12, 0.7), 5: (4, 0.8), 6: (1, 0.1)}, [])
    assert "2 of these 3 clusters hold their digit in at least 50% of their test images" in two
    pure = verdicts.digit_clusters({3: (12, 0.9)}, [])
    assert "This cluster holds its digit" in pure and "show the digit's clusters" in pure
    assert "All 2 of these clusters hold their digit" in verdicts.digit_clusters({3: (12, 0.9), 5: (4, 0.8)}, [])
    assert verdicts.digit_clusters({}, [0]) == "No cluster is led by any digit."


@pytest.mark.parametrize("likelihood, bits", [("logistic", True), ("bernoulli", False)])
def test_training_terms_give_bits_per_dimension_only_for_the_discretised_logistic(likelihood, bits):
    config = auxlib.experiment("method", "quick", dataset="cifar10", likelihood=likelihood)
    final = {"step": 100, "rec": 3072 * 2 * 0.6931471805599453, "aux": 3072 * 0.6931471805599453,
             "kl_g": 5.0, "kl_l": 7.25}
    text = verdicts.training_terms(Run(config, None, [final], 60.0, None))
    assert ("(2.00 and 1.00 bits per dimension)" in text) is bits
    assert "4,259 nats per image" in text and "5.0 nats in $z_g$ and 7.2 in $z_l$" in text


def test_baseline_gaps_say_which_half_each_seed_chose():
    gaps = {"AuxVAE": 0.786, "plain VAE": 0.526, "β-VAE": -0.301}
    per_seed = {"AuxVAE": [0.79, 0.79, 0.78], "plain VAE": [0.05, 0.74, 0.79], "β-VAE": [-0.6, 0.38, -0.68]}
    text = verdicts.baseline_gaps(gaps, per_seed=per_seed)
    assert "other, by the mean over seeds the AuxVAE holds it in $z_g$, the plain VAE holds it in $z_g$ and" in text
    assert ("Seed by seed, the AuxVAE holds it in $z_g$ in 3 of 3 seeds; the plain VAE holds it in neither half alone "
            "in 1 and in $z_g$ in 2 of 3 seeds; the β-VAE holds it in $z_l$ in 2 and in $z_g$ in 1 of 3 seeds.") in text
    assert text.endswith("nothing in the model decides which half holds it.")
    steady = verdicts.baseline_gaps(gaps, per_seed=dict(per_seed, **{"plain VAE": [0.7, 0.74, 0.79]}))
    assert "changes with the seed" not in steady  # one baseline keeps its half: no such sentence
    assert "Seed by seed" not in verdicts.baseline_gaps(gaps)
