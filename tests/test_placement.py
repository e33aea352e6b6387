import numpy as np
import pandas as pd
import pytest

from auxlib import placement


def toy(n, seed):
    """Codes whose part "a" holds a discrete factor d and part "b" a continuous factor c, and nothing else."""
    rng = np.random.default_rng(seed)
    d = rng.integers(0, 3, n)
    c = rng.normal(size=n)
    a = np.stack([d + 0.05 * rng.normal(size=n), rng.normal(size=n)], 1)
    b = np.stack([c + 0.05 * rng.normal(size=n), rng.normal(size=n)], 1)
    return {"a": a, "b": b}, {"d": d, "c": c}


@pytest.mark.parametrize("probe", placement.PROBES)
def test_placement_matrix_finds_each_factor_in_its_own_part(probe):
    train_codes, train_f = toy(600, 0)
    test_codes, test_f = toy(300, 1)
    m = placement.placement_matrix(train_codes, train_f, test_codes, test_f, probe)
    assert m["d"]["a"] > 0.9 and abs(m["d"]["b"]) < 0.15  # rescaled accuracy: 0 is the majority guess
    assert m["c"]["b"] > 0.9 and m["c"]["a"] < 0.1  # R^2
    assert placement.placement_score(m, ["d"], ["c"], parts=("a", "b")) > 1.6
    assert placement.placement_score(m, ["c"], ["d"], parts=("a", "b")) < -1.6


def test_probe_score_of_a_constant_factor_is_zero_and_colours_use_luma():
    codes = np.random.default_rng(0).normal(size=(50, 2))
    assert placement.probe_score(codes, np.zeros(50, int), codes, np.zeros(50, int)).score == 0.0
    colours = np.repeat(np.arange(50)[:, None] * 5, 3, axis=1).astype(np.uint8)  # grey levels 0..245
    m = placement.placement_matrix({"z": np.c_[colours[:, :1] / 255.0, codes]}, {"fg": colours},
                                   {"z": np.c_[colours[:, :1] / 255.0, codes]}, {"fg": colours})
    assert m["fg"]["z"] > 0.99


def test_bad_names_and_probe_are_named_in_the_error():
    codes, f = toy(40, 0)
    with pytest.raises(ValueError, match="names"):
        placement.placement_matrix(codes, f, codes, f, names=["nope"])
    with pytest.raises(ValueError, match="probe"):
        placement.placement_matrix(codes, f, codes, f, probe="svm")


def test_group_scores_sign_each_group_by_its_kind_and_put_chroma_with_its_colour():
    m = {"label": {"z_g": 0.9, "z_l": 0.1}, "scale": {"z_g": 0.5, "z_l": 0.5},
         "bg_color": {"z_g": 0.2, "z_l": 0.8}, "bg_color red-green": {"z_g": 0.6, "z_l": 0.2},
         "noise": {"z_g": 0.4, "z_l": 0.1}}
    scores = placement.group_scores(m)
    assert list(scores) == ["identity", "position and form", "colour", "texture and noise"]
    assert scores["identity"] == pytest.approx(0.8) and scores["position and form"] == pytest.approx(0.0)
    assert scores["colour"] == pytest.approx((0.6 - 0.4) / 2) and scores["texture and noise"] == pytest.approx(-0.3)
    assert placement.group_scores({"label": {"z_g": 1.0, "z_l": 0.0}}) == {"identity": 1.0}


def test_mig_is_high_for_one_dimension_per_factor_and_low_for_a_duplicated_one():
    rng = np.random.default_rng(0)
    f = {"d": rng.integers(0, 4, 2000), "e": rng.integers(0, 4, 2000)}
    clean = np.stack([f["d"] + 0.01 * rng.normal(size=2000), f["e"] + 0.01 * rng.normal(size=2000)], 1)
    value, per = placement.mig(clean, f)
    assert value > 0.9 and set(per) == {"d", "e"}
    copied = np.stack([clean[:, 0], clean[:, 0] + 0.01 * rng.normal(size=2000), clean[:, 1]], 1)
    assert placement.mig(copied, f)[1]["d"] < 0.1  # two dimensions share d: no gap
    with pytest.raises(ValueError, match="codes"):
        placement.mig(clean[:, :1], f)


