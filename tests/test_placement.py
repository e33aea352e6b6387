import numpy as np
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
