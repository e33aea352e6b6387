import pytest
import torch

from auxlib import local_sweep, models
from auxlib.config import AuxVAEConfig


def test_each_setting_changes_one_thing_from_the_standard_auxvae_and_names_a_run_of_its_own():
    runs = local_sweep.runs("standard", "synth-svhn")
    assert runs["standard"] == local_sweep.experiment("exp1", "standard", dataset="synth-svhn")
    assert len({c.key() for c in runs.values()}) == len(runs) == len(local_sweep.changes())
    assert runs["β_g = 4"].model.kl_weights == (4.0, 1.0) and runs["z = 32 + 32"].model.z_l == 32
    assert all(c.judge is not None for c in runs.values())  # every run is scored by the classifier
    with pytest.raises(ValueError, match="setting_names must be settings of the study"):
        local_sweep.runs("standard", "synth-svhn", setting_names=["β = 3"])


class ColourFromZl(torch.nn.Module):
    """A stand-in decoder whose images take their brightness from z_l[0] and their redness from z_l[1], and
    nothing from z_g: a perfect local half."""

    config = AuxVAEConfig(z_g=4, z_l=4)

    def decode(self, z_g, z_l):
        image = torch.sigmoid(z_l[:, :1, None, None]).expand(-1, 3, 4, 4).clone()
        image[:, 0] += 0.2 * torch.tanh(z_l[:, 1, None, None]) + 0.001 * z_g[:, 0, None, None]
        return image.clamp(0, 1)

    def parameters(self):
        return iter([torch.zeros(1)])


def test_fig2_ratios_are_large_when_z_l_alone_moves_luma_and_chroma_and_one_for_a_real_model():
    ratios = local_sweep.fig2_ratios(ColourFromZl(), grids=2, n=50)
    assert ratios["luma"] > 50 and ratios["chroma"] > 50
    untrained = models.build(AuxVAEConfig(z_g=8, z_l=8, widths=(8, 16))).eval()
    assert set(local_sweep.fig2_ratios(untrained, grids=1, n=20)) == {"luma", "chroma"}


def test_targets_met_reads_both_parts_of_each_factor():
    matrix = {f: {"z_g": 0.0, "z_l": 0.9} for f in local_sweep.TARGETS}
    matrix["label"] = {"z_g": 0.85, "z_l": 0.05}
    readout = {"probes": {"matrix": {"mlp": matrix}}, "fig2": {"luma": 3.5, "chroma": 2.0}}
    met = local_sweep.targets_met(readout)
    assert all(met[f] for f in local_sweep.TARGETS) and met["Fig. 2 luma"] and not met["Fig. 2 chroma"]
    matrix["polarity"]["z_g"] = 0.31  # read from z_g above its bar
    assert not local_sweep.targets_met(readout)["polarity"]


def fake_readout(colour_from_l: float, iii: float, ratios=(1.0, 1.0), colour_group: float = 0.0):
    matrix = {f: {"z_g": 0.9 - colour_from_l, "z_l": colour_from_l} for f in local_sweep.TARGETS}
    matrix["label"] = {"z_g": 0.9, "z_l": 0.05}
    return {"probes": {"matrix": {"mlp": matrix}}, "fig2": dict(zip(("luma", "chroma"), ratios)),
            "groups": {"colour": colour_group}, "decodes": {"reconstruction": 0.9, "z_l resampled": 0.88,
                                                            "z_g resampled": iii}}


def test_best_counts_targets_among_settings_that_keep_the_split_and_breaks_ties_by_colour():
    readouts = {"standard": fake_readout(0.2, 0.10), "lost split": fake_readout(0.9, 0.40, (5, 5)),
                "colour": fake_readout(0.85, 0.12, (2, 2), 0.3), "same, less colour": fake_readout(0.85, 0.1, (2, 2))}
    assert local_sweep.best(readouts) == "colour"
    met = local_sweep.met_table(readouts)
    assert met.loc["standard", "label"] and not met.loc["standard", "polarity"] and met.loc["colour"].sum() == 8
    with pytest.raises(ValueError, match="at most 15%"):
        local_sweep.best({"lost split": readouts["lost split"]})
    shown = local_sweep.target_table(local_sweep.table(readouts), met)
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