def test_measure_probes_both_parts_of_a_model_for_every_factor_and_chroma():
    from auxlib import models
    from auxlib.data import ImageSet
    from auxlib.model.config import AuxVAEConfig

    rng = np.random.default_rng(0)
    def fake(n):
        return ImageSet(rng.integers(0, 256, (n, 32, 32, 3), dtype=np.uint8), rng.integers(0, 10, n),
                        {"label": rng.integers(0, 10, n), "polarity": rng.integers(0, 2, n),
                         "bg_color": rng.integers(0, 256, (n, 3)).astype(np.uint8)})
    model = models.build(AuxVAEConfig(z_g=3, z_l=2, widths=(8, 16), patch_size=4)).eval()
    out = placement.measure(model, fake(60), fake(40), probes=["knn"])
    matrix = out["matrix"]["knn"]
    assert set(matrix) == {"label", "polarity", "bg_color", "bg_color red-green", "bg_color yellow-blue"}
    assert set(matrix["label"]) == {"z_g", "z_l"} and 0 <= out["mig"] <= 1
    assert placement.factor_groups(list(matrix)) == {"global": ["label"], "local": ["polarity", "bg_color",
                                                                                   "bg_color red-green",
                                                                                   "bg_color yellow-blue"]}
    with pytest.raises(ValueError, match="factors"):
        placement.factor_table(ImageSet(np.zeros((2, 32, 32, 3), np.uint8), np.zeros(2, int)))


def test_summary_and_group_means_read_a_measured_matrix():
    m = {"digit": {"z_g": 0.9, "z_l": 0.1}, "shape": {"z_g": 0.7, "z_l": 0.3},
         "colour": {"z_g": 0.2, "z_l": 0.8}}
    groups = {"global": ["digit", "shape"], "local": ["colour"]}
    s = placement.summary({"matrix": {"knn": m, "linear": m}, "mig": 0.05}, groups)
    assert s == pytest.approx({"S (knn)": 0.6 + 0.6, "S (linear)": 1.2, "MIG": 0.05})
    real = {"label": {"z_g": 0.9, "z_l": 0.1}, "font": {"z_g": 0.5, "z_l": 0.5},
            "bg_color red-green": {"z_g": 0.2, "z_l": 0.8}}
    real_groups = {"global": ["label", "font"], "local": ["bg_color red-green"]}
    s = placement.summary({"matrix": {"mlp": real}, "mig": 0.0}, real_groups)
    assert s == pytest.approx({"S (mlp)": 0.4 + 0.6, "MIG": 0.0, "S identity": 0.8, "S position and form": 0.0,
                               "S colour": 0.6})
    assert placement.group_means(m, groups) == pytest.approx(
        {"global from z_g": 0.8, "global from z_l": 0.2, "local from z_g": 0.2, "local from z_l": 0.8})


def test_grid_tables_put_patch_sizes_down_and_betas_across():
    groups = {"global": ["digit"], "local": ["colour"]}

    def measured(g: float, mig: float) -> dict:
        m = {"digit": {"z_g": g, "z_l": 0.0}, "colour": {"z_g": 0.0, "z_l": 0.5}}
        return {"matrix": {"knn": m}, "mig": mig}

    sweep = {(4, 1.0): measured(0.1, 0.01), (1, 1.0): measured(0.3, 0.02), (1, 4.0): measured(0.2, 0.03),
             (4, 4.0): measured(0.0, 0.04)}
    scores, mig = placement.grid_tables(sweep, groups)
    assert scores.index.tolist() == [1, 4] and scores.columns.tolist() == [1.0, 4.0]
    assert scores.loc[1, 1.0] == pytest.approx(0.8) and scores.loc[4, 4.0] == pytest.approx(0.5)
    assert mig.loc[1, 4.0] == 0.03 and scores.stack().idxmax() == (1, 1.0)


def test_run_config_moves_the_split_and_keeps_the_total():
    base = placement.run_config("standard", "synth-svhn")
    moved = placement.run_config("standard", "synth-svhn", patch_size=4, beta=4, z_g=16)
    assert (moved.model.z_g, moved.model.z_l) == (16, base.model.z_g + base.model.z_l - 16)
    assert (moved.model.patch_size, moved.model.beta, moved.train) == (4, 4.0, base.train)
    with pytest.raises(ValueError, match="^z_g must be an integer between 1 and 255"):
        placement.run_config("standard", "synth-svhn", z_g=256)
    with pytest.raises(ValueError, match="^dataset must be synth-svhn"):
        placement.check_dataset("cifar10")


@pytest.mark.parametrize("profile", ["quick", "standard"])
def test_the_sweeps_train_experiment_1s_network(profile):
    import auxlib

    main = auxlib.profiles.auxvae(profile, "synth-svhn").model
    cell = placement.run_config(profile, "synth-svhn", patch_size=4, beta=4.0).model
    assert (cell.z_g, cell.z_l, cell.arch, cell.widths) == (main.z_g, main.z_l, main.arch, main.widths)
    assert max(auxlib.settings("placement", profile)["z_g_sizes"]) < main.z_g + main.z_l


GROUPS = {"global": ["label", "font"], "local": ["polarity", "bg_color", "bg_color red-green"]}


def matrix(label_g: float, label_l: float, polarity_g: float = 0.8) -> dict[str, dict[str, float]]:
    return {"label": {"z_g": label_g, "z_l": label_l}, "font": {"z_g": 0.5, "z_l": 0.0},
            "polarity": {"z_g": polarity_g, "z_l": 0.1}, "bg_color": {"z_g": 0.1, "z_l": 0.9},
            "bg_color red-green": {"z_g": 0.2, "z_l": 0.6}}


