import pandas as pd
import pytest
import torch

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
    spreads = local_sweep.fig2_spreads(local_sweep.fig2_grids(ColourFromZl(), pairs=2, n=50))
    assert list(spreads.index) == ["rgb", "luma", "chroma"] and list(spreads.columns) == [
        "z_l drawn", "z_g drawn", "z_l / z_g"]
    assert spreads.loc["luma", "z_g drawn"] < 1e-3 < spreads.loc["luma", "z_l drawn"]
    untrained = models.build(AuxVAEConfig(z_g=8, z_l=8, widths=(8, 16))).eval()
    assert set(local_sweep.fig2_ratios(untrained, grids=1, n=20)) == {"luma", "chroma"}


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