@pytest.mark.parametrize("aux, verdict", [
    (0.50, "it places the factors more cleanly than both, as the paper claims"),
    (0.10, "the plain VAE and the β-VAE place the factors more cleanly, which contradicts the paper's claim"),
    (0.28, "these seeds do not settle that the auxiliary task places the factors more cleanly")])
def test_main_verdict_holds_the_auxvae_to_both_baselines_over_seeds(aux, verdict):
    matrices = {"mlp": matrix(0.9, 0.1), "knn": matrix(0.4, 0.0), "linear": matrix(0.3, 0.1)}
    names = ["AuxVAE", "plain VAE", "β-VAE", "z_g sees luma"]
    mean = pd.DataFrame({"S (mlp)": [aux, 0.3, 0.2, 0.6], "MIG": [0.02, 0.05, 0.01, 0.03],
                         "S identity": [0.8, 0.7, 0.5, 0.8], "S colour": [-0.1, 0.2, 0.0, 0.4]}, index=names)
    sd = pd.DataFrame(0.02, index=names, columns=mean.columns)
    text = placement.main_verdict(matrices, mean, sd, GROUPS, [0, 1, 2], ["plain VAE", "β-VAE"],
                                   ["z_g sees luma"])
    assert text.startswith("On seed 0, the MLP probe reads the digit label from the AuxVAE's $z_g$ with a score of "
                           "0.90 and from its $z_l$ with 0.10; the k-NN probe reads 0.40 and 0.00, the linear probe "
                           "0.30 and 0.10.")
    assert "of the 2 global factors, 2 in z_g; of the 3 local ones, 2 in z_l, 1 in z_g (polarity)" in text
    assert "Of these, polarity says which of the image's colours draws the digit" in text
    assert f"Over 3 seeds, the placement score $S$ by the MLP probe is {aux:.2f} ± 0.02 for the AuxVAE" in text
    assert verdict in text
    assert "the AuxVAE's score minus the plain VAE's is +0.10 for identity, -0.30 for colour" in text
    assert ("Of the settings Experiment 1.1 shows, z_g sees luma scores 0.60 ± 0.02; the highest $S$ of all is the "
            "z_g sees luma's") in text
    assert text.endswith("MIG does not reward that.")


def test_sweep_verdict_names_best_worst_and_the_papers_cell():
    table = pd.DataFrame([[0.2, 0.5], [0.1, 0.3]], index=pd.Index([1, 4], name="n"),
                         columns=pd.Index([1.0, 4.0], name="β"))
    text = placement.sweep_verdict(table, (1, 1.0))
    assert text.startswith("On the validation images, the highest placement score is 0.50, at $n = 1$, $\\beta = 4$;")
    assert "the paper's Experiment 1 cell ($n = 1$, $\\beta = 1$) scores 0.20" in text
    assert "The lowest is 0.10, at $n = 4$, $\\beta = 1$" in text and "0.35 (n = 1), 0.20 (n = 4)" in text
    assert "paper's Experiment 1 cell" not in placement.sweep_verdict(table, (2, 1.0))


@pytest.mark.parametrize("best, verdict", [([0.5, 0.52], "a user who wants factors placed by kind should pick"),
                                           ([0.33, 0.37], "these seeds do not settle which is better")])
def test_best_cell_beats_the_papers_only_beyond_twice_the_spread(best, verdict):
    assert verdict in placement.best_vs_paper_verdict(best, [0.3, 0.32], (4, 0.5), (1, 1.0))
    assert placement.best_vs_paper_verdict(best, best, (1, 1.0), (1, 1.0)).startswith("The paper's own cell")


def test_transform_sentence_follows_the_leans():
    shuffle, grey = matrix(0.9, 0.1), matrix(0.6, 0.3)
    grey["bg_color red-green"] = {"z_g": 0.6, "z_l": 0.2}
    leans = placement.transform_leans(shuffle, grey, GROUPS)
    assert leans["shuffle"]["chroma"] == pytest.approx(-0.4) and leans["grey"]["chroma"] == pytest.approx(0.4)
    text = placement.transform_verdict(leans, GROUPS)
    assert "Grey-scale moves the colour towards $z_g$" in text and "moves shape information out of $z_g$" in text
    still = placement.transform_verdict(placement.transform_leans(shuffle, shuffle, GROUPS), GROUPS)
    assert "does not move the colour" in still and "leaves the shape information about where it was" in still


def test_split_sentence_calls_a_span_within_twice_the_seed_spread_noise():
    scores = pd.Series([0.30, 0.34], index=[16, 48])
    assert "Within that noise" in placement.split_verdict(scores, 0.03, 64)
    assert "highest with $z_g$ = 48" in placement.split_verdict(scores, 0.01, 64)
